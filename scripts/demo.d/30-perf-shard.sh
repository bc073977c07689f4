# perf-shard: real timings (onegov-cloud's pytest-split durations, see
# ../shared/perf-shard-data/SOURCES.md), a shard count for a 10-minute
# target with 30 s job overhead, and one shard's test list.
banner "perf-shard: pick N for a 10-minute target from 3,592 real test timings"
durations="$BULWARK_SRC/../shared/perf-shard-data/test-durations/onegov-cloud.test_durations.json"
if [ ! -f "$durations" ]; then
	echo "(../shared/perf-shard-data not beside this checkout; skipping this segment)"
	return 0
fi
perf-shard ingest --durations "$durations" --out timings.json
perf-shard plan --timings timings.json --target 10m --overhead 30s
n=$(python3 -c "import json; print(json.load(open('plan.json'))['shards'])")
echo "shard 1 of $n would run $(perf-shard split --plan plan.json --index 1 | wc -l) test files/ids"
