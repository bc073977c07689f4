#include "common/compat.h"

#include <string.h>

#include "tcase.h"

#define MAX_SECONDS 1000000000LL

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Decides which characters are decimal points and which group digits. */
static char
decimal_point(const char *s, size_t len)
{
	size_t i, commas = 0;
	bool dot = false;

	for (i = 0; i < len; i++) {
		if (s[i] == ',')
			commas++;
		else if (s[i] == '.')
			dot = true;
	}
	return (commas == 1 && !dot) ? ',' : '.';
}

int
tcase_parse_seconds(const char *s, size_t len, int64_t *us)
{
	char point;
	int64_t mant = 0, exp10, frac_digits = 0, e = 0;
	size_t i = 0;
	bool any = false, in_frac = false, eneg = false, round_up = false;
	int digits = 0;

	while (len && is_space(s[len - 1]))
		len--;
	while (i < len && is_space(s[i]))
		i++;
	if (i < len && s[i] == '+')
		i++;
	point = decimal_point(s + i, len - i);
	for (; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9') {
			any = true;
			if (digits >= 18) {
				/* Keep 18 significant digits; the next decides
				 * rounding, the rest only scale. */
				if (!in_frac)
					frac_digits--;
				if (digits == 18)
					round_up = c >= '5';
				digits++;
				continue;
			}
			if (mant || c != '0')
				digits++;
			mant = mant * 10 + (c - '0');
			if (in_frac)
				frac_digits++;
		} else if (c == point && !in_frac) {
			in_frac = true;
		} else if (c == ',' || c == '_') {
			if (in_frac)
				return -1;
		} else if (c == 'e' || c == 'E') {
			break;
		} else {
			return -1;
		}
	}
	if (!any)
		return -1;
	if (i < len) {
		bool edig = false;

		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		for (; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			edig = true;
			if (e < 1000)
				e = e * 10 + (s[i] - '0');
		}
		if (!edig)
			return -1;
	}
	if (round_up)
		mant++;
	/* value = mant * 10^(exp10), in microseconds: shift by +6. */
	exp10 = (eneg ? -e : e) - frac_digits + 6;
	while (exp10 > 0 && mant) {
		if (mant > MAX_SECONDS * 1000000 / 10)
			return -1;
		mant *= 10;
		exp10--;
	}
	if (exp10 < -19) {
		mant = 0;
	} else {
		while (exp10 < 0) {
			int64_t r = mant % 10;

			mant /= 10;
			exp10++;
			if (exp10 == 0 && r >= 5)
				mant++;
		}
	}
	if (mant > MAX_SECONDS * 1000000)
		return -1;
	*us = mant;
	return 0;
}

void
tcase_normalize_path(char *path, const char *root)
{
	size_t rl, n, i, j;

	for (i = 0; path[i]; i++)
		if (path[i] == '\\')
			path[i] = '/';
	if (root && *root) {
		rl = strlen(root);
		while (rl > 1 && root[rl - 1] == '/')
			rl--;
		if (strncmp(path, root, rl) == 0 && path[rl] == '/')
			memmove(path, path + rl + 1, strlen(path + rl + 1) + 1);
	}
	while (path[0] == '.' && path[1] == '/')
		memmove(path, path + 2, strlen(path + 2) + 1);
	n = strlen(path);
	for (i = j = 0; i < n; i++) {
		if (path[i] == '/' && j > 0 && path[j - 1] == '/')
			continue;
		path[j++] = path[i];
	}
	path[j] = '\0';
	while (path[0] == '.' && path[1] == '/')
		memmove(path, path + 2, strlen(path + 2) + 1);
}
