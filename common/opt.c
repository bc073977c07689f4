#include "common/compat.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/version.h"
#include "common/xalloc.h"

enum {
	LONG_HELP = 0x1000,
	LONG_VERSION,
	LONG_BASE = 0x2000
};

int
opt_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0')
		return error_msg("'%s' is not a number", s);
	if ((min || max) && (v < min || v > max))
		return error_msg(
		    "'%s' is out of range (%ld..%ld)", s, min, max);
	*out = v;
	return 0;
}

/* llround for 0 <= v < 2^63 without libm, whose mapping costs every start
 * of every tool ~50 us for this one call: v - trunc(v) is exact. */
static int64_t
round_half_up(double v)
{
	int64_t t = (int64_t)v;

	return v - (double)t >= 0.5 ? t + 1 : t;
}

int
opt_parse_duration(const char *s, int64_t *ms)
{
	char *end;
	double v, mul;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return error_msg(
		    "'%s' is not a duration (e.g. 250ms, 30s, 5m)", s);
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return error_msg(
		    "'%s' is not a duration (e.g. 250ms, 30s, 5m)", s);
	if (v * mul > 9.0e15)
		return error_msg("duration '%s' is too long", s);
	*ms = round_half_up(v * mul);
	return 0;
}

int
opt_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	if (*s == '-')
		return error_msg("'%s' is not a size", s);
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return error_msg("'%s' is not a size (e.g. 512, 64k, 10M)", s);
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return error_msg("'%s' is not a size (e.g. 512, 64k, 10M)", s);
	}
	if (*end && end[1] != '\0' && strcmp(end + 1, "iB") != 0 &&
	    strcmp(end + 1, "B") != 0)
		return error_msg("'%s' is not a size (e.g. 512, 64k, 10M)", s);
	if (shift && v > (ULLONG_MAX >> shift))
		return error_msg("size '%s' is too large", s);
	*bytes = (uint64_t)(v << shift);
	return 0;
}

static int
opt_apply(const struct opt *o, const char *arg, bool neg)
{
	switch (o->type) {
	case OPT_T_BOOL:
		if (arg) {
			if (!strcmp(arg, "true") || !strcmp(arg, "1") ||
			    !strcmp(arg, "yes"))
				neg = false;
			else if (!strcmp(arg, "false") || !strcmp(arg, "0") ||
			         !strcmp(arg, "no") || !strcmp(arg, ""))
				neg = true;
			else
				return error_msg(
				    "'%s' is not a boolean for '--%s'", arg,
				    o->long_name);
		}
		*(bool *)o->value = !neg;
		return 0;
	case OPT_T_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPT_T_INT:
		return opt_parse_long(arg, o->min, o->max, (long *)o->value);
	case OPT_T_DURATION:
		return opt_parse_duration(arg, (int64_t *)o->value);
	case OPT_T_SIZE:
		return opt_parse_size(arg, (uint64_t *)o->value);
	case OPT_T_LIST:
		strlist_push((struct strlist *)o->value, arg);
		return 0;
	case OPT_T_VERBOSE:
		if (log_get_level() < LOG_DEBUG)
			log_set_level((enum log_level)(log_get_level() + 1));
		return 0;
	case OPT_T_QUIET:
		log_set_level(LOG_ERROR);
		return 0;
	case OPT_T_CALLBACK:
		return o->cb(o, arg);
	case OPT_T_END:
		break;
	}
	return error_msg("internal: bad option type");
}

static bool
takes_arg(const struct opt *o)
{
	switch (o->type) {
	case OPT_T_BOOL:
	case OPT_T_VERBOSE:
	case OPT_T_QUIET:
		return false;
	case OPT_T_CALLBACK:
		return o->argh != NULL;
	default:
		return true;
	}
}

static size_t
opt_count(const struct opt *opts)
{
	size_t n = 0;

	while (opts[n].type != OPT_T_END)
		n++;
	return n;
}

void
opt_print_version(FILE *fp)
{
	fprintf(
	    fp, "%s %s (%s)\n", log_prog(), BULWARK_VERSION, BULWARK_COMMIT);
}

void
opt_print_help(FILE *fp, const struct opt *opts, const char *const *usage)
{
	size_t i;

	for (i = 0; usage && usage[i]; i++)
		fprintf(fp, "%s%s\n", i == 0 ? "usage: " : "   or: ", usage[i]);
	fputc('\n', fp);
	for (i = 0; opts && opts[i].type != OPT_T_END; i++) {
		const struct opt *o = &opts[i];
		struct buf left = BUF_INIT(0);

		if (o->short_name)
			(void)buf_addf(&left, "-%c, ", o->short_name);
		else
			(void)buf_adds(&left, "    ");
		(void)buf_addf(&left, "--%s%s",
		    o->type == OPT_T_BOOL && o->long_name &&
		            strncmp(o->long_name, "no-", 3)
		        ? "[no-]"
		        : "",
		    o->long_name ? o->long_name : "");
		if (takes_arg(o))
			(void)buf_addf(&left, " %s", o->argh ? o->argh : "ARG");
		if (left.len > 26)
			fprintf(fp, "    %s\n%32s", left.data, "");
		else
			fprintf(fp, "    %-28s", left.data);
		fprintf(fp, "%s", o->help ? o->help : "");
		if (o->env)
			fprintf(fp, " [env %s]", o->env);
		fputc('\n', fp);
		buf_release(&left);
	}
	fprintf(fp, "    %-28s%s\n", "-h, --help", "show this help");
	fprintf(fp, "    %-28s%s\n", "    --version", "show the version");
}

static void
short_usage(const char *const *usage)
{
	if (usage && usage[0])
		fprintf(
		    stderr, "usage: %s\nTry '--help' for more.\n", usage[0]);
}

const char *
opt_peek(int argc, char **argv, const char *long_name)
{
	size_t n = strlen(long_name);
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			break;
		if (strncmp(a, "--", 2) || strncmp(a + 2, long_name, n))
			continue;
		if (a[2 + n] == '=')
			return a + 3 + n;
		if (a[2 + n] == '\0' && i + 1 < argc)
			return argv[i + 1];
	}
	return NULL;
}

int
opt_parse(
    int argc, char **argv, const struct opt *opts, const char *const *usage)
{
	size_t n = opts ? opt_count(opts) : 0, i, nl = 0;
	struct option *lo = xcalloc(2 * n + 3, sizeof(*lo));
	struct buf shorts = BUF_INIT(0);
	int rc = OPT_ERROR, c;

	(void)buf_adds(&shorts, "+:h");
	for (i = 0; i < n; i++) {
		const struct opt *o = &opts[i];
		const char *env = o->env ? getenv(o->env) : NULL;

		if (env && *env && opt_apply(o, env, false) < 0) {
			error_msg("from environment '%s'", o->env);
			goto out;
		}
		if (o->short_name) {
			(void)buf_addch(&shorts, (char)o->short_name);
			if (takes_arg(o))
				(void)buf_addch(&shorts, ':');
		}
		if (o->long_name) {
			lo[nl].name = o->long_name;
			lo[nl].has_arg = takes_arg(o) ? required_argument
			                 : o->type == OPT_T_BOOL
			                     ? optional_argument
			                     : no_argument;
			lo[nl].val = LONG_BASE + (int)i;
			nl++;
			if (o->type == OPT_T_BOOL) {
				/* not xasprintf: a plain append need not
				 * fault in printf's code */
				size_t len = strlen(o->long_name);
				char *neg = xmalloc(len + 4);

				memcpy(neg, "no-", 3);
				memcpy(neg + 3, o->long_name, len + 1);
				lo[nl].name = neg;
				lo[nl].val = LONG_BASE + (int)(n + i);
				nl++;
			}
		}
	}
	lo[nl].name = "help";
	lo[nl++].val = LONG_HELP;
	lo[nl].name = "version";
	lo[nl++].val = LONG_VERSION;

	optind = 0; /* glibc: full re-initialisation */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts.data, lo, NULL)) != -1) {
		const struct opt *o = NULL;
		bool neg = false;

		if (c == 'h' || c == LONG_HELP) {
			opt_print_help(stdout, opts, usage);
			rc = OPT_DONE;
			goto out;
		}
		if (c == LONG_VERSION) {
			opt_print_version(stdout);
			rc = OPT_DONE;
			goto out;
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (c == ':')
				error_msg("option '%s' needs a value", bad);
			else if (optopt && optopt < 0x100)
				error_msg("unknown option '-%c'", optopt);
			else
				error_msg("unknown option '%s'", bad);
			short_usage(usage);
			goto out;
		}
		if (c >= LONG_BASE + (int)n && c < LONG_BASE + 2 * (int)n) {
			o = &opts[c - LONG_BASE - (int)n];
			neg = true;
		} else if (c >= LONG_BASE) {
			o = &opts[c - LONG_BASE];
		} else {
			for (i = 0; i < n; i++)
				if (opts[i].short_name == c)
					o = &opts[i];
		}
		if (o == NULL) {
			error_msg("unknown option");
			short_usage(usage);
			goto out;
		}
		if (opt_apply(o, takes_arg(o) || !neg ? optarg : NULL, neg) <
		    0) {
			short_usage(usage);
			goto out;
		}
	}
	rc = optind;
out:
	for (i = 0; i < nl; i++)
		if (lo[i].val >= LONG_BASE + (int)n &&
		    lo[i].val < LONG_BASE + 2 * (int)n)
			free((char *)(uintptr_t)lo[i].name);
	free(lo);
	buf_release(&shorts);
	return rc;
}

int
opt_dispatch(
    int argc, char **argv, const struct subcmd *cmds, const char *summary)
{
	const struct subcmd *c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		FILE *fp = argc < 2 ? stderr : stdout;

		fprintf(fp, "usage: %s <command> [options]\n", log_prog());
		if (summary)
			fprintf(fp, "\n%s\n", summary);
		fprintf(fp, "\ncommands:\n");
		for (c = cmds; c->name; c++)
			fprintf(fp, "    %-14s%s\n", c->name, c->help);
		fprintf(fp,
		    "\nRun '%s <command> --help' for a command's options.\n",
		    log_prog());
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		opt_print_version(stdout);
		return 0;
	}
	for (c = cmds; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	error_msg("unknown command '%s'; try '--help'", argv[1]);
	return 2;
}
