#include "common/compat.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "fakeserver.h"

/* Servers still running when the test process exits (a failed assertion
 * skips fake_github_stop) are stopped, and their dirs removed, at exit;
 * PR_SET_PDEATHSIG covers a crash. */
static struct fake_github live[16];

static void
stop_live(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(live); i++)
		if (live[i].pid > 0)
			fake_github_stop(&live[i]);
}

static void
track(const struct fake_github *srv)
{
	static bool registered;
	size_t i;

	if (!registered && atexit(stop_live) == 0)
		registered = true;
	for (i = 0; i < ARRAY_SIZE(live); i++)
		if (live[i].pid <= 0) {
			live[i] = *srv;
			return;
		}
}

static void
untrack(pid_t pid)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(live); i++)
		if (live[i].pid == pid) {
			live[i].pid = -1;
			live[i].dir[0] = '\0';
		}
}

/* The child: quiet stdin/stdout (a test's stdout may be a pipe that must
 * reach EOF), stderr to server.err for diagnosis. */
static void ATTR_NORETURN
exec_server(const char *dir, pid_t parent, char **argv)
{
	char errf[PATH_MAX + 16];
	int null = open("/dev/null", O_RDWR), err;

	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	(void)snprintf(errf, sizeof(errf), "%s/server.err", dir);
	err = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (null >= 0) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
	}
	if (err >= 0)
		(void)dup2(err, 2);
	execvp(argv[0], argv);
	_exit(127);
}

static void
script_path(char *out, size_t n)
{
	const char *dir = getenv("BULWARK_HELPERS");
	const char *slash;

	if (dir && *dir) {
		(void)snprintf(out, n, "%s/fake_github.py", dir);
		return;
	}
	slash = strrchr(__FILE__, '/');
	(void)snprintf(out, n, "%.*s/fake_github.py",
	    slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
}

static int
make_dir(struct fake_github *srv)
{
	const char *tmp = getenv("TMPDIR");

	memset(srv, 0, sizeof(*srv));
	srv->pid = -1;
	(void)snprintf(srv->dir, sizeof(srv->dir), "%s/fakegh.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(srv->dir) == NULL)
		return error_errno("cannot create '%s'", srv->dir);
	return 0;
}

static int
read_port(const char *path)
{
	char line[32];
	FILE *f = fopen(path, "r");
	long port = -1;

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f))
		port = strtol(line, NULL, 10);
	fclose(f);
	return port > 0 && port < 65536 ? (int)port : -1;
}

static int
spawn(struct fake_github *srv, const char *scenario)
{
	char script[PATH_MAX], portf[PATH_MAX + 16], logf[PATH_MAX + 16];
	char scen[PATH_MAX], py[] = "python3", o1[] = "--scenario",
	                     o2[] = "--port-file", o3[] = "--log";
	char *argv[] = { py, script, o1, scen, o2, portf, o3, logf, NULL };
	struct timespec ts = { 0, 10 * 1000000L };
	pid_t parent;
	int i, status;

	script_path(script, sizeof(script));
	(void)snprintf(scen, sizeof(scen), "%s", scenario);
	(void)snprintf(portf, sizeof(portf), "%s/port", srv->dir);
	(void)snprintf(logf, sizeof(logf), "%s/log.jsonl", srv->dir);
	parent = getpid();
	srv->pid = fork();
	if (srv->pid < 0)
		return error_errno("cannot fork");
	if (srv->pid == 0)
		exec_server(srv->dir, parent, argv);
	track(srv);
	for (i = 0; i < 1000; i++) { /* up to 10 s */
		if ((srv->port = read_port(portf)) > 0) {
			(void)snprintf(srv->url, sizeof(srv->url),
			    "http://127.0.0.1:%d", srv->port);
			return 0;
		}
		if (waitpid(srv->pid, &status, WNOHANG) == srv->pid) {
			untrack(srv->pid);
			srv->pid = -1;
			return error_msg(
			    "'%s' exited early (see '%s/server.err')", script,
			    srv->dir);
		}
		nanosleep(&ts, NULL);
	}
	fake_github_stop(srv);
	return error_msg("'%s' did not start", script);
}

int
fake_github_start(struct fake_github *srv, const char *scenario_path)
{
	if (make_dir(srv) < 0)
		return -1;
	return spawn(srv, scenario_path);
}

int
fake_github_start_json(struct fake_github *srv, const char *scenario)
{
	char path[PATH_MAX + 16];
	FILE *f;

	if (make_dir(srv) < 0)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/scenario.json", srv->dir);
	f = fopen(path, "w");
	if (f == NULL)
		return error_errno("cannot write '%s'", path);
	fputs(scenario, f);
	if (fclose(f) != 0)
		return error_errno("cannot write '%s'", path);
	return spawn(srv, path);
}

void
fake_github_stop(struct fake_github *srv)
{
	static const char *const files[] = { "port", "log.jsonl",
		"scenario.json", "port.tmp", "server.err" };
	char path[PATH_MAX + 16];
	pid_t pid = srv->pid;
	size_t i;

	if (pid > 0) {
		kill(pid, SIGTERM);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		srv->pid = -1;
	}
	if (srv->dir[0]) {
		for (i = 0; i < ARRAY_SIZE(files); i++) {
			(void)snprintf(
			    path, sizeof(path), "%s/%s", srv->dir, files[i]);
			(void)unlink(path);
		}
		(void)rmdir(srv->dir);
		srv->dir[0] = '\0';
	}
	if (pid > 0)
		untrack(pid);
}

int
fake_github_requests(struct fake_github *srv, cJSON **log_array)
{
	char path[PATH_MAX + 16], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	cJSON *arr = cJSON_CreateArray(), *item;
	FILE *f;

	*log_array = NULL;
	(void)snprintf(path, sizeof(path), "%s/log.jsonl", srv->dir);
	f = fopen(path, "r");
	if (f == NULL) {
		*log_array = arr; /* no request yet */
		return 0;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (json_parse(line, (size_t)n, "fake server log", &item) < 0) {
			free(line);
			fclose(f);
			cJSON_Delete(arr);
			return -1;
		}
		cJSON_AddItemToArray(arr, item);
	}
	free(line);
	fclose(f);
	*log_array = arr;
	return 0;
}
