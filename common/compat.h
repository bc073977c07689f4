#ifndef BULWARK_COMPAT_H
#define BULWARK_COMPAT_H

/*
 * First include of every .c in common/ and actions/: feature macros, the
 * attributes we use, and banned.h (last, as in git-compat-util.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/*
 * Every header that declares a banned function is included here, before
 * banned.h, so that glibc's fortified inline definitions are compiled
 * first and later includes are no-ops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__)
#define ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ATTR_NORETURN __attribute__((noreturn))
#define ATTR_UNUSED __attribute__((unused))
#define ATTR_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define ATTR_PRINTF(f, a)
#define ATTR_NORETURN
#define ATTR_UNUSED
#define ATTR_WARN_UNUSED
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include "common/banned.h"

#endif
