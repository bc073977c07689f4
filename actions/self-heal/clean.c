#include "common/compat.h"

#include <string.h>

#include "common/buf.h"
#include "heal.h"

/* Cleaning a log line before matching (GitHub's timestamp prefix, ANSI
 * escapes, CRs) and copying evidence into our own output safely. */

/* "2024-10-18T23:27:40.6602932Z " : digits and punctuation at fixed
 * places, any number of fractional digits. */
size_t
heal_timestamp_len(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (len < 20)
		return 0;
	for (i = 0; i < 19; i++) {
		char c = s[i];
		if (shape[i] == 'd' ? (c < '0' || c > '9') : c != shape[i])
			return 0;
	}
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i < len && s[i] == 'Z')
		i++;
	else
		return 0;
	if (i < len && s[i] == ' ')
		i++;
	return i;
}

void
heal_clean_line(const char *line, size_t len, struct buf *out)
{
	size_t i = heal_timestamp_len(line, len), base = out->len;

	if (!memchr(line + i, 0x1b, len - i) &&
	    !memchr(line + i, '\r', len - i)) {
		(void)buf_add(out, line + i, len - i);
		return;
	}
	for (; i < len; i++) {
		if (line[i] == '\r') {
			/* a progress bar: keep what follows the last CR */
			if (i + 1 < len)
				buf_truncate(out, base);
			continue;
		}
		if (line[i] != 0x1b) {
			(void)buf_addch(out, line[i]);
			continue;
		}
		if (i + 1 < len && line[i + 1] == '[') {
			/* CSI: parameters and intermediates, then a final
			 * byte in 0x40-0x7e */
			for (i += 2; i < len; i++)
				if (line[i] >= 0x40 && line[i] <= 0x7e)
					break;
		} else if (i + 1 < len && line[i + 1] == ']') {
			/* OSC: up to BEL or ESC \ */
			for (i += 2; i < len; i++) {
				if (line[i] == 0x07)
					break;
				if (line[i] == 0x1b && i + 1 < len &&
				    line[i + 1] == '\\') {
					i++;
					break;
				}
			}
		} else {
			/* other escapes: intermediates 0x20-0x2f, then one
			 * final byte ("ESC ( B") */
			for (i++;
			     i + 1 < len && line[i] >= 0x20 && line[i] <= 0x2f;
			     i++)
				;
		}
	}
}

void
heal_evidence_copy(char *dst, size_t cap, const char *s, size_t len)
{
	size_t i, n = 0;

	/* skip leading blanks */
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (cap == 0)
		return;
	if (len > cap - 1) {
		len = cap - 1;
		/* do not end inside a UTF-8 sequence */
		while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	while (n && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}
