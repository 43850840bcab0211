/*
 * The reader's sealed cache (keycache.h has the file's layout): mapping
 * and checking the file, opening a block the first time one of its
 * messages is asked for, and keeping what was decrypted since. Plaintext
 * and keys live only in a few sodium_malloc segments per read, wiped when
 * the cache is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sodium.h>

#include "private/keycache_impl.h"
#include "util/bytes.h"
#include "util/array.h"
#include "util/error.h"
#include "util/fs.h"

/* ---- sodium_malloc segments: a handful per read, never one per message ---- */

static unsigned char *arena_alloc(gitchat_keycache *c, size_t len)
{
	kc_seg *s = c->nsegs ? &c->segs[c->nsegs - 1] : NULL, *grown;
	size_t cap;

	if (len > SIZE_MAX / 2)
		return NULL;
	if (!s || s->cap - s->used < len) {
		/* 64 KiB first (a page opens a block or two), doubling to 1 MiB. */
		cap = c->nsegs < 4 ? (size_t)KC_SEGMENT >> (4 - c->nsegs) : KC_SEGMENT;
		cap = len > cap ? len : cap;
		if (!(grown = realloc(c->segs, (c->nsegs + 1) * sizeof(*grown))))
			return NULL;
		c->segs = grown;
		s = &c->segs[c->nsegs];
		if (!(s->p = sodium_malloc(cap)))
			return NULL;
		s->cap = cap;
		s->used = 0;
		c->nsegs++;
	}
	s->used += len;
	return s->p + s->used - len;
}

/* The block key of `epoch`, derived once per read. */
static const unsigned char *key_for(gitchat_keycache *c, const char *epoch,
                                    const gitchat_age_identity *eid, size_t *index)
{
	unsigned char ctx[25 + sizeof(c->reader.bytes)], *key;
	kc_key *grown;
	size_t i;

	for (i = 0; i < c->nkeys; i++)
		if (!strcmp(c->keys[i].epoch, epoch)) {
			if (index)
				*index = i;
			return c->keys[i].key;
		}
	if (!(grown = realloc(c->keys, (c->nkeys + 1) * sizeof(*grown))))
		return NULL;
	c->keys = grown;
	memcpy(ctx, c->room, 25);
	memcpy(ctx + 25, c->reader.bytes, sizeof(c->reader.bytes));
	if (!(key = arena_alloc(c, KC_KEY)) ||
	    gitchat_age_identity_subkey(key, KC_KEY, eid, KC_DOMAIN, ctx, sizeof(ctx)) < 0 ||
	    !(c->keys[c->nkeys].epoch = strdup(epoch)))
		return NULL;
	c->keys[c->nkeys].key = key;
	if (index)
		*index = c->nkeys;
	c->nkeys++;
	return key;
}

/* ---- the file: every field checked once, when it is mapped ---- */

static int blocks_ok(gitchat_keycache *c, size_t data_start)
{
	size_t end = data_start;

	for (uint32_t b = 0; b < c->nblocks; b++) {
		const unsigned char *e = c->map + KC_HEAD + (size_t)b * KC_BLOCK;
		uint64_t count = gitchat_le32(e + 88), len = gitchat_le32(e + 92);
		size_t n = strnlen((const char *)e, KC_EPOCH);

		if (n == 0 || n >= KC_EPOCH || !sodium_is_zero(e + n, KC_EPOCH - n) ||
		    !sodium_is_zero(e + 104, 8) || count == 0 ||
		    len < KC_TAG + 4 + count * KC_ITEM || gitchat_le64(e + 96) != end ||
		    len > c->size - end)
			return 0;
		end += len;
	}
	return end == c->size;   /* the blocks tile the data exactly */
}

/* 1 when the bytes are a whole file of this version. */
static int file_ok(gitchat_keycache *c)
{
	uint64_t nb, nr, start;

	if (c->size < KC_HEAD || memcmp(c->map, KC_MAGIC, 8) || gitchat_le32(c->map + 8) != KC_VERSION ||
	    gitchat_le32(c->map + 20) != 0 || gitchat_le64(c->map + 24) != c->size)
		return 0;
	nb = gitchat_le32(c->map + 12);
	nr = gitchat_le32(c->map + 16);
	if (nb > (c->size - KC_HEAD) / KC_BLOCK || nr > (c->size - KC_HEAD - nb * KC_BLOCK) / KC_REC)
		return 0;
	start = KC_HEAD + nb * KC_BLOCK + nr * KC_REC;
	c->nblocks = (uint32_t)nb;
	c->nrecords = (uint32_t)nr;
	c->recs = c->map + KC_HEAD + nb * KC_BLOCK;
	/* The records are not walked here (2.8 MB at 100,000 messages, for a
	 * page that uses 50): each is checked where it is used, and one out of
	 * order is only a miss of the search. */
	return blocks_ok(c, (size_t)start);
}

static void unmap(gitchat_keycache *c)
{
	if (c->map && c->owned)
		munmap((void *)c->map, c->size);
	c->map = NULL;
	c->size = 0;
	c->nblocks = c->nrecords = 0;
}

/* Checks the bytes at c->map; a file that is not whole is dropped (and
 * so written again). */
static int adopt(gitchat_keycache *c)
{
	if (!file_ok(c)) {
		unmap(c);
		c->damaged = 1;
		return 0;
	}
	if (c->nblocks && !(c->blocks = calloc(c->nblocks, sizeof(*c->blocks))))
		return gitchat_error_oom();
	return 0;
}

int gitchat_keycache_load(gitchat_keycache *c)
{
	int fd, error;

	if (c->loaded)
		return 0;
	c->loaded = 1;
	if (!c->path)
		return adopt(c);
	if ((error = gitchat_fs_open_regular(&fd, NULL, c->path, O_RDONLY | O_NOFOLLOW, 0)) < 0) {
		c->damaged = error != GITCHAT_ENOTFOUND;   /* a directory, a link: replace it */
		gitchat_error_clear();
		return 0;
	}
	error = gitchat_fs_map(&c->map, &c->size, fd, KC_HEAD, c->path);
	close(fd);
	c->owned = error == 0;
	if (error != 0) {   /* too short (torn) or unreadable: a miss */
		c->map = NULL;
		c->damaged = 1;
		gitchat_error_clear();
		return 0;
	}
	return adopt(c);
}

/* ---- blocks ---- */

static void block_ad(unsigned char ad[KC_AD], const unsigned char *entry)
{
	memcpy(ad, KC_MAGIC, 8);
	gitchat_put_le32(ad + 8, KC_VERSION);
	memcpy(ad + 12, entry, 92);
}

/* Opens block b into the arena: its messages' offsets checked. */
static int block_open(gitchat_keycache *c, uint32_t b, const unsigned char *key)
{
	kc_block *k = &c->blocks[b];
	const unsigned char *e = c->map + KC_HEAD + (size_t)b * KC_BLOCK;
	size_t len = gitchat_le32(e + 92), plen = len - KC_TAG, pos;
	uint32_t count = gitchat_le32(e + 88);
	unsigned char ad[KC_AD], *dst;

	k->state = -1;
	if (!(dst = arena_alloc(c, plen)) || !(k->at = malloc(((size_t)count + 1) * sizeof(size_t))))
		return gitchat_error_oom();
	block_ad(ad, e);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dst, NULL, NULL, c->map + gitchat_le64(e + 96),
	                                               len, ad, sizeof(ad), e + 64, key) != 0 ||
	    gitchat_le32(dst) != count)
		goto damaged;
	pos = 4 + (size_t)count * KC_ITEM;
	for (uint32_t i = 0; i < count; i++) {
		size_t n = gitchat_le32(dst + 4 + (size_t)i * KC_ITEM + 24);
		if (n > plen - pos)
			goto damaged;
		k->at[i] = pos;
		pos += n;
	}
	if (pos != plen)
		goto damaged;
	k->plain = dst;
	k->count = count;
	k->state = 1;
	return 0;
damaged:
	c->damaged = 1;
	return 0;
}

int gitchat_keycache_record_ok(const gitchat_keycache *c, uint32_t b, uint32_t slot)
{
	return b < c->nblocks &&
	       slot < gitchat_le32(c->map + KC_HEAD + (size_t)b * KC_BLOCK + 88);
}

static const unsigned char *record_find(const gitchat_keycache *c, const git_oid *id)
{
	size_t lo = 0, hi = c->nrecords;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = memcmp(c->recs + mid * KC_REC, id->id, GIT_OID_RAWSZ);
		if (cmp == 0)
			return c->recs + mid * KC_REC;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int gitchat_keycache_get(const unsigned char **plain, size_t *len, uint32_t *sealed,
                         gitchat_keycache *c, const git_oid *id, const char *epoch,
                         const gitchat_age_identity *eid)
{
	const unsigned char *r, *key, *item;
	uint32_t b, slot;
	kc_block *k;
	int error;

	if (!c->loaded && (error = gitchat_keycache_load(c)) < 0)
		return error;
	if (!c->map)
		return 0;
	/* A read asks in the room's order, which is how blocks were filled:
	 * the message after the last one found is tried before the search. The
	 * id inside the opened block decides either way, the records are only
	 * a way to it. */
	if (c->hint < c->nblocks && c->blocks[c->hint].state == 1 &&
	    c->hint_slot + 1 < c->blocks[c->hint].count &&
	    !memcmp(c->blocks[c->hint].plain + 4 + (size_t)(c->hint_slot + 1) * KC_ITEM, id->id,
	            GIT_OID_RAWSZ)) {
		b = c->hint;
		slot = c->hint_slot + 1;
	} else if ((r = record_find(c, id))) {
		b = gitchat_le32(r + 20);
		slot = gitchat_le32(r + 24);
		if (!gitchat_keycache_record_ok(c, b, slot)) {
			c->damaged = 1;
			return 0;
		}
	} else {
		return 0;
	}
	k = &c->blocks[b];
	/* A message is only read from a block of the epoch its commit names. */
	if (strncmp((const char *)c->map + KC_HEAD + (size_t)b * KC_BLOCK, epoch, KC_EPOCH))
		return 0;
	if (k->state == 0) {
		if (!(key = key_for(c, epoch, eid, NULL)))
			return gitchat_error_oom();
		if ((error = block_open(c, b, key)) < 0)
			return error;
	}
	if (k->state < 0)
		return 0;
	item = k->plain + 4 + (size_t)slot * KC_ITEM;
	if (memcmp(item, id->id, GIT_OID_RAWSZ)) {
		/* The clear records lie (the block itself opened): a miss, and
		 * the file is written again without that record. */
		c->damaged = 1;
		return 0;
	}
	*sealed = gitchat_le32(item + 20);
	*len = gitchat_le32(item + 24);
	*plain = k->plain + k->at[slot];
	c->hint = b;
	c->hint_slot = slot;
	return 1;
}

int gitchat_keycache_add(gitchat_keycache *c, const git_oid *id, const char *epoch,
                         const gitchat_age_identity *eid, uint32_t sealed, const void *plain,
                         size_t len)
{
	kc_fresh *f;
	size_t key;

	if (len > KC_MAX_TEXT || strlen(epoch) >= KC_EPOCH)
		return 0;   /* not kept: read the slow way */
	if (gitchat_array_grow(&c->fresh, &c->capfresh, c->nfresh + 1, sizeof(*c->fresh), 256) < 0)
		return GITCHAT_ENOMEM;
	f = &c->fresh[c->nfresh];
	if (!key_for(c, epoch, eid, &key) || !(f->plain = arena_alloc(c, len ? len : 1)))
		return gitchat_error_oom();
	memcpy(f->plain, plain, len);
	f->id = *id;
	f->key = key;
	f->sealed = sealed;
	f->len = len;
	c->nfresh++;
	return 0;
}

/* ---- open, free ---- */

static gitchat_keycache *kc_new(const char *room, const gitchat_pubkey *reader)
{
	gitchat_keycache *c;

	if (strlen(room) != 25 || !(c = calloc(1, sizeof(*c))))
		return NULL;
	memcpy(c->room, room, 26);
	c->reader = *reader;
	c->hint = UINT32_MAX;
	return c;
}

int gitchat_keycache_open(gitchat_keycache **out, const char *index_path, const char *room,
                          const gitchat_pubkey *reader)
{
	char hex[GITCHAT_PUBKEY_HEXSIZE];
	gitchat_keycache *c;
	size_t n;

	*out = NULL;
	if (!(c = kc_new(room, reader)))
		return strlen(room) != 25 ? gitchat_error_set(GITCHAT_EINVALID, "'%s' is no room", room)
		                          : gitchat_error_oom();
	gitchat_pubkey_hex(hex, reader);
	n = strlen(index_path) + sizeof("+sealed-") + 16;
	if (!(c->path = malloc(n))) {
		free(c);
		return gitchat_error_oom();
	}
	snprintf(c->path, n, "%s+sealed-%.16s", index_path, hex);
	*out = c;
	return 0;
}

int gitchat_keycache_from_bytes(gitchat_keycache **out, const unsigned char *data, size_t size,
                                const char *room, const gitchat_pubkey *reader)
{
	if (!(*out = kc_new(room, reader)))
		return gitchat_error_set(GITCHAT_EINVALID, "no room, or out of memory");
	(*out)->map = data;
	(*out)->size = size;
	return 0;
}

void gitchat_keycache_free(gitchat_keycache *c)
{
	if (!c)
		return;
	if (c->path)
		gitchat_keycache_save(c);
	for (size_t i = 0; i < c->nblocks && c->blocks; i++)
		free(c->blocks[i].at);
	free(c->blocks);
	for (size_t i = 0; i < c->nkeys; i++)
		free(c->keys[i].epoch);
	free(c->keys);
	free(c->fresh);
	for (size_t i = 0; i < c->nsegs; i++)
		sodium_free(c->segs[i].p);
	free(c->segs);
	unmap(c);
	free(c->path);
	free(c);
}
