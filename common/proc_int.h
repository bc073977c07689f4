#ifndef BULWARK_PROC_INT_H
#define BULWARK_PROC_INT_H
/* Shared by proc.c (waiting, streams, signals) and proc_spawn.c. */

/* close(*fd) if open, then *fd = -1. */
void proc_close_fd(int *fd);
#endif
