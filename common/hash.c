#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/xalloc.h"

/* Large reads keep EVP's SHA-NI/AVX2 code busy rather than the syscalls. */
#define HASH_READ_SIZE ((size_t)1 << 20)

int
hash_init(struct hash_ctx *c)
{
	if (c->md == NULL)
		c->md = EVP_MD_CTX_new();
	if (c->md == NULL)
		return error_msg("cannot allocate a digest context");
	if (EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		return error_msg("cannot initialise SHA-256");
	return 0;
}

int
hash_update(struct hash_ctx *c, const void *data, size_t len)
{
	if (c->md == NULL || EVP_DigestUpdate(c->md, data, len) != 1)
		return error_msg("SHA-256 update failed");
	return 0;
}

int
hash_final(struct hash_ctx *c, uint8_t out[HASH_SHA256_LEN])
{
	unsigned int n = 0;

	if (c->md == NULL || EVP_DigestFinal_ex(c->md, out, &n) != 1 ||
	    n != HASH_SHA256_LEN)
		return error_msg("SHA-256 final failed");
	return 0;
}

void
hash_release(struct hash_ctx *c)
{
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

int
hash_sha256(const void *data, size_t len, uint8_t out[HASH_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != HASH_SHA256_LEN)
		return error_msg("SHA-256 failed");
	return 0;
}

int
hash_fd(int fd, uint8_t out[HASH_SHA256_LEN], uint64_t *size)
{
	struct hash_ctx c = HASH_CTX_INIT;
	unsigned char *chunk = xmalloc(HASH_READ_SIZE);
	uint64_t total = 0;
	int ret = -1;

	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (hash_init(&c) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, chunk, HASH_READ_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_errno("cannot read file to hash");
			goto out;
		}
		if (n == 0)
			break;
		if (hash_update(&c, chunk, (size_t)n) < 0)
			goto out;
		total += (uint64_t)n;
	}
	if (hash_final(&c, out) < 0)
		goto out;
	if (size != NULL)
		*size = total;
	ret = 0;
out:
	hash_release(&c);
	free(chunk);
	return ret;
}

int
hash_file(const char *path, uint8_t out[HASH_SHA256_LEN], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	ret = hash_fd(fd, out, size);
	if (ret < 0)
		error_msg("cannot hash '%s'", path);
	(void)close(fd);
	return ret;
}

void
hash_hex(const uint8_t *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hash_from_hex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(hex) != 2 * n)
		return error_msg("'%s' is not %zu hex digits", hex, 2 * n);
	for (i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return error_msg("'%s' is not a hex string", hex);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Our own loop, not CRYPTO_memcmp: comparing two digests must not cost
 * a libcrypto load. volatile keeps the compiler from exiting early. */
bool
hash_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff = (uint8_t)(diff | (x[i] ^ y[i]));
	return diff == 0;
}
