#ifndef BULWARK_HTTP_INT_H
#define BULWARK_HTTP_INT_H
/* Shared by http.c (requests, retries) and http_log.c (what it prints). */
#include "common/buf.h"
#include "common/compat.h"
#include "common/log.h"

/* A URL for logs: userinfo and the values of credential-like query
 * parameters (pre-signed storage URLs carry "sig=...") are masked. */
void http_url_for_log(struct buf *out, const char *url);
/* Every line http logs goes through here, with the secrets registered by
 * http_redact replaced by "***". */
void http_log(enum log_level lvl, const char *fmt, ...) ATTR_PRINTF(2, 3);
#endif
