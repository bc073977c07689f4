#include "common/compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chaos_report.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/json.h"
#include "common/log.h"
#include "common/version.h"
#include "common/xalloc.h"

#define FAULT_LOG_MAX ((size_t)32 << 20)
#define MAX_FAULTS 100000

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
iso_time(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
chaos_report_init(struct chaos_report *r)
{
	memset(r, 0, sizeof(*r));
}

void
chaos_report_release(struct chaos_report *r)
{
	cJSON_Delete(r->root);
	r->root = NULL;
}

void
chaos_report_begin(struct chaos_report *r, const struct chaos_run_opts *o,
    const struct chaos_plan *p, uint64_t seed, char **cmd)
{
	cJSON *arr;
	char ts[32];
	size_t i;

	r->root = cJSON_CreateObject();
	r->start_ms = now_ms();
	r->seed = seed;
	iso_time(r->start_ms, ts, sizeof(ts));
	cJSON_AddStringToObject(r->root, "tool", "chaos-inject");
	cJSON_AddStringToObject(r->root, "version", BULWARK_VERSION);
	cJSON_AddStringToObject(
	    r->root, "scenario", o->scenario ? o->scenario : "custom");
	cJSON_AddNumberToObject(r->root, "seed", (double)seed);
	cJSON_AddStringToObject(r->root, "start", ts);
	arr = cJSON_AddArrayToObject(r->root, "command");
	for (i = 0; cmd[i] != NULL; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(cmd[i]));
	cJSON_AddStringToObject(r->root, "rules", p->rules.data);
	arr = cJSON_AddArrayToObject(r->root, "mechanisms");
	for (i = 0; i < p->notes.nr; i++)
		cJSON_AddItemToArray(
		    arr, cJSON_CreateString(p->notes.items[i]));
	arr = cJSON_AddArrayToObject(r->root, "fallbacks");
	for (i = 0; i < p->fallbacks.nr; i++)
		cJSON_AddItemToArray(
		    arr, cJSON_CreateString(p->fallbacks.items[i]));
	r->actions = cJSON_AddArrayToObject(r->root, "actions");
	cJSON_AddArrayToObject(r->root, "mutations");
	r->faults = cJSON_AddArrayToObject(r->root, "faults");
}

void
chaos_report_note(struct chaos_report *r, const char *fmt, ...)
{
	struct buf b = BUF_INIT(0);
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	info_msg("%s", b.data);
	if (r->actions != NULL)
		cJSON_AddItemToArray(r->actions, cJSON_CreateString(b.data));
	buf_release(&b);
}

void
chaos_report_fault(struct chaos_report *r, pid_t pid, const char *call,
    size_t n, const char *action, const char *path)
{
	cJSON *f;

	if (r->root == NULL)
		return;
	r->nfaults++;
	f = cJSON_CreateObject();
	cJSON_AddNumberToObject(f, "pid", (double)pid);
	cJSON_AddStringToObject(f, "lineage", "controller");
	cJSON_AddNumberToObject(f, "rule", -1);
	cJSON_AddStringToObject(f, "call", call);
	cJSON_AddNumberToObject(f, "n", (double)n);
	cJSON_AddStringToObject(f, "action", action);
	if (path != NULL)
		cJSON_AddStringToObject(f, "path", path);
	cJSON_AddItemToArray(r->faults, f);
}

void
chaos_report_mutation(struct chaos_report *r, const char *path,
    const char *kind, const struct chaos_mut_result *res)
{
	cJSON *m, *arr;

	info_msg("%s '%s': %s", kind, path, res->desc);
	if (r->root == NULL)
		return;
	arr = cJSON_GetObjectItemCaseSensitive(r->root, "mutations");
	chaos_report_fault(r, getpid(), "mutate",
	    (size_t)cJSON_GetArraySize(arr) + 1, res->desc, path);
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "path", path);
	cJSON_AddStringToObject(m, "mutation", kind);
	cJSON_AddStringToObject(m, "detail", res->desc);
	cJSON_AddStringToObject(m, "sha256_before", res->before);
	cJSON_AddStringToObject(m, "sha256_after", res->after);
	cJSON_AddItemToArray(arr, m);
}

void
chaos_report_faults(struct chaos_report *r, const char *log)
{
	struct buf data = BUF_INIT(FAULT_LOG_MAX);
	struct strlist lines = STRLIST_INIT;
	size_t i;

	if (r->root == NULL || access(log, F_OK) != 0)
		return;
	if (fs_read_file(log, FAULT_LOG_MAX, &data) != 0) {
		warn_msg("fault log '%s' unreadable; faults not listed", log);
		goto out;
	}
	strlist_split(&lines, data.data, '\n', 1);
	for (i = 0; i < lines.nr; i++) {
		cJSON *f = NULL;

		r->nfaults++;
		if (r->nfaults > MAX_FAULTS)
			continue;
		if (json_parse(lines.items[i], strlen(lines.items[i]),
		        "fault log", &f) == 0)
			cJSON_AddItemToArray(r->faults, f);
	}
out:
	strlist_release(&lines);
	buf_release(&data);
}

void
chaos_report_end(struct chaos_report *r, int exit_code, bool rolled_back,
    const char *rollback_steps)
{
	struct strlist steps = STRLIST_INIT;
	cJSON *rb, *arr;
	size_t i;

	if (r->root == NULL)
		return;
	cJSON_AddStringToObject(
	    r->root, "status", exit_code >= 0 ? "completed" : "failed");
	cJSON_AddNumberToObject(r->root, "exit_code", exit_code);
	cJSON_AddNumberToObject(
	    r->root, "duration_ms", (double)(now_ms() - r->start_ms));
	cJSON_AddNumberToObject(r->root, "fault_count", (double)r->nfaults);
	rb = cJSON_AddObjectToObject(r->root, "rollback");
	cJSON_AddBoolToObject(rb, "ok", rolled_back);
	arr = cJSON_AddArrayToObject(rb, "steps");
	strlist_split(&steps, rollback_steps ? rollback_steps : "", '\n', 1);
	for (i = 0; i < steps.nr; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(steps.items[i]));
	strlist_release(&steps);
}

static int
num_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valueint : 0;
}

static void
summary(struct chaos_report *r, const char *path)
{
	struct buf md = BUF_INIT(0);
	const cJSON *f;
	size_t shown = 0;

	buf_addf(&md, "## chaos-inject: %s\n\n",
	    cJSON_GetStringValue(cJSON_GetObjectItem(r->root, "scenario")));
	buf_addf(&md, "- seed: `%llu` (replay with `--seed %llu`)\n",
	    (unsigned long long)r->seed, (unsigned long long)r->seed);
	buf_addf(&md, "- exit code: %d\n- faults injected: %zu\n",
	    num_of(r->root, "exit_code"), r->nfaults);
	buf_addf(&md, "- rolled back: %s\n- journal: `%s`\n\n",
	    cJSON_IsTrue(cJSON_GetObjectItem(
	        cJSON_GetObjectItem(r->root, "rollback"), "ok"))
	        ? "yes"
	        : "**NO**",
	    path);
	if (r->nfaults > 0)
		buf_adds(&md,
		    "| pid | call | n | action | errno |\n|---|---|---|---|---|\n");
	cJSON_ArrayForEach(f, r->faults)
	{
		const char *e =
		    cJSON_GetStringValue(cJSON_GetObjectItem(f, "errno"));

		if (++shown > 20) {
			buf_addf(
			    &md, "| … | %zu more | | | |\n", r->nfaults - 20);
			break;
		}
		buf_addf(&md, "| %d | %s | %d | %s | %s |\n", num_of(f, "pid"),
		    cJSON_GetStringValue(cJSON_GetObjectItem(f, "call")),
		    num_of(f, "n"),
		    cJSON_GetStringValue(cJSON_GetObjectItem(f, "action")),
		    e != NULL ? e : "");
	}
	if (gha_summary_append(md.data) < 0)
		warn_msg("cannot write the step summary");
	buf_release(&md);
}

int
chaos_report_write(
    struct chaos_report *r, const char *path, const char *state, bool json)
{
	struct buf def = BUF_INIT(0);
	char *text, num[32], faults[32];
	int rc = -1;

	if (r->root == NULL)
		return 0;
	if (path == NULL) {
		buf_addf(
		    &def, "%s/chaos-journal-%d.json", state, (int)getpid());
		path = def.data;
	}
	text = cJSON_Print(r->root);
	if (text == NULL)
		goto out;
	if (fs_write_atomic(path, text, strlen(text), 0644) != 0) {
		free(text);
		goto out;
	}
	if (json)
		printf("%s\n", text);
	free(text);
	info_msg("journal: %s (%zu fault(s) injected)", path, r->nfaults);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->seed);
	snprintf(faults, sizeof(faults), "%zu", r->nfaults);
	{
		const struct gha_output outs[] = { { "seed", num },
			{ "journal", path }, { "faults", faults } };

		(void)gha_set_outputs(outs, ARRAY_SIZE(outs));
	}
	summary(r, path);
	rc = 0;
out:
	buf_release(&def);
	return rc;
}

void
chaos_print_plan(const struct chaos_run_opts *o, const struct chaos_plan *p,
    uint64_t seed, const struct strlist *argv, const char *shim, bool json)
{
	size_t i;

	if (json) {
		cJSON *root = cJSON_CreateObject(), *a;
		char *text;

		cJSON_AddStringToObject(
		    root, "scenario", o->scenario ? o->scenario : "custom");
		cJSON_AddNumberToObject(root, "seed", (double)seed);
		cJSON_AddStringToObject(root, "rules", p->rules.data);
		cJSON_AddStringToObject(root, "shim", shim ? shim : "");
		a = cJSON_AddArrayToObject(root, "mechanisms");
		for (i = 0; i < p->notes.nr; i++)
			cJSON_AddItemToArray(
			    a, cJSON_CreateString(p->notes.items[i]));
		a = cJSON_AddArrayToObject(root, "command");
		for (i = 0; i < argv->nr; i++)
			cJSON_AddItemToArray(
			    a, cJSON_CreateString(argv->items[i]));
		text = cJSON_Print(root);
		printf("%s\n", text);
		free(text);
		cJSON_Delete(root);
		return;
	}
	printf("dry run: nothing will be changed\n");
	printf("scenario: %s\nseed: %llu\n",
	    o->scenario ? o->scenario : "custom", (unsigned long long)seed);
	for (i = 0; i < p->notes.nr; i++)
		printf("would: %s\n", p->notes.items[i]);
	if (p->rules.len > 0)
		printf("shim: %s\nrules: %s\n", shim ? shim : "(not found)",
		    p->rules.data);
	if (o->duration_ms > 0)
		printf(
		    "faults expire after %lld ms\n", (long long)o->duration_ms);
	printf("command:");
	for (i = 0; i < argv->nr; i++)
		printf(" %s", argv->items[i]);
	printf("\n");
}
