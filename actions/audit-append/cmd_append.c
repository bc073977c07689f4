#include "common/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cmd.h"
#include "common/exitcode.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "entry.h"
#include "log_store.h"
#include "note.h"

#define BATCH_MAX ((size_t)1 << 30) /* stdin cap for --batch */
#define DATA_MAX ((size_t)1 << 20)

int
aa_keygen(struct aa_opts *o)
{
	struct note_signer s = { 0 };
	struct buf sk = BUF_INIT(4096), vk = BUF_INIT(4096);
	char *skp = NULL, *vkp = NULL;
	const char *prefix = o->out ? o->out : "audit-append";
	int ret = RC_USAGE;

	if (o->origin == NULL) {
		error_msg("keygen needs --origin NAME (e.g. "
		          "github.com/OWNER/REPO/audit)");
		goto out;
	}
	if (note_signer_generate(&s, o->origin) < 0)
		goto out;
	ret = RC_WRAPPER;
	if (note_signer_format(&s, &sk) < 0 || buf_addch(&sk, '\n') < 0 ||
	    note_verifier_format(&s.v, &vk) < 0 || buf_addch(&vk, '\n') < 0)
		goto out;
	skp = xasprintf("%s.key", prefix);
	vkp = xasprintf("%s.pub", prefix);
	if (fs_exists(skp)) {
		error_msg(
		    "'%s' exists; refusing to overwrite a signer key", skp);
		ret = RC_USAGE;
		goto out;
	}
	if (fs_write_atomic(skp, sk.data, sk.len, 0600) < 0 ||
	    fs_write_atomic(vkp, vk.data, vk.len, 0644) < 0)
		goto out;
	gha_set_output("verifier-key", vk.data);
	printf("signer key   %s (keep secret; store as a repository secret)\n"
	       "verifier key %s\n%s",
	    skp, vkp, vk.data);
	ret = RC_OK;
out:
	memset(sk.data, 0, sk.len);
	buf_release(&sk);
	buf_release(&vk);
	note_signer_release(&s);
	free(skp);
	free(vkp);
	return ret;
}

/* Reads --batch JSON Lines into data/lens; nothing is kept on error. */
static int
read_batch(struct aa_opts *o, struct entry_opts *eo, struct buf *data,
    size_t **lens, size_t *n)
{
	struct buf in = BUF_INIT(BATCH_MAX);
	size_t pos = 0, line = 0, cap = 0, len, before;
	char *nl;
	cJSON *obj = NULL;
	int ret = -1;

	(void)o;
	*n = 0;
	*lens = NULL;
	if (fs_read_file("-", BATCH_MAX, &in) < 0)
		goto out;
	while (pos < in.len) {
		nl = memchr(in.data + pos, '\n', in.len - pos);
		len = nl ? (size_t)(nl - in.data) - pos : in.len - pos;
		line++;
		if (len == 0 || (len == 1 && in.data[pos] == '\r')) {
			pos += len + 1;
			continue;
		}
		if (json_parse(in.data + pos, len, "stdin", &obj) < 0 ||
		    entry_complete(obj, eo) < 0) {
			error_msg("stdin line %zu: invalid entry; nothing was "
			          "appended",
			    line);
			goto out;
		}
		before = data->len;
		if (entry_encode(obj, data) < 0) {
			error_msg("stdin line %zu: invalid entry; nothing was "
			          "appended",
			    line);
			goto out;
		}
		cJSON_Delete(obj);
		obj = NULL;
		xgrow((void **)lens, &cap, *n + 1, sizeof(**lens));
		(*lens)[(*n)++] = data->len - before;
		pos += len + 1;
	}
	if (*n == 0) {
		error_msg("--batch: no entries on stdin");
		goto out;
	}
	ret = 0;
out:
	cJSON_Delete(obj);
	buf_release(&in);
	return ret;
}

/* stdout with one write(2), without stdio: no buffer to allocate, no
 * fstat, no flush at exit on the path of every single append. */
static int
write_stdout(const struct buf *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = write(1, b->data + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_errno("cannot write to stdout");
		off += (size_t)n;
	}
	return 0;
}

/* Decimal digits of v; printf is kept off the path of a single append. */
static void
u64_dec(uint64_t v, char out[32])
{
	char tmp[32];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = 0;
}

static int
print_result(struct aa_opts *o, struct log_store *l, uint64_t first, size_t n,
    const merkle_hash leaf)
{
	struct buf out = BUF_INIT(0);
	merkle_hash root;
	char lh[65], rh[65], num[32], sz[32], fst[32], cnt[32];
	int ret = -1;

	if (log_store_root(l, l->size, root) < 0)
		goto out;
	hash_hex(leaf, 32, lh);
	hash_hex(root, 32, rh);
	u64_dec(first + n - 1, num);
	u64_dec(l->size, sz);
	u64_dec(first, fst);
	u64_dec(n, cnt);
	if (o->json) {
		buf_adds(&out, "{\"index\":");
		buf_adds(&out, num);
		buf_adds(&out, ",\"first\":");
		buf_adds(&out, fst);
		buf_adds(&out, ",\"count\":");
		buf_adds(&out, cnt);
		buf_adds(&out, ",\"leaf_hash\":\"");
		buf_adds(&out, lh);
		buf_adds(&out, "\",\"root\":\"");
		buf_adds(&out, rh);
		buf_adds(&out, "\",\"size\":");
		buf_adds(&out, sz);
		buf_adds(&out, "}\n");
	} else {
		if (n == 1) {
			buf_adds(&out, "index ");
			buf_adds(&out, num);
		} else {
			buf_adds(&out, "appended ");
			buf_adds(&out, cnt);
			buf_adds(&out, " entries: index ");
			buf_adds(&out, fst);
			buf_adds(&out, "..");
			buf_adds(&out, num);
		}
		buf_adds(&out, "\nleaf ");
		buf_adds(&out, lh);
		buf_adds(&out, "\nroot ");
		buf_adds(&out, rh);
		buf_adds(&out, "\nsize ");
		buf_adds(&out, sz);
		buf_addch(&out, '\n');
	}
	/* Nothing on this path writes to stdout through stdio before. */
	if (write_stdout(&out) < 0)
		goto out;
	{
		const struct gha_output outs[] = { { "index", num },
			{ "leaf-hash", lh }, { "root", rh }, { "size", sz } };

		if (gha_set_outputs(outs, ARRAY_SIZE(outs)) < 0)
			goto out;
	}
	ret = 0;
out:
	buf_release(&out);
	return ret;
}

int
aa_append(struct aa_opts *o)
{
	struct entry_opts eo = { o->event, o->time, &o->fields, NULL,
		o->no_context };
	struct log_store l = LOG_STORE_INIT;
	struct buf data = BUF_INIT(SIZE_MAX), stdin_data = BUF_INIT(DATA_MAX);
	merkle_hash *leaves = NULL;
	size_t *lens = NULL, n = 0, one;
	uint64_t first;
	int ret = RC_USAGE;

	if (o->log == NULL) {
		error_msg("append needs --log DIR");
		goto out;
	}
	if (o->batch) {
		if (o->data != NULL || o->fields.nr > 0) {
			error_msg("--batch reads whole entries from stdin; "
			          "--data and --field do not apply");
			goto out;
		}
		if (entry_check_opts(&eo, false) < 0)
			goto out;
		if (read_batch(o, &eo, &data, &lens, &n) < 0)
			goto out;
	} else {
		if (o->data != NULL && strcmp(o->data, "-") == 0) {
			if (fs_read_file("-", DATA_MAX, &stdin_data) < 0)
				goto out;
			eo.data = stdin_data.data;
		} else
			eo.data = o->data;
		if (entry_write(&eo, &data) < 0)
			goto out;
		one = data.len;
		lens = xmalloc(sizeof(*lens));
		lens[0] = one;
		n = 1;
	}
	if (o->dry_run) {
		fwrite(data.data, 1, lens[0], stdout);
		printf("\n(dry run: %zu entr%s not appended)\n", n,
		    n == 1 ? "y" : "ies");
		ret = RC_OK;
		goto out;
	}
	ret = RC_WRAPPER;
	if (log_store_open(&l, o->log, LOG_CREATE | LOG_WRITE) < 0)
		goto out;
	leaves = xcalloc(n, sizeof(*leaves));
	if (log_store_append(&l, data.data, lens, n, &first, leaves) < 0)
		goto out;
	/* Durable from here on: report it even if printing fails. */
	if (print_result(o, &l, first, n, leaves[n - 1]) < 0)
		goto out;
	ret = RC_OK;
out:
	log_store_close(&l);
	free(leaves);
	free(lens);
	buf_release(&data);
	buf_release(&stdin_data);
	return ret;
}

/* Refuses to sign a tree that is inconsistent with the last checkpoint. */
static int
check_previous(struct log_store *l, const char *origin)
{
	struct checkpoint c = { 0 };
	char *p = log_store_path(l, "checkpoint");
	merkle_hash root;
	int ret = -1;

	if (!fs_exists(p)) {
		ret = 0;
		goto out;
	}
	if (checkpoint_load(p, &c, NULL) < 0)
		goto out;
	if (strcmp(c.origin, origin) != 0) {
		error_msg("'%s' has origin '%s' but the key signs for '%s'; "
		          "use the log's own key",
		    p, c.origin, origin);
		goto out;
	}
	if (log_store_root(l, c.size, root) < 0)
		goto out;
	if (memcmp(root, c.root, MERKLE_HASH_LEN) != 0) {
		error_msg("the log no longer matches its checkpoint at size "
		          "%llu; refusing to sign (run 'audit-append verify')",
		    (unsigned long long)c.size);
		goto out;
	}
	ret = 0;
out:
	checkpoint_release(&c);
	free(p);
	return ret;
}

int
aa_checkpoint(struct aa_opts *o)
{
	struct note_signer s = { 0 };
	struct log_store l = LOG_STORE_INIT;
	struct buf body = BUF_INIT(4096), note = BUF_INIT(8192);
	char *dir = NULL, *hist = NULL, *latest = NULL, sz[32], rh[65];
	merkle_hash root;
	int ret = RC_USAGE;

	if (o->log == NULL) {
		error_msg("checkpoint needs --log DIR");
		goto out;
	}
	if (aa_load_signer(o->key, &s) < 0)
		goto out;
	ret = RC_WRAPPER;
	if (log_store_open(&l, o->log, LOG_WRITE) < 0)
		goto out;
	if (check_previous(&l, s.v.name) < 0) {
		ret = RC_FAIL;
		goto out;
	}
	if (log_store_root(&l, l.size, root) < 0 ||
	    checkpoint_format(s.v.name, l.size, root, &body) < 0 ||
	    note_sign(body.data, body.len, &s, &note) < 0)
		goto out;
	if (!o->dry_run) {
		dir = log_store_path(&l, "checkpoints");
		hist = xasprintf("%s/%020llu", dir, (unsigned long long)l.size);
		latest = log_store_path(&l, "checkpoint");
		if (fs_mkdirs(dir, 0755) < 0 ||
		    fs_write_atomic(hist, note.data, note.len, 0644) < 0 ||
		    fs_write_atomic(latest, note.data, note.len, 0644) < 0)
			goto out;
	}
	if (o->output != NULL &&
	    aa_write_output(o->output, note.data, note.len) < 0)
		goto out;
	if (o->output == NULL)
		fputs(note.data, stdout);
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)l.size);
	hash_hex(root, 32, rh);
	{
		const struct gha_output outs[] = { { "size", sz },
			{ "root", rh }, { "checkpoint", note.data } };

		if (gha_set_outputs(outs, ARRAY_SIZE(outs)) < 0)
			goto out;
	}
	ret = RC_OK;
out:
	log_store_close(&l);
	note_signer_release(&s);
	buf_release(&body);
	buf_release(&note);
	free(dir);
	free(hist);
	free(latest);
	return ret;
}
