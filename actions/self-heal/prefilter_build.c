#include "common/compat.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "heal.h"
#include "prefilter_int.h"

/*
 * Building the prefilter: which four bytes of each pattern stand for it
 * (its window), and which of the eight Teddy buckets each window joins.
 * Windows are chosen against a model of CI log text (English words,
 * digits, hex digests, punctuation) and a sample of healthy build output,
 * so that "compilation failure" is not looked for by "comp", which begins
 * half the lines of a build; buckets are chosen so that the union of
 * their windows' nibble sets stays narrow.
 */
#define NPOS PF_NPOS
#define NBUCKET PF_NBUCKET

struct bucket {
	bool used;
	unsigned lo[NPOS], hi[NPOS]; /* nibble sets by window byte */
	/* col[k][h]: chance of a byte with high nibble h and its low nibble
	 * in lo[k]; pc[k]: of one in lo[k] x hi[k]; chance: of a mark */
	double col[NPOS][16], pc[NPOS], chance;
};

static unsigned char
fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Relative frequency of a byte in CI logs, for choosing windows: letters
 * as in English text, digits and hex as in timestamps and digests. Only
 * the order of magnitude matters. */
static double
byte_weight(unsigned c)
{
	/* a..z, per mille of English letters */
	static const unsigned short en[26] = { 82, 15, 28, 43, 127, 22, 20, 61,
		70, 2, 8, 40, 24, 67, 75, 19, 1, 60, 63, 91, 28, 10, 24, 2, 20,
		1 };

	if (c >= 'a' && c <= 'z')
		return en[c - 'a'] * (c <= 'f' ? 0.6 : 0.5);
	if (c >= 'A' && c <= 'Z')
		return en[c - 'A'] * 0.05;
	if (c >= '0' && c <= '9')
		return 25;
	if (c == ' ')
		return 120;
	if (c > ' ' && c < 0x7f)
		return 4;
	if (c == '\t' || c == '\n')
		return 10;
	return 0.2;
}

/*
 * Lines of successful CI runs (cargo, make/cmake, npm, pip, go, Maven,
 * Gradle, pytest, jest, docker, git, the runner): a window found in them
 * would mark every line of a healthy build, so windows avoid them.
 */
static const char typical[] =
    "   Compiling serde v1.0.193\n    Finished release [optimized] target\n"
    "     Running unittests src/lib.rs\ntest result: ok. 12 passed; 0 "
    "failed; 0 ignored\n[ 12%] Building C object src/CMakeFiles/app.dir/"
    "main.c.o\n[100%] Linking C executable app\nScanning dependencies of "
    "target app\nBuilt target app\nmake[2]: Entering directory '/home/"
    "runner/work'\ncc -O2 -Wall -c -o util.o util.c\nadded 1234 packages, "
    "and audited 1235 packages in 12s\nfound 0 vulnerabilities\nnpm warn "
    "deprecated inflight@1.0.6\nCollecting requests>=2.31\n  Downloading "
    "requests-2.31.0-py3-none-any.whl (62 kB)\nRequirement already "
    "satisfied: idna in ./venv/lib/python3.12/site-packages\n"
    "Successfully installed certifi-2024.2.2 urllib3-2.2.1\ngo: "
    "downloading github.com/stretchr/testify v1.9.0\nok  \tgithub.com/"
    "acme/app/internal\t0.012s\n=== RUN   TestParse\n--- PASS: TestParse "
    "(0.00s)\n[INFO] Building jar: /home/runner/work/app/target/app.jar\n"
    "[INFO] BUILD SUCCESS\n[INFO] Tests run: 42, Failures: 0, Errors: 0, "
    "Skipped: 0\n> Task :compileJava\n> Task :processResources UP-TO-DATE\n"
    "BUILD SUCCESSFUL in 12s\ntests/test_api.py::test_create PASSED\n"
    "============ 12 passed in 0.34s ============\n PASS  src/app.test.js\n"
    "Tests:       12 passed, 12 total\nTest Suites: 3 passed, 3 total\n"
    "Step 3/10 : RUN apt-get update && apt-get install -y curl\n ---> "
    "Running in 4f2a9c1d\nSuccessfully built 4f2a9c1d7e0b\nSuccessfully "
    "tagged app:latest\n#5 [build 2/6] COPY package.json ./\n#5 DONE 0.1s\n"
    "Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]\n"
    "Reading package lists... Done\nSetting up libssl3:amd64 (3.0.11-1) "
    "...\nProcessing triggers for libc-bin\nCloning into 'app'...\n"
    "remote: Counting objects: 100% (12/12), done.\nReceiving objects: "
    "100% (1234/1234), 1.2 MiB | 12.3 MiB/s, done.\nResolving deltas: "
    "100% (456/456), done.\n##[group]Run actions/checkout@v4\n"
    "##[endgroup]\nPost job cleanup.\nCache restored from key: "
    "Linux-node-4f2a9c1d\nUploading artifact 'dist'\n"
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    "\nwarning: unused variable `x`\n";

/* The NPOS-byte windows of `typical`, folded, in an open-addressed set
 * (no window is 0: `typical` has no NUL). */
#define GRAMS 8192 /* a power of two, over twice the windows */

struct grams {
	uint32_t slot[GRAMS]; /* 0: empty */
};

static uint32_t
gram_of(const unsigned char *p)
{
	uint32_t g = 0;
	int k;

	_Static_assert(NPOS == 4, "a window is a uint32_t");
	for (k = 0; k < NPOS; k++)
		g = g << 8 | fold(p[k]);
	return g;
}

static size_t
gram_slot(const struct grams *gs, uint32_t g)
{
	size_t i = (size_t)((g * 0x9e3779b1u) >> 19); /* 13 bits */

	while (gs->slot[i] != 0 && gs->slot[i] != g)
		i = (i + 1) % GRAMS;
	return i;
}

static void
grams_init(struct grams *gs)
{
	const unsigned char *p = (const unsigned char *)typical;
	size_t i;

	_Static_assert(sizeof(typical) < GRAMS / 2, "grams set too full");
	memset(gs, 0, sizeof(*gs));
	for (i = 0; i + NPOS <= sizeof(typical) - 1; i++) {
		uint32_t g = gram_of(p + i);
		gs->slot[gram_slot(gs, g)] = g;
	}
}

static bool
grams_has(const struct grams *gs, const unsigned char *p)
{
	uint32_t g = gram_of(p);

	return g != 0 && gs->slot[gram_slot(gs, g)] == g;
}

/* The text windows are chosen against: w[lo][hi], the chance of a byte
 * drawn from byte_weight by its nibbles, and the windows of `typical`. */
struct model {
	double w[16][16];
	struct grams typical;
};

static void
model_init(struct model *m)
{
	double total = 0;
	unsigned c;

	for (c = 0; c < 256; c++)
		total += byte_weight(c);
	for (c = 0; c < 256; c++)
		m->w[c & 15][c >> 4] = byte_weight(c) / total;
	grams_init(&m->typical);
}

/* The bucket's chance at window byte k if the window's sets wl x wh
 * joined it, from its column sums: the new high nibbles for the low
 * nibbles it has, and the window's low nibble over all of them. */
static double
joined_chance(const struct model *m, const struct bucket *b, int k, unsigned wl,
    unsigned wh)
{
	unsigned hi = b->hi[k] | wh, nh, a, h;
	double p = b->pc[k];

	if (wl == 0xffff)
		return 1; /* past the end of a short pattern */
	for (nh = wh & ~b->hi[k]; nh; nh &= nh - 1)
		p += b->col[k][__builtin_ctz(nh)];
	a = (unsigned)__builtin_ctz(wl);
	if (!(b->lo[k] & wl))
		for (h = hi; h; h &= h - 1)
			p += m->w[a][__builtin_ctz(h)];
	return p;
}

static void
bucket_join(const struct model *m, struct bucket *b, const unsigned wl[NPOS],
    const unsigned wh[NPOS])
{
	unsigned x, h;
	int k;

	b->used = true;
	b->chance = 1;
	for (k = 0; k < NPOS; k++) {
		b->lo[k] |= wl[k];
		b->hi[k] |= wh[k];
		b->pc[k] = 0;
		for (h = 0; h < 16; h++) {
			b->col[k][h] = 0;
			for (x = 0; x < 16; x++)
				if (b->lo[k] >> x & 1)
					b->col[k][h] += m->w[x][h];
			if (b->hi[k] >> h & 1)
				b->pc[k] += b->col[k][h];
		}
		b->chance *= b->pc[k];
	}
}

/* Nibble sets of the window of p at offset o: both cases of a letter;
 * past the end of a short pattern, anything. */
static void
window(const unsigned char *p, size_t plen, int o, unsigned lo[NPOS],
    unsigned hi[NPOS])
{
	int k;

	for (k = 0; k < NPOS; k++) {
		size_t i = (size_t)(o + k);
		unsigned char c;

		if (i >= plen) {
			lo[k] = hi[k] = 0xffff;
			continue;
		}
		c = fold(p[i]);
		lo[k] = 1u << (c & 15);
		hi[k] = 1u << (c >> 4);
		if (c >= 'a' && c <= 'z')
			hi[k] |= 1u << ((c - 32) >> 4);
	}
}

/*
 * Window and bucket together: of the pattern's windows and the eight
 * buckets, the pair that raises the bucket's chance of a false mark
 * least, a window in the words of `typical` counting as a certain one.
 * Choosing the window first and the bucket after left buckets whose
 * merged nibble sets matched three positions per line of a build.
 * Returns the window's offset.
 */
static int
place(const struct model *m, struct bucket *bk, const unsigned char *p,
    size_t plen)
{
	unsigned wl[NPOS], wh[NPOS];
	int b, o, k, best_b = 0, best_o = 0;
	int maxo = plen > NPOS ? (int)(plen - NPOS) : 0;
	double best = 3, cost, pen; /* costs are <= 2 */

	if (maxo > PF_MAXOFF)
		maxo = PF_MAXOFF;
	for (o = 0; o <= maxo; o++) {
		window(p, plen, o, wl, wh);
		pen = (size_t)o + NPOS <= plen && grams_has(&m->typical, p + o)
		          ? 1
		          : 0;
		if (pen >= best)
			continue;
		for (b = 0; b < NBUCKET; b++) {
			cost = 1;
			for (k = 0; k < NPOS; k++)
				cost *=
				    joined_chance(m, &bk[b], k, wl[k], wh[k]);
			cost += pen - bk[b].chance;
			if (cost < best) {
				best = cost;
				best_b = b;
				best_o = o;
			}
		}
	}
	window(p, plen, best_o, wl, wh);
	bucket_join(m, &bk[best_b], wl, wh);
	return best_o;
}

static void
add_window(struct heal_pf *pf, const unsigned char *p)
{
	uint32_t v = 0;
	unsigned h;
	int k;

	for (k = NPOS - 1; k >= 0; k--)
		v = v << 8 | fold(p[k]);
	h = pf_hash(v);
	pf->win[h / 64] |= (uint64_t)1 << (h % 64);
}

struct heal_pf *
pf_new(const char *const *pats, size_t n)
{
	struct heal_pf *pf = xcalloc(1, sizeof(*pf));
	struct model *m = xmalloc(sizeof(*m)); /* 34 KiB */
	struct bucket bk[NBUCKET];
	size_t i, plen;
	int b, k, x, o;

	model_init(m);
	memset(bk, 0, sizeof(bk));
	pf->exact = true;
	for (i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)pats[i];

		plen = strlen(pats[i]);
		if (plen == 0)
			continue; /* matches nothing */
		o = place(m, bk, p, plen);
		if ((size_t)o > pf->lead)
			pf->lead = (size_t)o;
		if (plen >= NPOS)
			add_window(pf, p + o);
		else
			pf->exact = false;
	}
	for (b = 0; b < NBUCKET; b++)
		for (k = 0; k < NPOS; k++)
			for (x = 0; x < 16; x++) {
				uint8_t bit = (uint8_t)(1u << b);

				if (bk[b].lo[k] >> x & 1)
					pf->lo[k][x] = pf->lo[k][x + 16] =
					    (uint8_t)(pf->lo[k][x] | bit);
				if (bk[b].hi[k] >> x & 1)
					pf->hi[k][x] = pf->hi[k][x + 16] =
					    (uint8_t)(pf->hi[k][x] | bit);
			}
	free(m);
	return pf;
}
