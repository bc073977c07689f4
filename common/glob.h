#ifndef BULWARK_GLOB_H
#define BULWARK_GLOB_H

#include "common/compat.h"
#include "common/strlist.h"

/*
 * Path globs as CI users write them: `*`, `?`, `[...]` within one path
 * segment, and `**` matching zero or more whole segments
 * (a pattern such as reports, two stars, then *.xml finds every XML
 * file at any depth below reports). Leading "./" is ignored.
 *
 * glob_match: pure string match of a '/'-separated path.
 * glob_expand: walks the file system (no symlinked directories are
 * followed), appends matching regular files to out in sorted order, and
 * returns their count; a pattern without wildcards is returned as is if
 * the file exists. At most max results (0 = 100000); more is an error.
 */
bool glob_match(const char *pattern, const char *path);
int glob_expand(const char *pattern, struct strlist *out, size_t max);

#endif
