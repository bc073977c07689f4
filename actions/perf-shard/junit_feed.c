#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "junit_int.h"

/* Bytes handed to expat at once. */
#define CHUNK ((size_t)1 << 20)

static int
feed(struct jstate *s, const char *what, const char *data, size_t len,
    bool final)
{
	if (XML_Parse(s->p, data, (int)len, final) == XML_STATUS_OK)
		return 0;
	if (s->err)
		return -1;
	return error_msg("'%s': not well-formed JUnit XML at line %lu: %s",
	    what, (unsigned long)XML_GetCurrentLineNumber(s->p),
	    XML_ErrorString(XML_GetErrorCode(s->p)));
}

static int
feed_pieces(struct jstate *s, const char *what, const char *data, size_t len)
{
	while (len > CHUNK) {
		if (feed(s, what, data, CHUNK, false) < 0)
			return -1;
		data += CHUNK;
		len -= CHUNK;
	}
	return len ? feed(s, what, data, len, false) : 0;
}

static int
feed_newlines(struct jstate *s, const char *what, size_t k)
{
	char nl[256];

	memset(nl, '\n', sizeof(nl));
	for (; k > sizeof(nl); k -= sizeof(nl))
		if (feed(s, what, nl, sizeof(nl), false) < 0)
			return -1;
	return k ? feed(s, what, nl, k, false) : 0;
}

static size_t
find(const char *d, size_t from, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	const char *e;

	if (from > len)
		return SIZE_MAX;
	e = memmem(d + from, len - from, needle, n);
	return e ? (size_t)(e - d) : SIZE_MAX;
}

static bool
at(const char *d, size_t i, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len - i >= n && !memcmp(d + i, lit, n);
}

/*
 * Failure reports are mostly CDATA stack traces, and expat spends most of
 * its time tokenising them although only a <time> element's text matters.
 * So the document is scanned for CDATA sections in content (not inside
 * comments, processing instructions or tags; a DOCTYPE turns the skipping
 * off) and each is replaced by its newlines (error line numbers stay
 * right) unless expat, fed everything before it, is inside <time>.
 */
static int
feed_skipping(struct jstate *s, const char *what, const char *d, size_t len)
{
	size_t seg = 0, i = 0, j, e, k;

	while (i < len) {
		const char *lt = memchr(d + i, '<', len - i);
		char q = 0;

		if (!lt)
			break;
		j = (size_t)(lt - d);
		if (at(d, j, len, "<!--") || at(d, j, len, "<?")) {
			bool pi = d[j + 1] == '?';

			e = find(d, j + 2, len, pi ? "?>" : "-->");
			if (e == SIZE_MAX)
				break;
			i = e + (pi ? 2 : 3);
			continue;
		}
		if (at(d, j, len, "<!DOCTYPE"))
			break;
		if (at(d, j, len, "<![CDATA[")) {
			e = find(d, j + 9, len, "]]>");
			if (e == SIZE_MAX)
				break;
			i = e + 3;
			if (feed_pieces(s, what, d + seg, j - seg) < 0)
				return -1;
			seg = j;
			if (s->in_time)
				continue;
			for (k = 0, seg = j; seg < i; k++) {
				const char *n = memchr(d + seg, '\n', i - seg);

				if (!n)
					break;
				seg = (size_t)(n - d) + 1;
			}
			if (feed_newlines(s, what, k) < 0)
				return -1;
			seg = i;
			continue;
		}
		for (i = j + 1; i < len; i++) {
			if (q) {
				if (d[i] == q)
					q = 0;
			} else if (d[i] == '"' || d[i] == '\'') {
				q = d[i];
			} else if (d[i] == '>') {
				break;
			}
		}
		i++;
	}
	return feed_pieces(s, what, d + seg, len - seg);
}

int
junit_parse_mem(const char *data, size_t len, const char *what,
    const char *root, tcase_fn *fn, void *ctx, struct junit_stats *st)
{
	struct jstate s;
	int ret = -1;

	jstate_init(&s, root);
	if (feed_skipping(&s, what, data, len) < 0 ||
	    feed(&s, what, "", 0, true) < 0)
		goto out;
	ret = jstate_deliver(&s, fn, ctx, st);
	if (st) {
		st->files++;
		st->bytes += len;
	}
out:
	jstate_release(&s);
	return ret;
}

int
junit_parse_file(const char *path, const char *root, tcase_fn *fn, void *ctx,
    struct junit_stats *st)
{
	struct jstate s;
	int fd, ret = -1;
	uint64_t total = 0;
	char *chunk = NULL;
	struct stat sb;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (uint64_t)sb.st_size < ((uint64_t)1 << 40)) {
		/* a file: mapped whole, so CDATA can be skipped (above) */
		void *m = mmap(
		    NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			ret = junit_parse_mem(
			    m, (size_t)sb.st_size, path, root, fn, ctx, st);
			munmap(m, (size_t)sb.st_size);
			if (fd > 0)
				close(fd);
			return ret;
		}
	}
	jstate_init(&s, root);
	for (;;) {
		/* read straight into expat's buffer: no copy per chunk */
		ssize_t n;

		chunk = XML_GetBuffer(s.p, (int)CHUNK);
		if (!chunk)
			die(125, "out of memory");
		n = read(fd, chunk, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_errno("cannot read '%s'", path);
			goto out;
		}
		total += (uint64_t)n;
		if (XML_ParseBuffer(s.p, (int)n, n == 0) != XML_STATUS_OK) {
			if (!s.err)
				error_msg("'%s': not well-formed JUnit XML at "
				          "line %lu: %s",
				    path,
				    (unsigned long)XML_GetCurrentLineNumber(
				        s.p),
				    XML_ErrorString(XML_GetErrorCode(s.p)));
			goto out;
		}
		if (n == 0)
			break;
	}
	ret = jstate_deliver(&s, fn, ctx, st);
	if (st) {
		st->files++;
		st->bytes += total;
	}
out:
	if (fd > 0)
		close(fd);
	jstate_release(&s);
	return ret;
}
