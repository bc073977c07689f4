#include "common/compat.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common/config.h"
#include "common/exitcode.h"
#include "common/gha.h"
#include "common/log.h"
#include "entry.h"
#include "log_store.h"
#include "report.h"

static const struct config_key slo_keys[] = {
	{ "ci-success-rate", OPT_T_STRING, offsetof(struct slo, success_target),
	    0, 0, NULL },
	{ "ci-duration-p95", OPT_T_DURATION, offsetof(struct slo, p95_ms), 0, 0,
	    NULL },
	{ "freeze-at-percent", OPT_T_INT, offsetof(struct slo, freeze_pct), 1,
	    100, NULL },
	CONFIG_KEY_END,
};

int
aa_report(struct aa_opts *o)
{
	struct log_store l = LOG_STORE_INIT;
	struct config_doc doc = CONFIG_DOC_INIT;
	struct slo slo = { NULL, 0, 75 };
	struct report r;
	struct buf md = BUF_INIT(0), js = BUF_INIT(0), svg = BUF_INIT(0);
	int64_t since = INT64_MIN;
	int ret = RC_USAGE;

	memset(&r, 0, sizeof(r));
	if (o->log == NULL) {
		error_msg("report needs --log DIR");
		goto out;
	}
	if (o->since != NULL && entry_parse_time(o->since, &since) < 0) {
		error_msg("invalid --since '%s': expected RFC 3339 such as "
		          "2026-01-01T00:00:00Z",
		    o->since);
		goto out;
	}
	if (o->slo_file != NULL &&
	    config_load(&doc, o->slo_file, slo_keys, &slo) < 0)
		goto out;
	if (aa_need_log(o->log) < 0)
		goto out;
	ret = RC_WRAPPER;
	if (log_store_open(&l, o->log, 0) < 0)
		goto out;
	if (report_build(&l, since, o->slo_file ? &slo : NULL, &r) < 0) {
		ret = RC_USAGE;
		goto out;
	}
	if (report_markdown(&r, &md) < 0 || report_json(&r, &js) < 0)
		goto out;
	if (o->svg != NULL &&
	    (report_svg(&r, &svg) < 0 ||
	        aa_write_output(o->svg, svg.data, svg.len) < 0))
		goto out;
	fputs(o->json ? js.data : md.data, stdout);
	if (gha_summary_append(md.data) < 0)
		goto out;
	{
		const struct gha_output outs[] = { { "report", js.data },
			{ "freeze", r.freeze ? "true" : "false" } };

		if (gha_set_outputs(outs, ARRAY_SIZE(outs)) < 0)
			goto out;
	}
	ret = RC_OK;
out:
	report_release(&r);
	log_store_close(&l);
	config_release(&doc);
	buf_release(&md);
	buf_release(&js);
	buf_release(&svg);
	return ret;
}
