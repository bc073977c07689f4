#ifndef CHAOS_TESTUTIL_H
#define CHAOS_TESTUTIL_H

/*
 * Helpers shared by the chaos-inject tests: run a program with extra
 * environment and capture its stdout; make a temp dir; a loopback echo
 * server in a child process. Header-only so each test stays one file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Runs argv with environ + extra (NULL-terminated "K=V"), stdout captured
 * into out (NUL-terminated, truncated at cap). Returns the wait status. */
static inline int
chaos_run_capture(
    char *const argv[], char *const extra[], char *out, size_t cap)
{
	int p[2], status = -1;
	size_t len = 0;
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		size_t i;

		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		for (i = 0; extra != NULL && extra[i] != NULL; i++)
			putenv(extra[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t k = read(p[0], out + len, cap - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		if (len == cap - 1)
			break;
	}
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return status;
}

/* Runs `sh -c` on the formatted command (at most 4 KiB), stdout into out
 * as chaos_run_capture does; returns the exit code, 128+N for signal N.
 * Each test file wraps it as sh(...) with its own buffer. */
static inline int __attribute__((format(printf, 3, 4)))
chaos_sh(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[4096], *argv[4];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	argv[0] = (char *)"/bin/sh";
	argv[1] = (char *)"-c";
	argv[2] = cmd;
	argv[3] = NULL;
	st = chaos_run_capture(argv, NULL, out, cap);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline size_t
chaos_count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* A loopback TCP echo server on an ephemeral port, in a child process. */
struct chaos_echo {
	pid_t pid;
	int port;
};

static inline int
chaos_echo_start(struct chaos_echo *e)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	e->port = ntohs(sa.sin_port);
	e->pid = fork();
	if (e->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* never outlive the test, never hold its stdout */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		signal(SIGCHLD, SIG_IGN);
		for (;;) {
			int c = accept(fd, NULL, NULL);
			if (c < 0)
				continue;
			if (fork() == 0) {
				char buf[65536];
				ssize_t k;
				while ((k = read(c, buf, sizeof(buf))) > 0)
					if (write(c, buf, (size_t)k) != k)
						break;
				_exit(0);
			}
			close(c);
		}
	}
	close(fd);
	return e->pid > 0 ? 0 : -1;
}

static inline void
chaos_echo_stop(struct chaos_echo *e)
{
	if (e->pid > 0) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
		e->pid = -1;
	}
}

#endif
