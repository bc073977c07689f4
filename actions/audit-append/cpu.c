#include "common/compat.h"

#include <stdlib.h>

#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_X86 1
#if defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define HAVE_GLIBC_CPU 1
#endif
#endif
#ifndef HAVE_GLIBC_CPU
#include <cpuid.h>
#endif
#endif

enum {
	CPU_SHA = 1,
	CPU_AVX512 = 2
};

#if defined(HAVE_X86) && !defined(HAVE_GLIBC_CPU)
static int
probe(void)
{
	unsigned a, b, c, d, xlo, xhi, ecx1;
	int f = 0;

	if (!__get_cpuid(1, &a, &b, &ecx1, &d) ||
	    !__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	if ((ecx1 & bit_SSE4_1) && (ecx1 & bit_SSSE3) && (b & (1u << 29)))
		f |= CPU_SHA;
	if ((ecx1 & bit_OSXSAVE) && (b & bit_AVX512F) && (b & bit_AVX512BW)) {
		/* the OS saves the opmask and all 32 ZMM registers (XCR0) */
		__asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
		(void)xhi;
		if ((xlo & 0xe6) == 0xe6)
			f |= CPU_AVX512;
	}
	return f;
}
#elif defined(HAVE_GLIBC_CPU)
static int
probe(void)
{
	int f = 0;

	if (CPU_FEATURE_ACTIVE(SSE4_1) && CPU_FEATURE_ACTIVE(SSSE3) &&
	    CPU_FEATURE_ACTIVE(SHA))
		f |= CPU_SHA;
	if (CPU_FEATURE_ACTIVE(AVX512F) && CPU_FEATURE_ACTIVE(AVX512BW))
		f |= CPU_AVX512;
	return f;
}
#else
static int
probe(void)
{
	return 0;
}
#endif

static int
features(void)
{
	/* -1 unknown; racing first calls store the same answer. */
	static _Atomic int have = -1;
	int v = have;

	if (v < 0) {
		v = getenv("BULWARK_NO_SIMD") != NULL ? 0 : probe();
		have = v;
	}
	return v;
}

bool
cpu_has_sha_ni(void)
{
	return (features() & CPU_SHA) != 0;
}

bool
cpu_has_avx512bw(void)
{
	return (features() & CPU_AVX512) != 0;
}
