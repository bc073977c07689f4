#ifndef PERF_SHARD_TIMINGS_INT_H
#define PERF_SHARD_TIMINGS_INT_H
/* Shared by timings.c (the in-memory model) and timings_io.c (the file). */
#include "timings.h"

/* How many samples a test keeps (t->history, else the default). */
unsigned timings_history_of(const struct timings *t);
/* A new, empty record for id at the end (the index is rebuilt lazily). */
struct timing *timings_append(struct timings *t, const char *id);
/* Adds a sample, dropping the oldest beyond the history. */
void timings_push_sample(struct timings *t, struct timing *tm, int64_t us);
/* *dst = copy of s, unless s is empty or already equal. */
void timings_set_str(char **dst, const char *s);
#endif
