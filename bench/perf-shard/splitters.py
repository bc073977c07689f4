"""The anchors of research/sharding.md §1, reimplemented from their
published source as the research describes them, for side-by-side runs.

Each function takes the ordered list of ids (collection order), a dict of
known durations (seconds) and N, and returns {id: shard (0-based)}.
"""
import hashlib
import heapq


def count_contiguous(ids, durations, n):
    """Playwright --shard: contiguous slices by test count, listing order."""
    out, size, extra, pos = {}, len(ids) // n, len(ids) % n, 0
    for s in range(n):
        k = size + (1 if s < extra else 0)
        for t in ids[pos:pos + k]:
            out[t] = s
        pos += k
    return out


def count_hash(ids, durations, n):
    """Jest --shard: sort by sha1 of the relative path, contiguous slices
    sized ceil for the first len%n shards and floor after
    (jest-test-sequencer _shardPosition, jestjs/jest#13476)."""
    order = sorted(ids, key=lambda t: hashlib.sha1(t.encode()).hexdigest())
    return count_contiguous(order, durations, n)


def _with_durations(ids, durations):
    """pytest-split: unknown = mean of the known among collected items,
    1 each if none is known."""
    known = [durations[t] for t in ids if t in durations]
    avg = sum(known) / len(known) if known else 1
    return [(t, durations.get(t, avg)) for t in ids]


def pytest_split_chunks(ids, durations, n):
    """pytest-split duration_based_chunks (its default): walk in collection
    order; once a group's sum reached ΣT/n, the next item opens the next
    group (src/pytest_split/algorithms.py)."""
    items = _with_durations(ids, durations)
    per = sum(d for _, d in items) / n
    out, acc, g = {}, [0.0] * n, 0
    for t, d in items:
        if acc[g] >= per and g < n - 1:
            g += 1
        out[t] = g
        acc[g] += d
    return out


def pytest_split_least_duration(ids, durations, n):
    """pytest-split least_duration: LPT through a heap; sorted by str(item)
    then duration descending (stable sort)."""
    items = sorted(_with_durations(ids, durations), key=lambda x: x[0])
    items.sort(key=lambda x: x[1], reverse=True)
    heap = [(0.0, i) for i in range(n)]
    out = {}
    for t, d in items:
        load, g = heapq.heappop(heap)
        out[t] = g
        heapq.heappush(heap, (load + d, g))
    return out


def lpt(ids, durations, n, unknown="mean"):
    """Plain LPT (split_tests, mtsmfm, knapsack, gotestsum) with the
    unknown estimate named: 'mean' of known, or 'zero' (gotestsum)."""
    known = [durations[t] for t in ids if t in durations]
    est = (sum(known) / len(known) if known else 1.0) if unknown == "mean" \
        else 0.0
    items = sorted(((durations.get(t, est), t) for t in ids),
                   key=lambda x: (-x[0], x[1]))
    load = [0.0] * n
    out = {}
    for d, t in items:
        g = min(range(n), key=lambda k: (load[k], k))
        out[t] = g
        load[g] += d
    return out


ANCHORS = {
    "count (Playwright)": count_contiguous,
    "count, hashed (Jest)": count_hash,
    "pytest-split chunks": pytest_split_chunks,
    "pytest-split least_duration": pytest_split_least_duration,
    "LPT, mean estimate": lambda i, d, n: lpt(i, d, n, "mean"),
    "LPT, zero estimate": lambda i, d, n: lpt(i, d, n, "zero"),
}
