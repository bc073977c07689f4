#include "common/compat.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "heal.h"

/*
 * Live relay of the child's output. proc hands us every read (up to
 * 64 KiB) as it comes, so the raw bytes go out with one write(2) per read:
 * no per-line syscall, nothing held back, stdout and stderr in the order
 * they were read. Lines are only scanned here.
 */

static void
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* a closed stdout must not stop the child */
		}
		p += w;
		n -= (size_t)w;
	}
}

void
heal_relay_start(struct heal_relay *r, struct heal_scan *scan, bool quiet)
{
	memset(r, 0, sizeof(*r));
	r->scan = scan;
	r->quiet = quiet;
}

void
heal_relay_chunk(enum proc_stream s, const char *data, size_t len, void *ctx)
{
	struct heal_relay *r = ctx;
	int k = s == PROC_STDERR ? 1 : 0;

	if (r->quiet || len == 0)
		return;
	write_all(k + 1, data, len);
	r->unterminated[k] = data[len - 1] != '\n';
}

void
heal_relay_line(
    enum proc_stream s, const char *line, size_t len, bool partial, void *ctx)
{
	struct heal_relay *r = ctx;

	(void)s;
	(void)partial;
	heal_scan_line(r->scan, line, len);
}

void
heal_relay_stop(struct heal_relay *r)
{
	int k;

	/* our own messages (and ::stop-commands::) must start a line */
	for (k = 0; k < 2; k++) {
		if (r->unterminated[k])
			write_all(k + 1, "\n", 1);
		r->unterminated[k] = false;
	}
}
