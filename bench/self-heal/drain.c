/*
 * A model of the Actions runner for the streaming benchmark: runs a
 * command with its stdout and stderr on two pipes, as the runner runs a
 * step, and reads both to the end (64 KiB reads, discarded), then exits
 * with the command's status. The same drain sits behind the child run
 * directly and behind `self-heal run -- child`, so the ratio shows what
 * the relay adds in a workflow step, where the child never writes
 * straight to /dev/null.
 *
 *     drain CMD [ARG...]
 */
#define _GNU_SOURCE
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int
main(int argc, char **argv)
{
	static char buf[65536];
	posix_spawn_file_actions_t fa;
	int out[2], err[2], status;
	struct pollfd pfd[2];
	pid_t pid;

	if (argc < 2 || pipe(out) < 0 || pipe(err) < 0)
		return 2;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	posix_spawn_file_actions_addclose(&fa, err[0]);
	if (posix_spawnp(&pid, argv[1], &fa, NULL, argv + 1, environ) != 0)
		return 127;
	close(out[1]);
	close(err[1]);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		int i;

		if (poll(pfd, 2, -1) < 0)
			continue;
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (read(pfd[i].fd, buf, sizeof(buf)) <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
	if (waitpid(pid, &status, 0) < 0)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
