/*
 * SCT list parser (TLS, RFC 6962 §3.3) and the certificate path of the SCT
 * check: a DER certificate's SCT extension, precert TBS and issuer hash.
 */
#include "common/compat.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "common/log.h"
#include "sct.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sct s[SCT_MAX];
	struct trust_root root;
	const unsigned char *p = data;
	size_t nr, i;
	X509 *x;

	log_set_sink(log_discard, NULL);
	if (sct_list_parse(data, size, s, SCT_MAX, &nr) == 0) {
		/* Every field must lie inside the input. */
		for (i = 0; i < nr; i++)
			if ((s[i].ext_len &&
			        (s[i].ext < data ||
			            s[i].ext + s[i].ext_len > data + size)) ||
			    (s[i].sig_len &&
			        (s[i].sig < data ||
			            s[i].sig + s[i].sig_len > data + size)))
				abort();
	}
	x = d2i_X509(NULL, &p, (long)size);
	if (x != NULL) {
		memset(&root, 0, sizeof(root));
		/* No ctlogs: a certificate must never pass. */
		if (sct_verify(x, x, &root) == 0)
			abort();
		X509_free(x);
	}
	return 0;
}
