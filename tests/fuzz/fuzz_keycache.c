/* The reader's sealed cache of a private room (private/keycache.c): the
 * file's reader over bytes, every record looked up as a read would, then
 * the file written again and read back, which must give every message the
 * first reading gave, byte for byte, and none of them under another
 * identity (a reader without that epoch). Input: a flags byte, then
 *   flags & 3 == 0: the file as it is (damage must be caught by the
 *                   checks and the AEAD);
 *   flags & 3 == 1: the file with each block's bytes taken as plaintext
 *                   and sealed first under the harness's key (as the writer
 *                   does), so that mutations reach the block parser;
 *   flags & 3 == 2: records to add (id 20, epoch byte, length byte, text),
 *                   written, then read back.
 * The key is FZ_AGE_X25519's (age_ids.h), the room and reader fixed. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "fuzz.h"
#include "age_ids.h"
#include "private/keycache_impl.h"
#include "util/bytes.h"

#define ROOM "_000000000000000000000000"

static gitchat_age_identity *fz_id, *fz_other;
static gitchat_pubkey fz_reader;

static void setup(void)
{
	if (fz_id)
		return;
	fz_init();
	if (gitchat_age_identity_parse(&fz_id, FZ_AGE_X25519, strlen(FZ_AGE_X25519)) < 0 ||
	    gitchat_age_identity_generate(&fz_other) < 0)
		abort();
	memset(fz_reader.bytes, 7, sizeof(fz_reader.bytes));
}

static void key_of(unsigned char key[KC_KEY])
{
	unsigned char ctx[25 + 32];
	memcpy(ctx, ROOM, 25);
	memcpy(ctx + 25, fz_reader.bytes, 32);
	if (gitchat_age_identity_subkey(key, KC_KEY, fz_id, KC_DOMAIN, ctx, sizeof(ctx)) < 0)
		abort();
}

/* Seals each block's bytes (all but the last 16: the tag) in place. */
static void reseal(unsigned char *d, size_t size)
{
	unsigned char key[KC_KEY], ad[KC_AD];
	size_t nb;

	if (size < KC_HEAD)
		return;
	key_of(key);
	nb = gitchat_le32(d + 12);
	for (size_t b = 0; b < nb && KC_HEAD + (b + 1) * KC_BLOCK <= size; b++) {
		unsigned char *e = d + KC_HEAD + b * KC_BLOCK;
		uint64_t off = gitchat_le64(e + 96), len = gitchat_le32(e + 92);
		if (len < KC_TAG || off > size || len > size - off)
			continue;
		memcpy(ad, KC_MAGIC, 8);
		gitchat_put_le32(ad + 8, KC_VERSION);
		memcpy(ad + 12, e, 92);
		crypto_aead_xchacha20poly1305_ietf_encrypt(d + off, NULL, d + off, len - KC_TAG, ad,
		                                           sizeof(ad), NULL, e + 64, key);
	}
}

typedef struct {
	git_oid id;
	char epoch[KC_EPOCH];
	unsigned char *text;
	size_t len;
	uint32_t sealed;
} seen;

/* Every record of `c` (its table read as the layout says), looked up. */
static size_t read_all(seen **out, gitchat_keycache *c)
{
	seen *s = NULL;
	size_t n = 0;

	if (gitchat_keycache_load(c) < 0 || !c->map)
		return 0;
	s = calloc(c->nrecords + 1, sizeof(*s));
	for (uint32_t r = 0; s && r < c->nrecords; r++) {
		const unsigned char *e = c->recs + (size_t)r * KC_REC, *plain;
		const char *ep;
		seen *x = &s[n];
		/* records are checked where used: one that lies is skipped */
		if (!gitchat_keycache_record_ok(c, gitchat_le32(e + 20), gitchat_le32(e + 24)))
			continue;
		ep = (const char *)c->map + KC_HEAD + (size_t)gitchat_le32(e + 20) * KC_BLOCK;
		memcpy(x->id.id, e, GIT_OID_RAWSZ);
		memcpy(x->epoch, ep, KC_EPOCH);
		if (gitchat_keycache_get(&plain, &x->len, &x->sealed, c, &x->id, x->epoch, fz_id) == 1) {
			if (!(x->text = malloc(x->len + 1)))
				abort();
			memcpy(x->text, plain, x->len);
			n++;
		}
	}
	*out = s;
	return n;
}

/* What `c` gave must come back from what it writes. */
static void round_trip(gitchat_keycache *c, const seen *s, size_t n)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	gitchat_keycache *d = NULL;
	const unsigned char *plain;
	size_t len;
	uint32_t sealed;

	if (gitchat_keycache_encode(&b, c) < 0)
		goto done;
	if (gitchat_keycache_from_bytes(&d, (const unsigned char *)b.ptr, b.size, ROOM, &fz_reader) < 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (gitchat_keycache_get(&plain, &len, &sealed, d, &s[i].id, s[i].epoch, fz_id) != 1 ||
		    len != s[i].len || sealed != s[i].sealed || memcmp(plain, s[i].text, len))
			fz_fail("a message read was not read back from the file written",
			        b.ptr, b.size, 0);
	if (gitchat_keycache_load(d) < 0 || !d->map)
		fz_fail("the file written does not check out", b.ptr, b.size, 0);
	/* Another epoch's identity (a reader without this epoch) opens none. */
	gitchat_keycache_free(d);
	d = NULL;
	if (gitchat_keycache_from_bytes(&d, (const unsigned char *)b.ptr, b.size, ROOM, &fz_reader) < 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (gitchat_keycache_get(&plain, &len, &sealed, d, &s[i].id, s[i].epoch, fz_other) != 0)
			fz_fail("a message opened under another epoch's key", b.ptr, b.size, 0);
done:
	gitchat_keycache_free(d);
	gitchat_buf_dispose(&b);
}

/* Mode 2: records added to an empty cache (an id once: a read decrypts
 * each message once). */
static size_t add_all(seen **out, gitchat_keycache *c, const uint8_t *p, size_t left)
{
	static const char *epochs[] = { "age1one", "age1two", "age1three" };
	seen *s = calloc(left / 22 + 1, sizeof(*s));
	size_t n = 0, i;

	gitchat_keycache_load(c);
	while (s && left >= 22) {
		seen *x = &s[n];
		size_t len = p[21];
		memcpy(x->id.id, p, GIT_OID_RAWSZ);
		strcpy(x->epoch, epochs[p[20] % 3]);
		x->sealed = p[20] / 3;
		p += 22;
		left -= 22;
		if (len > left)
			len = left;
		for (i = 0; i < n && !git_oid_equal(&s[i].id, &x->id); i++)
			;
		if (i == n) {
			if (!(x->text = malloc(len + 1)))
				abort();
			memcpy(x->text, p, len);
			x->len = len;
			if (gitchat_keycache_add(c, &x->id, x->epoch, fz_id, x->sealed, x->text, len) < 0)
				abort();
			n++;
		}
		p += len;
		left -= len;
	}
	*out = s;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_keycache *c = NULL;
	unsigned char *copy;
	seen *s = NULL;
	size_t n = 0;
	unsigned flags;

	setup();
	if (size < 1)
		return 0;
	flags = data[0];
	if (!(copy = malloc(size)))
		abort();
	memcpy(copy, data + 1, size - 1);
	if ((flags & 3) == 1)
		reseal(copy, size - 1);
	if (gitchat_keycache_from_bytes(&c, (flags & 3) == 2 ? NULL : copy,
	                                (flags & 3) == 2 ? 0 : size - 1, ROOM, &fz_reader) < 0)
		abort();
	n = (flags & 3) == 2 ? add_all(&s, c, data + 1, size - 1) : read_all(&s, c);
	round_trip(c, s, n);
	for (size_t i = 0; i < n; i++)
		free(s[i].text);
	free(s);
	gitchat_keycache_free(c);
	free(copy);
	return 0;
}
