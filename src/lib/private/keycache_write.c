/*
 * Writing the reader's sealed cache (keycache.h has the layout): the
 * blocks read stay as they were sealed (copied, never opened for it), what
 * was decrypted since is sealed in new blocks of one epoch each, and the
 * records are sorted again. Written only when it gained enough to be worth
 * a rewrite, or when the file was damaged.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "private/keycache_impl.h"
#include "order/index.h"
#include "util/bytes.h"
#include "util/error.h"

typedef struct {
	unsigned char id[GIT_OID_RAWSZ];
	uint32_t block, slot, fresh;
} kc_rec;

typedef struct {
	size_t key, first, count, plen;   /* first, count: in the sorted fresh */
} kc_new;

typedef struct {
	kc_rec *recs;
	size_t nrecs;
	uint32_t *kept;                   /* old block -> new, or UINT32_MAX */
	size_t nkept;
	size_t *order;                    /* the fresh by epoch */
	kc_new *blocks;
	size_t nblocks;
} kc_plan;

static const gitchat_keycache *sort_cache;

static int by_epoch(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	size_t kx = sort_cache->fresh[x].key, ky = sort_cache->fresh[y].key;
	return kx != ky ? (kx < ky ? -1 : 1) : (x < y ? -1 : x > y);
}

static int by_id(const void *a, const void *b)
{
	const kc_rec *x = a, *y = b;
	int cmp = memcmp(x->id, y->id, GIT_OID_RAWSZ);
	return cmp ? cmp : (int)y->fresh - (int)x->fresh;   /* the fresh one first */
}

/* The old blocks kept (not found damaged) and their records whose id the
 * block, when it was opened, confirms. */
static int plan_old(kc_plan *pl, const gitchat_keycache *c)
{
	for (uint32_t b = 0; b < c->nblocks; b++)
		pl->kept[b] = c->blocks[b].state < 0 ? UINT32_MAX : (uint32_t)pl->nkept++;
	for (uint32_t r = 0; r < c->nrecords; r++) {
		const unsigned char *e = c->recs + (size_t)r * KC_REC;
		uint32_t b = gitchat_le32(e + 20), slot = gitchat_le32(e + 24);
		const kc_block *k;

		if (!gitchat_keycache_record_ok(c, b, slot))
			continue;   /* a record that lies: dropped */
		k = &c->blocks[b];
		if (pl->kept[b] == UINT32_MAX ||
		    (k->state == 1 && memcmp(k->plain + 4 + (size_t)slot * KC_ITEM, e, GIT_OID_RAWSZ)))
			continue;
		memcpy(pl->recs[pl->nrecs].id, e, GIT_OID_RAWSZ);
		pl->recs[pl->nrecs].block = pl->kept[b];
		pl->recs[pl->nrecs].slot = slot;
		pl->recs[pl->nrecs++].fresh = 0;
	}
	return 0;
}

/* New blocks: the fresh grouped by epoch, at most PER_BLOCK messages and
 * KC_MAX_BLOCK bytes each. */
static int plan_new(kc_plan *pl, gitchat_keycache *c)
{
	kc_new *nb = NULL;

	for (size_t i = 0; i < c->nfresh; i++)
		pl->order[i] = i;
	sort_cache = c;
	if (c->nfresh)   /* qsort wants an array, even of none */
		qsort(pl->order, c->nfresh, sizeof(*pl->order), by_epoch);
	for (size_t i = 0; i < c->nfresh; i++) {
		const kc_fresh *f = &c->fresh[pl->order[i]];
		size_t need = KC_ITEM + f->len;

		if (!nb || nb->key != f->key || nb->count == GITCHAT_KEYCACHE_PER_BLOCK ||
		    nb->plen + need > KC_MAX_BLOCK) {
			nb = &pl->blocks[pl->nblocks++];
			nb->key = f->key;
			nb->first = i;
			nb->count = 0;
			nb->plen = 4;
		}
		memcpy(pl->recs[pl->nrecs].id, f->id.id, GIT_OID_RAWSZ);
		pl->recs[pl->nrecs].block = (uint32_t)(pl->nkept + pl->nblocks - 1);
		pl->recs[pl->nrecs].slot = (uint32_t)nb->count++;
		pl->recs[pl->nrecs++].fresh = 1;
		nb->plen += need;
	}
	return 0;
}

static void plan_sort(kc_plan *pl)
{
	size_t n = 0;

	if (pl->nrecs)
		qsort(pl->recs, pl->nrecs, sizeof(*pl->recs), by_id);
	for (size_t i = 0; i < pl->nrecs; i++)
		if (!n || memcmp(pl->recs[n - 1].id, pl->recs[i].id, GIT_OID_RAWSZ))
			pl->recs[n++] = pl->recs[i];
	pl->nrecs = n;
}

/* Seals new block `nb` at `dst` (plen + tag bytes), its entry at `e`. */
static int seal_new(unsigned char *e, unsigned char *dst, const kc_new *nb, const kc_plan *pl,
                    const gitchat_keycache *c, unsigned char *scratch)
{
	const kc_key *k = &c->keys[nb->key];
	unsigned char ad[KC_AD], *items = scratch + 4, *text = scratch + 4 + nb->count * KC_ITEM;

	memset(e, 0, KC_BLOCK);
	memcpy(e, k->epoch, strlen(k->epoch));
	randombytes_buf(e + 64, KC_NONCE);
	gitchat_put_le32(e + 88, (uint32_t)nb->count);
	gitchat_put_le32(e + 92, (uint32_t)(nb->plen + KC_TAG));
	gitchat_put_le32(scratch, (uint32_t)nb->count);
	for (size_t i = 0; i < nb->count; i++) {
		const kc_fresh *f = &c->fresh[pl->order[nb->first + i]];
		memcpy(items + i * KC_ITEM, f->id.id, GIT_OID_RAWSZ);
		gitchat_put_le32(items + i * KC_ITEM + 20, f->sealed);
		gitchat_put_le32(items + i * KC_ITEM + 24, (uint32_t)f->len);
		memcpy(text, f->plain, f->len);
		text += f->len;
	}
	memcpy(ad, KC_MAGIC, 8);
	gitchat_put_le32(ad + 8, KC_VERSION);
	memcpy(ad + 12, e, 92);
	crypto_aead_xchacha20poly1305_ietf_encrypt(dst, NULL, scratch, nb->plen, ad, sizeof(ad),
	                                           NULL, e + 64, k->key);
	return 0;
}

/* Lays the planned file out in `out`. */
static int emit(gitchat_buf *out, const kc_plan *pl, const gitchat_keycache *c)
{
	size_t nb = pl->nkept + pl->nblocks, size = KC_HEAD + nb * KC_BLOCK + pl->nrecs * KC_REC;
	size_t max = 0, at, i, j;
	unsigned char *p, *scratch = NULL;
	int error;

	for (i = 0; i < c->nblocks; i++)
		if (pl->kept[i] != UINT32_MAX)
			size += gitchat_le32(c->map + KC_HEAD + i * KC_BLOCK + 92);
	for (i = 0; i < pl->nblocks; i++) {
		size += pl->blocks[i].plen + KC_TAG;
		max = pl->blocks[i].plen > max ? pl->blocks[i].plen : max;
	}
	if (nb > UINT32_MAX || pl->nrecs > UINT32_MAX)
		return gitchat_error_set(GITCHAT_EINVALID, "the sealed cache would be too big");
	gitchat_buf_clear(out);
	if ((error = gitchat_buf_grow(out, size)) < 0)
		return error;
	if (max && !(scratch = sodium_malloc(max)))
		return gitchat_error_oom();
	p = (unsigned char *)out->ptr;
	memset(p, 0, KC_HEAD);
	memcpy(p, KC_MAGIC, 8);
	gitchat_put_le32(p + 8, KC_VERSION);
	gitchat_put_le32(p + 12, (uint32_t)nb);
	gitchat_put_le32(p + 16, (uint32_t)pl->nrecs);
	gitchat_put_le64(p + 24, size);
	for (i = 0; i < pl->nrecs; i++) {
		unsigned char *r = p + KC_HEAD + nb * KC_BLOCK + i * KC_REC;
		memcpy(r, pl->recs[i].id, GIT_OID_RAWSZ);
		gitchat_put_le32(r + 20, pl->recs[i].block);
		gitchat_put_le32(r + 24, pl->recs[i].slot);
	}
	at = KC_HEAD + nb * KC_BLOCK + pl->nrecs * KC_REC;
	for (i = 0, j = 0; i < c->nblocks; i++) {
		const unsigned char *old = c->map + KC_HEAD + i * KC_BLOCK;
		unsigned char *e = p + KC_HEAD + (j++) * KC_BLOCK;
		size_t len = gitchat_le32(old + 92);
		if (pl->kept[i] == UINT32_MAX) {
			j--;
			continue;
		}
		memcpy(e, old, KC_BLOCK);
		gitchat_put_le64(e + 96, at);
		memcpy(p + at, c->map + gitchat_le64(old + 96), len);
		at += len;
	}
	for (i = 0; i < pl->nblocks; i++, j++) {
		unsigned char *e = p + KC_HEAD + j * KC_BLOCK;
		seal_new(e, p + at, &pl->blocks[i], pl, c, scratch);
		gitchat_put_le64(e + 96, at);
		at += pl->blocks[i].plen + KC_TAG;
	}
	out->size = size;
	sodium_free(scratch);
	return 0;
}

int gitchat_keycache_encode(gitchat_buf *out, gitchat_keycache *c)
{
	kc_plan pl = { 0 };
	int error;

	if (!c->loaded && (error = gitchat_keycache_load(c)) < 0)
		return error;
	if ((c->nrecords && !(pl.recs = calloc(c->nrecords + c->nfresh, sizeof(*pl.recs)))) ||
	    (!c->nrecords && c->nfresh && !(pl.recs = calloc(c->nfresh, sizeof(*pl.recs)))) ||
	    (c->nblocks && !(pl.kept = calloc(c->nblocks, sizeof(*pl.kept)))) ||
	    (c->nfresh && (!(pl.order = calloc(c->nfresh, sizeof(*pl.order))) ||
	                   !(pl.blocks = calloc(c->nfresh, sizeof(*pl.blocks)))))) {
		error = gitchat_error_oom();
		goto done;
	}
	plan_old(&pl, c);
	plan_new(&pl, c);
	plan_sort(&pl);
	error = emit(out, &pl, c);
done:
	free(pl.recs);
	free(pl.kept);
	free(pl.order);
	free(pl.blocks);
	return error;
}

void gitchat_keycache_save(gitchat_keycache *c)
{
	gitchat_buf b = GITCHAT_BUF_INIT;

	/* Each message kept saves an X25519 (~60 us) on every later read; a
	 * rewrite costs about a microsecond per 1 KiB of file. The newest
	 * messages are the ones read again and again (every latest page shows
	 * them), so a rewrite is worth it once it saves about four reads: at
	 * most one message per 256 KiB of file waits unsealed (36 at 100,000
	 * messages, 2 ms of a page). */
	if (!c->damaged && c->nfresh < 1 + c->size / 262144)
		return;
	if (gitchat_keycache_encode(&b, c) == 0)
		gitchat_index_sidecar_write_mode(c->path, b.ptr, b.size, 0600);
	gitchat_buf_dispose(&b);
	gitchat_error_clear();
}
