#ifndef AUDIT_CPU_H
#define AUDIT_CPU_H
#include <stdbool.h>
/*
 * Which SIMD hashers this CPU (and OS) can run. glibc's loader has already
 * probed the CPU, so on glibc these read its table: CPUID is a VM exit
 * under a hypervisor (~2 us each here), paid by every append otherwise.
 * Elsewhere (musl, other arches) they fall back to CPUID/XGETBV.
 * BULWARK_NO_SIMD in the environment turns both off, so the tests cover
 * the portable paths on any CPU. Answers are cached; thread-safe.
 */
bool cpu_has_sha_ni(void);   /* SHA extensions + SSSE3 + SSE4.1 */
bool cpu_has_avx512bw(void); /* AVX-512 F+BW with ZMM state enabled */
#endif
