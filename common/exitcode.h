#ifndef BULWARK_EXITCODE_H
#define BULWARK_EXITCODE_H

/*
 * Exit statuses, the same for every tool (docs/exit-codes.md). Tools that
 * wrap a command pass its status through and use the timeout(1) codes.
 */
enum {
	RC_OK = 0,           /* success */
	RC_FAIL = 1,         /* the check ran and failed */
	RC_USAGE = 2,        /* usage or configuration error */
	RC_TIMEOUT = 124,    /* wrapped command timed out */
	RC_WRAPPER = 125,    /* the wrapping tool itself failed */
	RC_NOEXEC = 126,     /* command found but not executable */
	RC_NOTFOUND = 127,   /* command not found */
	RC_SIGNAL_BASE = 128 /* + N: killed by signal N */
};

#endif
