#ifndef AUDIT_LOG_TAIL_H
#define AUDIT_LOG_TAIL_H

#include <stddef.h>

/*
 * Commit framing of the `entries` file. Every entry is one line, so the
 * file stays JSON Lines. A commit of n entries writes its first n-1 lines
 * as "ENTRY \n" and its last as "ENTRY\n": a line ending in "}\n" closes a
 * commit. The space is framing, not part of the entry (nor of its leaf
 * hash); JSON readers skip it as whitespace.
 *
 * log_tail_scan looks at bytes past the indexed entries (left by an append
 * that was interrupted, or that committed before its index files were
 * written) and returns how many of them form complete commits of
 * plausible entries: *n entries in the first *end bytes. Anything after
 * is a torn tail. Never fails.
 */
void log_tail_scan(const char *p, size_t len, size_t *n, size_t *end);

/* Length of the entry in a line of len bytes (without its '\n'): the line
 * minus its framing space. */
static inline size_t
log_line_entry_len(const char *line, size_t len)
{
	return len > 0 && line[len - 1] == ' ' ? len - 1 : len;
}

#endif
