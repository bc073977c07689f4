#ifndef AUDIT_VERIFY_SCAN_H
#define AUDIT_VERIFY_SCAN_H

#include "log_store.h"
#include "verify.h"

/*
 * The entry pass of log_verify: checks every committed entry's framing,
 * its end offset in `offsets`, its leaf hash and the tree nodes it completes
 * in `hashes` (and with strict, that it is a canonical JSON object).
 *
 * The files are mapped and cut into chunks of entries that the online CPUs
 * check in parallel. A node is checked against its two stored children,
 * which is equivalent to rebuilding the tree because the children were
 * checked first; so the first failing chunk holds exactly the problem a
 * sequential pass would have reported first, and the report does not
 * depend on the threading.
 *
 * Returns 0 (r->size, r->bytes and r->root set), 1 after reporting the
 * first problem with error_msg, or -1 if it could not run.
 */
int verify_scan(struct log_store *l, bool strict, struct verify_result *r);

#endif
