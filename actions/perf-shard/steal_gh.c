#include "common/compat.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "steal_gh.h"

#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#define POST_TRIES 5

static bool
key_ok(const char *k)
{
	return *k && !k[strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                          "qrstuvwxyz0123456789._-")];
}

int
ghq_open(struct ghq *q, const char *remote, const char *key, unsigned index,
    unsigned attempt)
{
	const char *repo = NULL, *r;
	char *api = NULL;

	memset(q, 0, sizeof(*q));
	if (!strncmp(remote, "github:", 7)) {
		repo = remote + 7;
	} else if ((!strncmp(remote, "https://", 8) ||
	               !strncmp(remote, "http://", 7)) &&
	           (r = strstr(remote, "/repos/")) != NULL) {
		api = xstrndup(remote, (size_t)(r - remote));
		repo = r + 7;
	} else {
		return 0;
	}
	if (!strchr(repo, '/') || strchr(strchr(repo, '/') + 1, '/') ||
	    !key_ok(key)) {
		free(api);
		return error_msg(
		    "queue '%s' with key '%s': give "
		    "github:OWNER/REPO and a key of [A-Za-z0-9._-]",
		    remote, key);
	}
	if (github_init(&q->gh) < 0 || github_require_token(&q->gh) < 0) {
		free(api);
		github_release(&q->gh);
		return -1;
	}
	if (api) {
		free(q->gh.api_url);
		q->gh.api_url = api;
	}
	free(q->gh.repo);
	q->gh.repo = xstrdup(repo);
	q->key = xstrdup(key);
	q->index = index;
	q->attempt = attempt;
	return 1;
}

void
ghq_release(struct ghq *q)
{
	github_release(&q->gh);
	free(q->key);
	memset(q, 0, sizeof(*q));
}

static void
capture(enum log_level l, const char *m, void *ctx)
{
	struct buf *b = ctx;

	(void)l;
	buf_reset(b);
	buf_adds(b, m);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/*
 * A POST, retried on 403/429/5xx/transport errors. Returns the final
 * status (the error line kept in *msg, not printed) and *out on 2xx.
 */
static long
post(struct ghq *q, const char *path, const cJSON *body, cJSON **out,
    struct buf *msg)
{
	const char *env = getenv("PERF_SHARD_RETRY_MS");
	long wait = env ? strtol(env, NULL, 10) : 0, status = 0;
	log_sink_fn *old_fn;
	void *old_ctx;
	int i;

	if (wait <= 0 || wait > 60000)
		wait = 1000;
	for (i = 0; i < POST_TRIES; i++) {
		log_get_sink(&old_fn, &old_ctx);
		log_set_sink(capture, msg);
		github_request(&q->gh, "POST", path, body, out, &status);
		log_set_sink(old_fn, old_ctx);
		if (status != 403 && status != 429 && status != 0 &&
		    status < 500)
			break;
		if (i + 1 < POST_TRIES) {
			debug_msg("%s: retrying in %ld ms", msg->data, wait);
			sleep_ms(wait);
			wait *= 2;
		}
	}
	return status;
}

/*
 * The same commit for every attempt of one job: fixed author, committer and
 * dates make its sha a function of (key, index) alone, as git objects are
 * content-addressed. A claim ref pointing at it is then the job's mark of
 * ownership, set atomically with the claim itself, so a re-run finds
 * exactly the chunks any earlier attempt of its job claimed.
 */
int
ghq_commit(struct ghq *q, struct buf *sha)
{
	cJSON *body = cJSON_CreateObject(), *out = NULL, *who;
	char *path = xasprintf("/repos/%s/git/commits", q->gh.repo);
	char *m =
	    xasprintf("perf-shard claims of %s by job %u", q->key, q->index);
	struct buf msg = BUF_INIT(4096);
	const char *s;
	int ret = -1;

	cJSON_AddStringToObject(body, "message", m);
	cJSON_AddStringToObject(body, "tree", EMPTY_TREE);
	cJSON_AddArrayToObject(body, "parents");
	who = cJSON_AddObjectToObject(body, "author");
	cJSON_AddStringToObject(who, "name", "perf-shard");
	cJSON_AddStringToObject(
	    who, "email", "perf-shard@users.noreply.github.com");
	cJSON_AddStringToObject(who, "date", "2000-01-01T00:00:00Z");
	cJSON_AddItemToObject(body, "committer", cJSON_Duplicate(who, 1));
	if (post(q, path, body, &out, &msg) / 100 != 2)
		error_msg("%s", msg.data);
	else if (!(s = json_opt_str(out, "sha")) || strlen(s) != 40)
		error_msg("POST %s: no commit sha in the answer", path);
	else
		ret = buf_adds(sha, s);
	cJSON_Delete(out);
	cJSON_Delete(body);
	buf_release(&msg);
	free(path);
	free(m);
	return ret;
}

int
ghq_list(
    struct ghq *q, const char *prefix, const char *owner, bool *mark, size_t n)
{
	/* prefix "refs/x/" -> git/matching-refs/x/ */
	char *path =
	    xasprintf("/repos/%s/git/matching-refs/%s", q->gh.repo, prefix + 5);
	cJSON *arr = NULL, *x;
	size_t pl = strlen(prefix);

	if (github_get_all(&q->gh, path, NULL, 0, &arr) < 0) {
		free(path);
		return -1;
	}
	cJSON_ArrayForEach(x, arr)
	{
		const char *ref = json_opt_str(x, "ref");
		const cJSON *obj =
		    cJSON_GetObjectItemCaseSensitive(x, "object");
		const char *sha = json_opt_str(obj, "sha");
		unsigned long long c;
		char *end;

		if (!ref || strncmp(ref, prefix, pl) || !ref[pl])
			continue;
		if (owner && (!sha || strcmp(sha, owner)))
			continue;
		c = strtoull(ref + pl, &end, 10);
		if (*end == '\0' && c < n)
			mark[c] = true;
	}
	cJSON_Delete(arr);
	free(path);
	return 0;
}

/* POST git/refs; 1 created, 0 exists, -1 error (printed). */
static int
create_ref(struct ghq *q, const char *ref, const char *sha)
{
	cJSON *body = cJSON_CreateObject(), *out = NULL;
	char *path = xasprintf("/repos/%s/git/refs", q->gh.repo);
	struct buf msg = BUF_INIT(4096);
	long st;
	int ret = -1;

	cJSON_AddStringToObject(body, "ref", ref);
	cJSON_AddStringToObject(body, "sha", sha);
	st = post(q, path, body, &out, &msg);
	if (st == 201 || st == 200)
		ret = 1;
	else if (st == 422)
		ret = 0;
	else
		error_msg("%s", msg.data);
	cJSON_Delete(out);
	cJSON_Delete(body);
	buf_release(&msg);
	free(path);
	return ret;
}

/* The sha a ref points to (caller frees), NULL if none or on error. */
static char *
ref_sha(struct ghq *q, const char *ref, long *status)
{
	char *path = xasprintf("/repos/%s/git/ref/%s", q->gh.repo, ref + 5);
	cJSON *out = NULL;
	const cJSON *obj;
	char *sha = NULL;

	if (github_request(&q->gh, "GET", path, NULL, &out, status) == 0 &&
	    (obj = cJSON_GetObjectItemCaseSensitive(out, "object")) &&
	    json_opt_str(obj, "sha"))
		sha = xstrdup(json_opt_str(obj, "sha"));
	cJSON_Delete(out);
	free(path);
	return sha;
}

int
ghq_claim(struct ghq *q, const char *sha, size_t c, bool *taken, size_t n,
    const char *prefix)
{
	char *lock = xasprintf("refs/perf-shard/%s/%zu", q->key, c);
	char *owner = NULL;
	long st = 0;
	int r = create_ref(q, lock, sha), ret = -1;

	if (r == 0) {
		owner = ref_sha(q, lock, &st);
		if (!owner) {
			error_msg("cannot claim '%s': it exists but reading it "
			          "failed (HTTP %ld)",
			    lock, st);
			goto out;
		}
		r = !strcmp(owner, sha); /* ours: an earlier try or attempt */
	}
	if (r < 0)
		goto out;
	if (r == 0) {
		memset(taken, 0, n * sizeof(*taken));
		ret = ghq_list(q, prefix, NULL, taken, n) < 0 ? -1 : 0;
		taken[c] = true;
		goto out;
	}
	ret = 1;
out:
	free(owner);
	free(lock);
	return ret;
}

int
ghq_clean(struct ghq *q)
{
	char *path = xasprintf(
	    "/repos/%s/git/matching-refs/perf-shard/%s/", q->gh.repo, q->key);
	cJSON *arr = NULL, *x;
	int n = 0;

	if (github_get_all(&q->gh, path, NULL, 0, &arr) < 0) {
		free(path);
		return -1;
	}
	cJSON_ArrayForEach(x, arr)
	{
		const char *ref = json_opt_str(x, "ref");
		char *del;
		long st = 0;

		if (!ref || strncmp(ref, "refs/", 5))
			continue;
		del = xasprintf("/repos/%s/git/%s", q->gh.repo, ref);
		if (github_request(&q->gh, "DELETE", del, NULL, NULL, &st) <
		        0 &&
		    st != 422) {
			free(del);
			n = -1;
			break;
		}
		free(del);
		n++;
	}
	cJSON_Delete(arr);
	free(path);
	return n;
}
