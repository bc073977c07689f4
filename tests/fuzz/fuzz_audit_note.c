/* Signed notes, checkpoints and key strings from outside. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cosig.h"
#include "common/log.h"
#include "note.h"

#define WKEY                                                                   \
	"witness.example/w+5154e33f+BAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
#define VKEY                                                                   \
	"example.com/audit-append-test+0139c4b7+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct note_verifier v, w;
	static int init;
	bool found = false;
	uint64_t when = 0;
	struct note_verifier kv;
	struct note_signer ks;
	struct checkpoint c;
	size_t tl, ver, unk;
	char *s;

	log_set_sink(log_discard, NULL);
	if (!init) {
		if (note_verifier_parse(&v, VKEY) != 0 ||
		    note_verifier_parse(&w, WKEY) != 0 ||
		    w.alg != NOTE_ALG_COSIGNATURE)
			abort();
		init = 1;
	}
	if (note_open((const char *)data, size, &v, 1, &tl, &ver, &unk) == 0 &&
	    (tl > size || ver == 0))
		abort();
	/* No input holds a valid cosignature by w's (unknown) secret. */
	if (cosig_check(
	        "fuzz", (const char *)data, size, &w, 1, &found, &when) == 0 &&
	    found)
		abort();
	if (checkpoint_open("fuzz", (const char *)data, size, NULL, 0, &c) == 0)
		checkpoint_release(&c);
	if (checkpoint_parse("fuzz", (const char *)data, size, &c) == 0)
		checkpoint_release(&c);
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	if (note_verifier_parse(&kv, s) == 0)
		note_verifier_release(&kv);
	if (note_signer_parse(&ks, s) == 0)
		note_signer_release(&ks);
	free(s);
	return 0;
}
