#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "order/tail.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/date.h"
#include "util/error.h"
#include "util/fs.h"

#define T_MAGIC "GCORDT01"
#define T_HEADER 128
#define T_SUM_AT 96
#define T_SUM 32
#define TIP_SIZE 24
#define LINK_SIZE 28
#define NONE GITCHAT_INDEX_NONE

enum { T_NODES, T_PARENTS, T_TIPS, T_LINKS, T_RELATED, T_LOOKUP, T_UNRESOLVED, T_STRINGS,
       T_NSECTIONS };

struct gitchat_tail {
	const unsigned char *data;
	size_t size;
	uint32_t n[T_NSECTIONS];       /* counts (strings: bytes) */
	uint64_t off[T_NSECTIONS];
	uint32_t base_nvalid, base_nparents, nkeys;
};

static const uint32_t item_size[T_NSECTIONS] = {
	GITCHAT_INDEX_NODE_SIZE, 4, TIP_SIZE, LINK_SIZE, 8, 4, GIT_OID_RAWSZ, 1
};

int gitchat_tail_path(gitchat_buf *out, const char *index_path)
{
	return gitchat_buf_printf(out, "%s+tail", index_path);
}

/* Sections follow the header, packed; the counts say where. */
static uint64_t t_layout(uint64_t off[T_NSECTIONS], const uint32_t n[T_NSECTIONS])
{
	uint64_t end = T_HEADER;
	for (int i = 0; i < T_NSECTIONS; i++) {
		off[i] = end;
		end += (uint64_t)n[i] * item_size[i];
	}
	return end;
}

static void t_sum(unsigned char out[T_SUM], const unsigned char *data, size_t size)
{
	static const unsigned char zero[T_SUM];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, T_SUM);
	crypto_generichash_update(&st, data, T_SUM_AT);
	crypto_generichash_update(&st, zero, sizeof(zero));
	crypto_generichash_update(&st, data + T_HEADER, size - T_HEADER);
	crypto_generichash_final(&st, out, T_SUM);
}

static int t_bad(const char *path, const char *why)
{
	return gitchat_error_set(GITCHAT_EINVALID, "the order index tail '%s' is unusable: %s",
	                         path, why);
}

/* Every position and parent a record names must exist: checked once, on
 * open, so that readers index with values the counts allow. */
static int t_check(gitchat_tail *t, const char *path)
{
	uint32_t total = t->base_nvalid + t->n[T_NODES];
	uint64_t nparents = (uint64_t)t->base_nparents + t->n[T_PARENTS];
	size_t i;

	for (i = 0; i < t->n[T_NODES]; i++) {
		gitchat_index_rec r;
		gitchat_index_rec_get(&r, t->data + t->off[T_NODES] + i * GITCHAT_INDEX_NODE_SIZE);
		if (r.invalid || r.key >= t->nkeys || r.kind > 3 || !GITCHAT_TIME_VALID(r.time) ||
		    r.first_parent < t->base_nparents ||
		    (uint64_t)r.first_parent + r.nparents > nparents ||
		    (r.target != NONE && r.target >= total) || (r.reply != NONE && r.reply >= total))
			return t_bad(path, "a message record is inconsistent");
	}
	for (i = 0; i < t->n[T_PARENTS]; i++)
		if (gitchat_tail_parent(t, i) >= total)
			return t_bad(path, "a parent is out of range");
	for (i = 0; i < t->n[T_LOOKUP]; i++)
		if (gitchat_le32(t->data + t->off[T_LOOKUP] + 4 * i) >= t->n[T_NODES])
			return t_bad(path, "its lookup table is damaged");
	for (i = 0; i < t->n[T_RELATED]; i++) {
		uint64_t r = gitchat_tail_related(t, i);
		if ((uint32_t)(r >> 32) >= total || (uint32_t)r >= total)
			return t_bad(path, "its related table is damaged");
	}
	for (i = 0; i < t->n[T_LINKS]; i++) {
		gitchat_tail_link l;
		gitchat_tail_link_at(&l, t, i);
		if (l.node < t->base_nvalid || l.node >= total || l.which > 1)
			return t_bad(path, "a link is damaged");
	}
	for (i = 0; i < t->n[T_TIPS]; i++) {
		const char *name;
		gitchat_tail_tip(&name, t, i);
		if (!name)
			return t_bad(path, "a tip has no name");
	}
	if (t->n[T_STRINGS] && t->data[t->off[T_STRINGS] + t->n[T_STRINGS] - 1] != '\0')
		return t_bad(path, "its strings are not terminated");
	return 0;
}

static int t_parse(gitchat_tail *t, const char *path, const gitchat_tail_base *base)
{
	const unsigned char *h = t->data;
	unsigned char sum[T_SUM];
	int i;

	if (t->size < T_HEADER || memcmp(h, T_MAGIC, 8) != 0)
		return t_bad(path, "it is not an order index tail");
	if (gitchat_le64(h + 8) != t->size)
		return t_bad(path, "it is truncated or was not written completely");
	t_sum(sum, h, t->size);
	if (sodium_memcmp(sum, h + T_SUM_AT, T_SUM) != 0)
		return t_bad(path, "it does not match its checksum");
	for (i = 0; i < T_NSECTIONS - 1; i++)
		t->n[i] = gitchat_le32(h + 16 + 4 * i);
	t->n[T_STRINGS] = gitchat_le32(h + 44);
	t->base_nvalid = gitchat_le32(h + 48);
	t->base_nparents = gitchat_le32(h + 52);
	t->nkeys = gitchat_le32(h + 56);
	if (t->base_nvalid != base->nvalid || t->base_nparents != base->nparents ||
	    t->nkeys != base->nkeys || sodium_memcmp(h + 60, base->meta, 32) != 0)
		return t_bad(path, "it extends another index");
	if (t->n[T_LOOKUP] != t->n[T_NODES] || t->n[T_NODES] > GITCHAT_TAIL_MAX ||
	    t_layout(t->off, t->n) != t->size)
		return t_bad(path, "its size does not match its counts");
	return t_check(t, path);
}

void gitchat_tail_free(gitchat_tail *t)
{
	if (!t)
		return;
	if (t->data)
		munmap((void *)t->data, t->size);
	free(t);
}

int gitchat_tail_open(gitchat_tail **out, const char *path, const gitchat_tail_base *base)
{
	gitchat_tail *t = NULL;
	int fd = -1, error;

	*out = NULL;
	if ((error = gitchat_fs_open_regular(&fd, NULL, path, O_RDONLY | O_NOFOLLOW, 0)) < 0)
		return error;
	if (!(t = calloc(1, sizeof(*t)))) {
		error = gitchat_error_oom();
		goto done;
	}
	if ((error = gitchat_fs_map(&t->data, &t->size, fd, T_HEADER, path)) > 0)
		error = t_bad(path, "it is truncated");
	if (error < 0 || (error = t_parse(t, path, base)) < 0)
		goto done;
	*out = t;
	t = NULL;
done:
	gitchat_tail_free(t);
	close(fd);
	return error;
}

size_t gitchat_tail_count(const gitchat_tail *t)
{
	return t->n[T_NODES];
}

size_t gitchat_tail_nparents(const gitchat_tail *t)
{
	return t->n[T_PARENTS];
}

int gitchat_tail_node_at(gitchat_index_rec *out, const gitchat_tail *t, size_t i)
{
	if (i >= t->n[T_NODES])
		return gitchat_error_set(GITCHAT_ENOTFOUND, "no message %zu in this conversation",
		                         t->base_nvalid + i);
	gitchat_index_rec_get(out, t->data + t->off[T_NODES] + i * GITCHAT_INDEX_NODE_SIZE);
	return 0;
}

uint32_t gitchat_tail_parent(const gitchat_tail *t, size_t k)
{
	return gitchat_le32(t->data + t->off[T_PARENTS] + 4 * k);
}

size_t gitchat_tail_ntips(const gitchat_tail *t)
{
	return t->n[T_TIPS];
}

const unsigned char *gitchat_tail_tip(const char **name, const gitchat_tail *t, size_t i)
{
	const unsigned char *p = t->data + t->off[T_TIPS] + i * TIP_SIZE;
	uint32_t at = gitchat_le32(p + 20);
	*name = at < t->n[T_STRINGS] ? (const char *)t->data + t->off[T_STRINGS] + at : NULL;
	return p;
}

size_t gitchat_tail_nlinks(const gitchat_tail *t)
{
	return t->n[T_LINKS];
}

void gitchat_tail_link_at(gitchat_tail_link *out, const gitchat_tail *t, size_t i)
{
	const unsigned char *p = t->data + t->off[T_LINKS] + i * LINK_SIZE;
	out->node = gitchat_le32(p);
	out->which = gitchat_le32(p + 4);
	git_oid_fromraw(&out->id, p + 8);
}

size_t gitchat_tail_nrelated(const gitchat_tail *t)
{
	return t->n[T_RELATED];
}

uint64_t gitchat_tail_related(const gitchat_tail *t, size_t i)
{
	const unsigned char *p = t->data + t->off[T_RELATED] + 8 * i;
	return (uint64_t)gitchat_le32(p) << 32 | gitchat_le32(p + 4);
}

int gitchat_tail_find(size_t *out, const gitchat_tail *t, const git_oid *id)
{
	size_t lo = 0, hi = t->n[T_LOOKUP];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t pos = gitchat_le32(t->data + t->off[T_LOOKUP] + 4 * mid);
		const unsigned char *rec = t->data + t->off[T_NODES] + (size_t)pos * GITCHAT_INDEX_NODE_SIZE;
		int c = memcmp(rec + 8, id->id, GIT_OID_RAWSZ);
		if (c == 0) {
			*out = pos;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return GITCHAT_ENOTFOUND;
}

size_t gitchat_tail_nunresolved(const gitchat_tail *t)
{
	return t->n[T_UNRESOLVED];
}

const unsigned char *gitchat_tail_unresolved(const gitchat_tail *t, size_t i)
{
	return t->data + t->off[T_UNRESOLVED] + i * GIT_OID_RAWSZ;
}

int gitchat_ids_contain(const unsigned char *ids, size_t n, const git_oid *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(ids + mid * GIT_OID_RAWSZ, id->id, GIT_OID_RAWSZ);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int gitchat_tail_unresolved_has(const gitchat_tail *t, const git_oid *id)
{
	return gitchat_ids_contain(t->data + t->off[T_UNRESOLVED], t->n[T_UNRESOLVED], id);
}

/* ---- writing ---- */

static const gitchat_tail_node *lookup_nodes;

static int pos_by_id(const void *a, const void *b)
{
	return git_oid_cmp(&lookup_nodes[*(const uint32_t *)a].id,
	                   &lookup_nodes[*(const uint32_t *)b].id);
}

static int t_fill(gitchat_buf *b, const gitchat_tail_data *d)
{
	uint32_t n[T_NSECTIONS], *lookup = NULL;
	uint64_t off[T_NSECTIONS], size;
	unsigned char *p, sum[T_SUM];
	size_t i, strings = 0;

	for (i = 0; i < d->tips->count; i++)
		strings += strlen(d->tips->tips[i].refname) + 1;
	n[T_NODES] = (uint32_t)d->count;
	n[T_PARENTS] = (uint32_t)d->nparents;
	n[T_TIPS] = (uint32_t)d->tips->count;
	n[T_LINKS] = (uint32_t)d->nlinks;
	n[T_RELATED] = (uint32_t)d->nrelated;
	n[T_LOOKUP] = (uint32_t)d->count;
	n[T_UNRESOLVED] = (uint32_t)d->nunresolved;
	n[T_STRINGS] = (uint32_t)strings;
	size = t_layout(off, n);
	if (gitchat_buf_grow(b, size) < 0 || !(lookup = malloc((d->count + 1) * sizeof(uint32_t))))
		return gitchat_error_oom();
	p = (unsigned char *)b->ptr;
	memset(p, 0, size);
	memcpy(p, T_MAGIC, 8);
	gitchat_put_le64(p + 8, size);
	for (i = 0; i < T_NSECTIONS - 1; i++)
		gitchat_put_le32(p + 16 + 4 * i, n[i]);
	gitchat_put_le32(p + 44, n[T_STRINGS]);
	gitchat_put_le32(p + 48, d->base->nvalid);
	gitchat_put_le32(p + 52, d->base->nparents);
	gitchat_put_le32(p + 56, d->base->nkeys);
	memcpy(p + 60, d->base->meta, 32);
	for (i = 0; i < d->count; i++) {
		const gitchat_tail_node *nd = &d->nodes[i];
		gitchat_index_rec r = { nd->time, &nd->id, nd->target, nd->reply, nd->first_parent,
		                        nd->key, nd->nparents, nd->kind, 0, nd->text };
		gitchat_index_rec_put(p + off[T_NODES] + i * GITCHAT_INDEX_NODE_SIZE, &r);
		lookup[i] = (uint32_t)i;
	}
	for (i = 0; i < d->nparents; i++)
		gitchat_put_le32(p + off[T_PARENTS] + 4 * i, d->parents[i]);
	for (i = 0, strings = 0; i < d->tips->count; i++) {
		const gitchat_tip *tip = &d->tips->tips[i];
		memcpy(p + off[T_TIPS] + i * TIP_SIZE, tip->id.id, GIT_OID_RAWSZ);
		gitchat_put_le32(p + off[T_TIPS] + i * TIP_SIZE + 20, (uint32_t)strings);
		memcpy(p + off[T_STRINGS] + strings, tip->refname, strlen(tip->refname) + 1);
		strings += strlen(tip->refname) + 1;
	}
	for (i = 0; i < d->nlinks; i++) {
		unsigned char *l = p + off[T_LINKS] + i * LINK_SIZE;
		gitchat_put_le32(l, d->links[i].node);
		gitchat_put_le32(l + 4, d->links[i].which);
		memcpy(l + 8, d->links[i].id.id, GIT_OID_RAWSZ);
	}
	for (i = 0; i < d->nrelated; i++) {
		gitchat_put_le32(p + off[T_RELATED] + 8 * i, (uint32_t)(d->related[i] >> 32));
		gitchat_put_le32(p + off[T_RELATED] + 8 * i + 4, (uint32_t)d->related[i]);
	}
	lookup_nodes = d->nodes;
	qsort(lookup, d->count, sizeof(uint32_t), pos_by_id);
	for (i = 0; i < d->count; i++)
		gitchat_put_le32(p + off[T_LOOKUP] + 4 * i, lookup[i]);
	for (i = 0; i < d->nunresolved; i++)
		memcpy(p + off[T_UNRESOLVED] + i * GIT_OID_RAWSZ, d->unresolved[i].id, GIT_OID_RAWSZ);
	t_sum(sum, p, size);
	memcpy(p + T_SUM_AT, sum, T_SUM);
	b->size = size;
	free(lookup);
	return 0;
}

int gitchat_tail_write(const char *path, const gitchat_tail_data *d)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	int error;

	if (d->count > GITCHAT_TAIL_MAX)
		return gitchat_error_set(GITCHAT_EINVALID, "an order index tail holds at most %d messages",
		                         GITCHAT_TAIL_MAX);
	if ((error = t_fill(&b, d)) < 0)
		goto done;
	error = gitchat_index_sidecar_write(path, b.ptr, b.size);
done:
	gitchat_buf_dispose(&b);
	return error;
}
