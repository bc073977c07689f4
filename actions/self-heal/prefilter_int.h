/*
 * The prefilter's tables, shared by prefilter_build.c (which fills them)
 * and prefilter.c (which scans with them). Not for other files.
 */
#ifndef HEAL_PREFILTER_INT_H
#define HEAL_PREFILTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PF_NPOS 4    /* bytes in a pattern's window */
#define PF_MAXOFF 15 /* how far into its pattern a window may start */
#define PF_NBUCKET 8
#define PF_WINBITS 16

struct heal_pf {
	/* lo[k], hi[k]: bucket bits by nibble of the window's byte k, each
	 * 16-entry table twice (AVX2 shuffles within 128-bit halves) */
	uint8_t lo[PF_NPOS][32];
	uint8_t hi[PF_NPOS][32];
	/* pf_hash of every window: a marked position whose four bytes hash
	 * elsewhere starts no window */
	uint64_t win[((size_t)1 << PF_WINBITS) / 64];
	bool exact;  /* every pattern has a whole window: win decides */
	size_t lead; /* the largest window offset taken */
	/* bytes left before the filter is tried again, after a block where
	 * candidates were too dense to pay (a hint, not state: any value
	 * gives the same results) */
	_Atomic size_t rest;
};

/* Four bytes as loaded little-endian, ORed with 0x20 each: ASCII letters
 * fold to lower case (and a few other bytes collide: a superset). */
static inline unsigned
pf_hash(uint32_t v)
{
	return (
	    unsigned)(((v | 0x20202020u) * 0x9e3779b1u) >> (32 - PF_WINBITS));
}

struct heal_pf *pf_new(const char *const *pats, size_t n);

#endif
