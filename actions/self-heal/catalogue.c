#include "common/compat.h"

#include <string.h>

#include "common/xalloc.h"
#include "heal.h"

/*
 * The compiled-in failure-signature catalogue: real strings from
 * research/self-heal.md §6 (sources there). Order inside a class only
 * breaks ties; class priority decides first (deterministic > dependency >
 * disk_full > cache_corrupt > rate_limit > oom > infra > network), so a
 * deterministic signature anywhere in the log vetoes a retry.
 *
 * Rules with a regex also carry a literal (`contains`) the regex needs:
 * the automaton finds candidate lines, the regex only confirms them.
 */
struct builtin {
	const char *id;
	enum heal_class cls;
	const char *contains;
	const char *regex;
	long exit_code;
	int signal;
	const char *near; /* one ERE */
	int window;
	const char *clean; /* ';'-separated paths */
};

#define D HEAL_DETERMINISTIC
#define P HEAL_DEPENDENCY
#define F HEAL_DISK_FULL
#define C HEAL_CACHE_CORRUPT
#define R HEAL_RATE_LIMIT
#define O HEAL_OOM
#define I HEAL_INFRA
#define N HEAL_NETWORK

static const char url_ctx[] =
    "https?://|dial tcp|docker|/v2/|registry|proxy|fetch|download|clone|"
    "artifact|npm|pip|maven|gradle|cargo|curl";

static const struct builtin builtins[] = {
	/* deterministic: never retried */
	{ "go-sumdb-security", D, "security error", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "go-checksum-mismatch", D, ": checksum mismatch",
	    "verifying .*: checksum mismatch", -1, 0, NULL, 0, NULL },
	{ "typescript-error", D, "error ts", "error TS[0-9]+:", -1, 0, NULL, 0,
	    NULL },
	{ "go-undefined", D, ": undefined:", "\\.go:[0-9]+:[0-9]+: undefined:",
	    -1, 0, NULL, 0, NULL },
	{ "go-compile-error", D, ".go:",
	    "\\.go:[0-9]+:[0-9]+: (cannot|too many|not enough|missing|invalid|declared and not used|imported and not used|syntax error)",
	    -1, 0, NULL, 0, NULL },
	{ "java-cannot-find-symbol", D, "cannot find symbol", NULL, -1, 0, NULL,
	    0, NULL },
	{ "java-compilation-failure", D, "compilation failure", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "c-compile-error", D, ": error: ",
	    "\\.(c|cc|cpp|cxx|h|hpp|m|swift|rs|java|kt|cs):[0-9]+(:[0-9]+)?: (fatal )?error: ",
	    -1, 0, NULL, 0, NULL },
	{ "cs-compile-error", D, "error cs", "error CS[0-9]{4}:", -1, 0, NULL,
	    0, NULL },
	{ "ld-undefined-reference", D, "undefined reference to", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "ld-returned", D, "ld returned", "ld returned [0-9]+ exit status", -1,
	    0, NULL, 0, NULL },
	{ "rust-error", D, "error[e", "error\\[E[0-9]{4}\\]", -1, 0, NULL, 0,
	    NULL },
	{ "syntax-error", D, "syntaxerror", NULL, -1, 0, NULL, 0, NULL },
	{ "shell-syntax-error", D, "syntax error", NULL, -1, 0, NULL, 0, NULL },
	{ "maven-failing-tests", D, "there were failing tests", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "junit-failures", D, "tests run:",
	    "Tests run: [0-9]+, Failures: ([1-9]|[0-9]+, Errors: [1-9])", -1, 0,
	    NULL, 0, NULL },
	{ "jest-failed", D, "tests:", "^Tests: +[0-9]+ failed", -1, 0, NULL, 0,
	    NULL },
	{ "pytest-failed", D, " failed", "^=+ .*[0-9]+ failed", -1, 0, NULL, 0,
	    NULL },
	{ "pytest-failed-line", D, "failed ", "^FAILED [^ ]+::", -1, 0, NULL, 0,
	    NULL },
	{ "go-test-fail", D, "--- fail:", NULL, -1, 0, NULL, 0, NULL },
	{ "assertion-error", D, "assertionerror", NULL, -1, 0, NULL, 0, NULL },
	{ "python-import-error", D, "modulenotfounderror", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "node-module-not-found", D, "cannot find module", NULL, -1, 0, NULL,
	    0, NULL },
	/* "code e404", not "e404": every few hundred SHA-256 digests
	 * contain e404, and a build printing digests is not npm's 404 */
	{ "npm-e404", D, "code e404", NULL, -1, 0, NULL, 0, NULL },
	{ "pip-no-distribution", D, "no matching distribution found", NULL, -1,
	    0, NULL, 0, NULL },
	{ "auth-401", D, "401 unauthorized", NULL, -1, 0, NULL, 0, NULL },
	{ "auth-bad-credentials", D, "bad credentials", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "ssh-publickey", D, "permission denied (publickey", NULL, -1, 0, NULL,
	    0, NULL },
	{ "git-missing-ref", D, "couldn't find remote ref", NULL, -1, 0, NULL,
	    0, NULL },
	{ "checkout-missing-ref", D, "could not be found",
	    "A branch or tag with the name .* could not be found", -1, 0, NULL,
	    0, NULL },
	{ "gha-no-runners", D, "no enabled runners online", NULL, -1, 0, NULL,
	    0, NULL },
	{ "gha-max-execution-time", D,
	    "has exceeded the maximum execution time", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "lint-failed", D, "problem",
	    "[0-9]+ problems? \\([1-9][0-9]* errors?", -1, 0, NULL, 0, NULL },
	{ "mocha-failing", D, " failing", "^ *[0-9]+ failing$", -1, 0, NULL, 0,
	    NULL },
	{ "command-not-found", D, NULL, NULL, 127, 0, NULL, 0, NULL },
	{ "not-executable", D, NULL, NULL, 126, 0, NULL, 0, NULL },
	{ "command-not-found-msg", D, "command not found", NULL, -1, 0, NULL, 0,
	    NULL },

	/* dependency conflicts: a retry repeats them */
	{ "npm-eresolve", P, "eresolve", NULL, -1, 0, NULL, 0, NULL },
	{ "npm-ci-lock-sync", P,
	    "can only install packages when your package.json and package-lock.json",
	    NULL, -1, 0, NULL, 0, NULL },
	{ "pip-resolution-impossible", P, "resolutionimpossible", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "pip-conflicting-deps", P, "conflicting dependencies", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "yarn-lockfile-outdated", P, "your lockfile needs to be updated",
	    NULL, -1, 0, NULL, 0, NULL },
	{ "pnpm-lockfile-outdated", P, "err_pnpm_outdated_lockfile", NULL, -1,
	    0, NULL, 0, NULL },

	/* disk full: clean up, then retry */
	{ "enospc", F, "no space left on device", NULL, -1, 0, NULL, 0, NULL },
	{ "enospc-code", F, "enospc", NULL, -1, 0, NULL, 0, NULL },
	{ "runner-low-disk", F, "you are running out of disk space", NULL, -1,
	    0, NULL, 0, NULL },
	{ "disk-quota", F, "disk quota exceeded", NULL, -1, 0, NULL, 0, NULL },

	/* corrupt caches: delete them, then retry once */
	{ "npm-eintegrity", C, "eintegrity", NULL, -1, 0, NULL, 0,
	    "~/.npm/_cacache" },
	{ "npm-integrity-checksum", C, "integrity checksum failed", NULL, -1, 0,
	    NULL, 0, "~/.npm/_cacache" },
	{ "yarn-integrity", C, "integrity check failed", NULL, -1, 0, NULL, 0,
	    "~/.cache/yarn" },
	{ "pnpm-tarball-integrity", C, "err_pnpm_tarball_integrity", NULL, -1,
	    0, NULL, 0, "~/.local/share/pnpm/store" },
	{ "pip-hash-mismatch", C, "do not match the hashes", NULL, -1, 0, NULL,
	    0, "~/.cache/pip" },
	{ "go-zip-invalid", C, "zip: not a valid zip file", NULL, -1, 0, NULL,
	    0, NULL },
	{ "zstd-corrupt", C, "corrupted block detected", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "tar-unexpected-eof", C, "unexpected eof in archive", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "gradle-corrupt-cache", C, "could not read workspace metadata", NULL,
	    -1, 0, NULL, 0, "~/.gradle/caches" },

	/* rate limits: wait for the reset, then retry */
	{ "http-429", R, "429 too many requests", NULL, -1, 0, NULL, 0, NULL },
	{ "too-many-requests", R, "toomanyrequests", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "docker-pull-rate-limit", R, "you have reached your pull rate limit",
	    NULL, -1, 0, NULL, 0, NULL },
	{ "github-secondary-rate-limit", R, "secondary rate limit", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "api-rate-limit", R, "rate limit exceeded", NULL, -1, 0, NULL, 0,
	    NULL },

	/* out of memory: at most one retry */
	{ "node-heap-oom", O, "javascript heap out of memory", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "java-oom", O, "java.lang.outofmemoryerror", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "enomem", O, "cannot allocate memory", NULL, -1, 0, NULL, 0, NULL },
	{ "killed-line", O, "killed", "(^|[0-9] +|: )Killed( |$)", -1, 0, NULL,
	    0, NULL },
	{ "sigkill", O, NULL, NULL, -1, 9, NULL, 0, NULL },
	{ "exit-137", O, NULL, NULL, 137, 0, NULL, 0, NULL },

	/* runner / infrastructure */
	{ "gha-shutdown-signal", I, "the runner has received a shutdown signal",
	    NULL, -1, 0, NULL, 0, NULL },
	{ "gha-lost-communication", I, "lost communication with the server",
	    NULL, -1, 0, NULL, 0, NULL },
	{ "gha-hosted-runner-error", I,
	    "the hosted runner encountered an error", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "gha-deprovision", I, "received request to deprovision", NULL, -1, 0,
	    NULL, 0, NULL },

	/* network */
	{ "econnreset", N, "econnreset", NULL, -1, 0, NULL, 0, NULL },
	{ "etimedout", N, "etimedout", NULL, -1, 0, NULL, 0, NULL },
	{ "esockettimedout", N, "esockettimedout", NULL, -1, 0, NULL, 0, NULL },
	{ "eai-again", N, "eai_again", NULL, -1, 0, NULL, 0, NULL },
	{ "enotfound", N, "getaddrinfo enotfound", NULL, -1, 0, NULL, 0, NULL },
	{ "econnrefused", N, "econnrefused", NULL, -1, 0, url_ctx, 3, NULL },
	{ "connection-refused", N, "connection refused", NULL, -1, 0, url_ctx,
	    3, NULL },
	{ "could-not-resolve-host", N, "could not resolve host", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "dns-temporary-failure", N, "temporary failure in name resolution",
	    NULL, -1, 0, NULL, 0, NULL },
	{ "tls-handshake-timeout", N, "tls handshake timeout", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "io-timeout", N, "i/o timeout", NULL, -1, 0, NULL, 0, NULL },
	{ "unexpected-eof", N, "unexpected eof", NULL, -1, 0, NULL, 0, NULL },
	{ "connection-reset", N, "connection reset", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "connection-timed-out", N, "connection timed out", NULL, -1, 0, NULL,
	    0, NULL },
	{ "network-unreachable", N, "network is unreachable", NULL, -1, 0, NULL,
	    0, NULL },
	{ "no-route-to-host", N, "no route to host", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "http-502", N, "502 bad gateway", NULL, -1, 0, NULL, 0, NULL },
	{ "http-503", N, "503 service unavailable", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "http-504", N, "504 gateway timeout", NULL, -1, 0, NULL, 0, NULL },
	{ "http-500-ise", N, "500 internal server error", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "status-code-5xx", N, "status code 5", "status code 5[0-9][0-9]", -1,
	    0, NULL, 0, NULL },
	{ "cargo-got-5xx", N, "failed to get 200 response", "got 5[0-9][0-9]",
	    -1, 0, NULL, 0, NULL },
	{ "cache-service-5xx", N, "cache service responded with 5", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "cargo-spurious", N, "spurious network error", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "curl-timeout", N, "timeout was reached", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "npm-network-aborted", N, "network aborted", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "npm-invalid-response-body", N,
	    "invalid response body while trying to fetch", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "yarn-network-trouble", N,
	    "there appears to be trouble with your network connection", NULL,
	    -1, 0, NULL, 0, NULL },
	{ "pnpm-meta-fetch-fail", N, "err_pnpm_meta_fetch_fail", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "socket-timeout", N, "err_socket_timeout", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "pip-read-timeout", N, "readtimeouterror", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "read-timed-out", N, "read timed out", NULL, -1, 0, NULL, 0, NULL },
	{ "pip-connection-broken", N, "connection broken by", NULL, -1, 0, NULL,
	    0, NULL },
	{ "maven-transfer", N, "could not transfer artifact", NULL, -1, 0, NULL,
	    0, NULL },
	{ "unknown-host", N, "unknown host", NULL, -1, 0, NULL, 0, NULL },
	{ "cargo-download-failed", N, "failed to download from", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "git-rpc-failed", N, "rpc failed; curl", NULL, -1, 0, NULL, 0, NULL },
	{ "git-sideband", N,
	    "unexpected disconnect while reading sideband packet", NULL, -1, 0,
	    NULL, 0, NULL },
	{ "git-early-eof", N, "early eof", NULL, -1, 0, NULL, 0, NULL },
	{ "git-remote-hung-up", N, "the remote end hung up unexpectedly", NULL,
	    -1, 0, NULL, 0, NULL },
	{ "git-index-pack", N, "index-pack failed", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "http2-stream", N, "was not closed cleanly", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "go-client-timeout", N, "client.timeout exceeded", NULL, -1, 0, NULL,
	    0, NULL },
	{ "go-request-canceled", N,
	    "request canceled while waiting for connection", NULL, -1, 0, NULL,
	    0, NULL },
	{ "apt-hash-sum-mismatch", N, "hash sum mismatch", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "apt-index-failed", N, "some index files failed to download", NULL,
	    -1, 0, NULL, 0, NULL },
	{ "apt-mirror-sync", N, "mirror sync in progress", NULL, -1, 0, NULL, 0,
	    NULL },
	{ "tls-syscall", N, "ssl_error_syscall", NULL, -1, 0, NULL, 0, NULL },
	{ "gnutls-handshake", N, "gnutls_handshake() failed", NULL, -1, 0, NULL,
	    0, NULL },
	{ "socket-hang-up", N, "socket hang up", NULL, -1, 0, NULL, 0, NULL },
};

void
heal_rules_builtin(struct heal_rules *rs)
{
	bool fresh = rs->nr == 0; /* the ids below are unique */
	size_t i;

	xgrow((void **)&rs->v, &rs->alloc, rs->nr + ARRAY_SIZE(builtins),
	    sizeof(*rs->v));
	for (i = 0; i < ARRAY_SIZE(builtins); i++) {
		const struct builtin *b = &builtins[i];
		struct heal_rule r;

		memset(&r, 0, sizeof(r));
		strlist_init(&r.near);
		strlist_init(&r.clean);
		r.id = xstrdup(b->id);
		r.builtin = true;
		r.cls = b->cls;
		r.contains = b->contains ? xstrdup(b->contains) : NULL;
		r.regex = b->regex ? xstrdup(b->regex) : NULL;
		r.exit_code = b->exit_code;
		r.signal = b->signal;
		if (b->near)
			strlist_push(&r.near, b->near);
		r.window = b->window;
		if (b->clean)
			strlist_split(&r.clean, b->clean, ';', 1);
		if (fresh)
			(void)heal_rules_add_new(rs, &r);
		else
			(void)heal_rules_add(rs, &r);
	}
	/* per-run retry caps (§10): one cleanup or OOM retry is enough */
	rs->limit[HEAL_DISK_FULL] = 1;
	rs->limit[HEAL_CACHE_CORRUPT] = 1;
	rs->limit[HEAL_OOM] = 1;
	rs->limit[HEAL_INFRA] = 2;
	rs->limit[HEAL_FLAKY_TEST] = 1;
}
