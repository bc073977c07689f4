#ifndef BULWARK_TEST_FAKESERVER_H
#define BULWARK_TEST_FAKESERVER_H

#include <limits.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

/*
 * Runs tests/helpers/fake_github.py (the scenario-driven fake GitHub API,
 * format documented at the top of that file) as a child process on
 * 127.0.0.1 for one test.
 *
 * fake_github_start: scenario_path is a JSON scenario file (relative
 * "file" bodies resolve against its directory). fake_github_start_json
 * writes the text to a temp file first. Both return 0 once the server
 * listens, with srv->url = "http://127.0.0.1:<port>".
 *
 * fake_github_requests: every request received so far, in arrival order,
 * as a new cJSON array of {"method","target","path","query","headers",
 * "body","route"} objects; the caller deletes it.
 *
 * fake_github_stop: SIGTERM, reap and remove the temp dir. Safe to call
 * twice. The script is found through $BULWARK_HELPERS, else next to this
 * source file.
 */
struct fake_github {
	char url[64];
	int port;
	pid_t pid;
	char dir[PATH_MAX];
};

int fake_github_start(struct fake_github *srv, const char *scenario_path);
int fake_github_start_json(struct fake_github *srv, const char *scenario);
void fake_github_stop(struct fake_github *srv);
int fake_github_requests(struct fake_github *srv, cJSON **log_array);

#endif
