#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "order/index.h"
#include "order/tail.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/date.h"
#include "util/error.h"
#include "util/fs.h"

/* The index records verdicts (which commits are valid): a new version
 * with every change of the rules of validity (02: identities as git fsck
 * takes them, times within 1970..9999; 03: attachments' tree rule) or of
 * the layout (04: the ids that links name and the room lacks, for the
 * append condition, order/tail.h; 05: a node's message cache slot is a
 * record number of the compressed cache, order/text.h; 06: 4 KiB blocks,
 * not 64 KiB, because a new message with a hundred parents touched a
 * hundred blocks and hashed 6 MB to check them). */
#define IX_MAGIC "GCORDX07"
#define IX_HEADER 192
#define IX_BLOCK 4096u
#define IX_BLOCK_SUM 16
#define IX_META_SUM 32
#define NODE_SIZE GITCHAT_INDEX_NODE_SIZE
#define TIP_SIZE 24
#define LINK_SIZE 28
#define PROBLEM_SIZE 32
#define RELATED_SIZE 8
#define FANOUT 256
#define NONE GITCHAT_INDEX_NONE

enum { S_NODES, S_PARENTS, S_KEYS, S_TIPS, S_LINKS, S_PROBLEMS, S_RELATED, S_LOOKUP,
       S_UNRESOLVED, S_STRINGS, NSECTIONS };

typedef struct {
	uint32_t nvalid, ntotal, nparents, nkeys, ntips, nlinks, nproblems, nrelated, nunresolved,
	         strings;
} ix_counts;

struct gitchat_index {
	char *path;                /* for messages */
	const unsigned char *data;
	size_t size;
	int mapped;                /* munmap, else free */
	ix_counts c;
	uint64_t body;
	uint64_t off[NSECTIONS];
	uint32_t nblocks;
	const unsigned char *sums;
	const unsigned char *text_id;
	const unsigned char *meta; /* the meta sum: what a tail names */
	uint8_t *checked;          /* per block: 0 not yet, 1 good, 2 bad */
	gitchat_tail *tail;        /* messages appended since (order/tail.h), or NULL */
};

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~(uint64_t)7;
}

/* LOOKUP: the fan-out, then per message (in oid order) the oid's second
 * and third bytes as a u16, padded to 4, then its position as a u32. A
 * search reads the keys, which lie together (a bucket of a million-message
 * room is about 8 KB, two blocks); only a key that matches sends it to the
 * node, to compare the whole oid. With positions alone, each step of the
 * search read a node somewhere in the file, and checked its block the
 * first time: 1,000 new messages onto 100,000 looked up their parents
 * through most of the 1,270 node blocks. */
static uint64_t lookup_keys_size(uint64_t n)
{
	return (n * 2 + 3) & ~(uint64_t)3;
}

static unsigned lookup_key(const unsigned char *id)
{
	return (unsigned)id[1] << 8 | id[2];
}

/* Section sizes follow from the counts; so does the whole layout. */
static void section_sizes(uint64_t sz[NSECTIONS], const ix_counts *c)
{
	sz[S_NODES] = (uint64_t)c->ntotal * NODE_SIZE;
	sz[S_PARENTS] = (uint64_t)c->nparents * 4;
	sz[S_KEYS] = (uint64_t)c->nkeys * GITCHAT_PUBKEY_SIZE;
	sz[S_TIPS] = (uint64_t)c->ntips * TIP_SIZE;
	sz[S_LINKS] = (uint64_t)c->nlinks * LINK_SIZE;
	sz[S_PROBLEMS] = (uint64_t)c->nproblems * PROBLEM_SIZE;
	sz[S_RELATED] = (uint64_t)c->nrelated * RELATED_SIZE;
	sz[S_LOOKUP] = (uint64_t)FANOUT * 4 + lookup_keys_size(c->nvalid) + (uint64_t)c->nvalid * 4;
	sz[S_UNRESOLVED] = (uint64_t)c->nunresolved * GIT_OID_RAWSZ;
	sz[S_STRINGS] = c->strings;
}

static uint64_t layout(uint64_t off[NSECTIONS], uint64_t *body, uint32_t *nblocks,
                       const ix_counts *c)
{
	uint64_t sz[NSECTIONS], end, len;
	int i;

	section_sizes(sz, c);
	for (len = 0, i = 0; i < NSECTIONS; i++)
		len = align8(len) + sz[i];
	*nblocks = (uint32_t)((len + IX_BLOCK - 1) / IX_BLOCK);
	*body = align8(IX_HEADER + (uint64_t)*nblocks * IX_BLOCK_SUM + IX_META_SUM);
	for (end = *body, i = 0; i < NSECTIONS; i++) {
		off[i] = align8(end);
		end = off[i] + sz[i];
	}
	return end;
}

int gitchat_index_path(gitchat_buf *out, git_repository *repo, const char *room)
{
	return gitchat_buf_printf(out, "%schat/index/%s", git_repository_path(repo), room);
}

/* ---- one node record (the tail's are the same) ---- */

void gitchat_index_rec_put(unsigned char *rec, const gitchat_index_rec *r)
{
	gitchat_put_le64(rec, (uint64_t)r->time);
	memcpy(rec + 8, r->id->id, GIT_OID_RAWSZ);
	gitchat_put_le32(rec + 28, r->target);
	gitchat_put_le32(rec + 32, r->reply);
	gitchat_put_le32(rec + 36, r->first_parent);
	gitchat_put_le32(rec + 40, r->key);
	rec[44] = (unsigned char)r->nparents;
	rec[45] = (unsigned char)(r->nparents >> 8);
	rec[46] = (unsigned char)r->kind;
	rec[47] = r->invalid ? 1 : 0;
	gitchat_put_le32(rec + 48, r->text);
}

void gitchat_index_rec_get(gitchat_index_rec *out, const unsigned char *p)
{
	out->time = (int64_t)gitchat_le64(p);
	out->id = (const git_oid *)(p + 8);
	out->target = gitchat_le32(p + 28);
	out->reply = gitchat_le32(p + 32);
	out->first_parent = gitchat_le32(p + 36);
	out->key = gitchat_le32(p + 40);
	out->nparents = (uint32_t)p[44] | (uint32_t)p[45] << 8;
	out->kind = p[46];
	out->invalid = p[47] & 1;
	out->text = gitchat_le32(p + 48);
}

/* ---- reading ---- */

static int corrupt(const gitchat_index *ix, const char *why)
{
	return gitchat_error_set(GITCHAT_EINVALID, "the order index '%s' is unusable: %s",
	                         ix->path ? ix->path : "(in memory)", why);
}

/* Checks the blocks that hold [off, off + len) the first time they are read. */
static int check(gitchat_index *ix, uint64_t off, uint64_t len)
{
	uint64_t first, last, b;
	unsigned char sum[IX_BLOCK_SUM];

	if (!len)
		return 0;
	if (off < ix->body || off + len > ix->size)
		return corrupt(ix, "a record lies outside the file");
	first = (off - ix->body) / IX_BLOCK;
	last = (off + len - 1 - ix->body) / IX_BLOCK;
	for (b = first; b <= last; b++) {
		uint64_t start = ix->body + b * IX_BLOCK, n = ix->size - start;
		if (ix->checked[b] == 1)
			continue;
		if (ix->checked[b] == 0) {
			if (n > IX_BLOCK)
				n = IX_BLOCK;
			crypto_generichash(sum, sizeof(sum), ix->data + start, n, NULL, 0);
			ix->checked[b] = sodium_memcmp(sum, ix->sums + b * IX_BLOCK_SUM, sizeof(sum)) == 0
			                 ? 1 : 2;
		}
		if (ix->checked[b] == 2)
			return corrupt(ix, "a block does not match its checksum");
	}
	return 0;
}

/* Not damaged, only not for us: written by another version or under other
 * limits. Rebuilt all the same. */
static int stale(const gitchat_index *ix, const char *why)
{
	return gitchat_error_set(GITCHAT_EUNSUPPORTED, "the order index '%s' is stale: %s",
	                         ix->path ? ix->path : "(in memory)", why);
}

static int parse_header(gitchat_index *ix, const gitchat_limits *limits)
{
	const unsigned char *h = ix->data;
	unsigned char sum[IX_META_SUM];
	uint64_t off[NSECTIONS], body, end;
	uint32_t nblocks;
	int i;

	if (ix->size < IX_HEADER || memcmp(h, IX_MAGIC, 6) != 0)
		return corrupt(ix, "it is not an order index");
	if (memcmp(h, IX_MAGIC, 8) != 0)
		return stale(ix, "it was written by another version");
	if (gitchat_le32(h + 8) != IX_BLOCK || gitchat_le64(h + 16) != ix->size)
		return corrupt(ix, "it is truncated or was not written completely");
	if (gitchat_le32(h + 24) != (uint32_t)limits->max_text || gitchat_le32(h + 28) != (uint32_t)limits->max_tree ||
	    gitchat_le32(h + 32) != (uint32_t)limits->max_parents ||
	    gitchat_le32(h + 184) != (uint32_t)limits->max_file)
		return stale(ix, "it was built under other verification limits");
	ix->c.nvalid = gitchat_le32(h + 36);
	ix->c.ntotal = gitchat_le32(h + 40);
	ix->c.nparents = gitchat_le32(h + 44);
	ix->c.nkeys = gitchat_le32(h + 48);
	ix->c.ntips = gitchat_le32(h + 52);
	ix->c.nlinks = gitchat_le32(h + 56);
	ix->c.nproblems = gitchat_le32(h + 60);
	ix->c.nrelated = gitchat_le32(h + 64);
	ix->c.nunresolved = gitchat_le32(h + 68);
	ix->c.strings = gitchat_le32(h + 72);
	if (ix->c.nvalid > ix->c.ntotal || ix->c.ntotal == NONE)
		return corrupt(ix, "its counts do not add up");
	end = layout(off, &body, &nblocks, &ix->c);
	if (end != ix->size || gitchat_le32(h + 12) != nblocks || gitchat_le64(h + 80) != body)
		return corrupt(ix, "its size does not match its counts");
	for (i = 0; i < NSECTIONS; i++)
		if (gitchat_le64(h + 88 + 8 * i) != off[i])
			return corrupt(ix, "its sections are misplaced");
	crypto_generichash(sum, sizeof(sum), h, IX_HEADER + (size_t)nblocks * IX_BLOCK_SUM, NULL, 0);
	if (sodium_memcmp(sum, h + IX_HEADER + (size_t)nblocks * IX_BLOCK_SUM, sizeof(sum)) != 0)
		return corrupt(ix, "its header does not match its checksum");
	memcpy(ix->off, off, sizeof(off));
	ix->body = body;
	ix->nblocks = nblocks;
	ix->sums = h + IX_HEADER;
	ix->text_id = h + 168;
	ix->meta = h + IX_HEADER + (size_t)nblocks * IX_BLOCK_SUM;
	if (!(ix->checked = calloc(nblocks + 1, 1)))
		return gitchat_error_oom();
	/* The small sections are read at once; checking them now keeps the
	 * accessors simple. */
	if (check(ix, off[S_KEYS], (uint64_t)ix->c.nkeys * GITCHAT_PUBKEY_SIZE) < 0 ||
	    check(ix, off[S_TIPS], (uint64_t)ix->c.ntips * TIP_SIZE) < 0 ||
	    check(ix, off[S_PROBLEMS], (uint64_t)ix->c.nproblems * PROBLEM_SIZE) < 0 ||
	    check(ix, off[S_UNRESOLVED], (uint64_t)ix->c.nunresolved * GIT_OID_RAWSZ) < 0 ||
	    check(ix, off[S_STRINGS], ix->c.strings) < 0)
		return GITCHAT_EINVALID;
	if (ix->c.strings && ix->data[off[S_STRINGS] + ix->c.strings - 1] != '\0')
		return corrupt(ix, "its strings are not terminated");
	return 0;
}

static void ix_dispose(gitchat_index *ix)
{
	if (ix->mapped && ix->data)
		munmap((void *)ix->data, ix->size);
	else
		free((void *)ix->data);
	free(ix->checked);
	free(ix->path);
	gitchat_tail_free(ix->tail);
	free(ix);
}

void gitchat_index_free(gitchat_index *ix)
{
	if (ix)
		ix_dispose(ix);
}

static int open_fd(gitchat_index **out, int fd, const char *path, const gitchat_limits *limits)
{
	gitchat_index *ix = calloc(1, sizeof(*ix));
	const unsigned char *p;
	int error;

	*out = NULL;
	if (!ix || (path && !(ix->path = strdup(path)))) {
		free(ix);
		return gitchat_error_oom();
	}
	if ((error = gitchat_fs_map(&p, &ix->size, fd, IX_HEADER, path)) != 0) {
		if (error > 0)
			error = corrupt(ix, "it is truncated");
		goto fail;
	}
	ix->data = p;
	ix->mapped = 1;
	if ((error = parse_header(ix, limits)) < 0)
		goto fail;
	*out = ix;
	return 0;
fail:
	ix_dispose(ix);
	return error;
}

void gitchat_index_tail_base(gitchat_tail_base *out, const gitchat_index *ix)
{
	out->nvalid = ix->c.nvalid;
	out->nparents = ix->c.nparents;
	out->nkeys = ix->c.nkeys;
	out->meta = ix->meta;
}

int gitchat_index_appendable(const gitchat_index *ix)
{
	return ix->c.ntotal == ix->c.nvalid && ix->c.nproblems == 0;
}

/* Messages appended since the index was written, when its tail extends
 * exactly this index. A tail that does not (torn, damaged, of an index
 * since replaced) is ignored: the refs say what is missing, and the next
 * update appends it again. Only an index with no invalid commit and no
 * problem takes a tail (the appender's rule, order/append.c). */
static void tail_attach(gitchat_index *ix, const char *path)
{
	gitchat_buf tp = GITCHAT_BUF_INIT;
	gitchat_tail_base base;

	gitchat_index_tail_base(&base, ix);
	if (gitchat_index_appendable(ix) && gitchat_tail_path(&tp, path) == 0 &&
	    gitchat_tail_open(&ix->tail, tp.ptr, &base) < 0)
		ix->tail = NULL;
	gitchat_error_clear();
	gitchat_buf_dispose(&tp);
}

const gitchat_tail *gitchat_index_tail(const gitchat_index *ix)
{
	return ix->tail;
}

int gitchat_index_unresolved_has(const gitchat_index *ix, const git_oid *id)
{
	return (ix->tail && gitchat_tail_unresolved_has(ix->tail, id)) ||
	       gitchat_ids_contain(ix->data + ix->off[S_UNRESOLVED], ix->c.nunresolved, id);
}

/* Opens an index held in malloc'd memory, which it takes (and frees, also
 * on failure). */
static int open_owned(gitchat_index **out, unsigned char *data, size_t len,
                      const gitchat_limits *limits)
{
	gitchat_index *ix = calloc(1, sizeof(*ix));
	int error;

	*out = NULL;
	if (!ix) {
		free(data);
		return gitchat_error_oom();
	}
	ix->data = data;           /* not mapped: ix_dispose frees it */
	ix->size = len;
	if ((error = parse_header(ix, limits)) < 0) {
		ix_dispose(ix);
		return error;
	}
	*out = ix;
	return 0;
}

int gitchat_index_open_bytes(gitchat_index **out, const void *data, size_t len,
                             const gitchat_limits *limits)
{
	unsigned char *copy = malloc(len ? len : 1);

	*out = NULL;
	if (!copy)
		return gitchat_error_oom();
	memcpy(copy, data, len);
	return open_owned(out, copy, len, limits);
}

int gitchat_index_open(gitchat_index **out, const char *path, const gitchat_limits *limits)
{
	int fd, error;

	*out = NULL;
	/* Not a regular file: EINVALID, rebuilt (and renamed over) like a
	 * damaged one. */
	if ((error = gitchat_fs_open_regular(&fd, NULL, path, O_RDONLY | O_NOFOLLOW, 0)) < 0) {
		if (error == GITCHAT_ENOTFOUND)
			return gitchat_error_set(GITCHAT_ENOTFOUND, "there is no order index '%s'", path);
		return error;
	}
	error = open_fd(out, fd, path, limits);
	close(fd);
	if (error == 0)
		tail_attach(*out, path);
	return error;
}

size_t gitchat_index_count(const gitchat_index *ix)
{
	return ix->c.nvalid + (ix->tail ? gitchat_tail_count(ix->tail) : 0);
}

const unsigned char *gitchat_index_text_id(const gitchat_index *ix)
{
	return ix->text_id;
}

int gitchat_index_parent_positions(uint32_t *out, gitchat_index *ix, const gitchat_index_rec *nd)
{
	const unsigned char *parents = ix->data + ix->off[S_PARENTS];
	int tail = ix->tail && nd->first_parent >= ix->c.nparents;
	uint32_t k;
	int error;

	if (!tail && (error = check(ix, ix->off[S_PARENTS] + (uint64_t)nd->first_parent * 4,
	                            (uint64_t)nd->nparents * 4)) < 0)
		return error;
	for (k = 0; k < nd->nparents; k++) {
		uint32_t pos = tail ? gitchat_tail_parent(ix->tail, nd->first_parent - ix->c.nparents + k)
		                    : gitchat_le32(parents + 4 * ((size_t)nd->first_parent + k));
		if (pos >= gitchat_index_count(ix))
			return corrupt(ix, "a parent is out of range");
		out[k] = pos;
	}
	return 0;
}

int gitchat_index_parents(git_oid *out, gitchat_index *ix, const gitchat_index_rec *nd)
{
	gitchat_index_rec p = { 0 };
	uint32_t *pos = malloc(((size_t)nd->nparents + 1) * sizeof(*pos));
	int error;

	if (!pos)
		return gitchat_error_oom();
	if ((error = gitchat_index_parent_positions(pos, ix, nd)) < 0)
		goto done;
	for (uint32_t k = 0; k < nd->nparents; k++) {
		if ((error = gitchat_index_node(&p, ix, pos[k])) < 0)
			goto done;
		git_oid_cpy(&out[k], p.id);
	}
done:
	free(pos);
	return error;
}

size_t gitchat_index_invalid(const gitchat_index *ix)
{
	return ix->c.ntotal - ix->c.nvalid;
}

int gitchat_index_node(gitchat_index_rec *out, gitchat_index *ix, size_t i)
{
	uint64_t off;
	int error;

	if (ix->tail && i >= ix->c.nvalid)
		return gitchat_tail_node_at(out, ix->tail, i - ix->c.nvalid);
	if (i >= ix->c.ntotal)
		return gitchat_error_set(GITCHAT_ENOTFOUND, "no message %zu in this conversation", i);
	off = ix->off[S_NODES] + (uint64_t)i * NODE_SIZE;
	if ((error = check(ix, off, NODE_SIZE)) < 0)
		return error;
	gitchat_index_rec_get(out, ix->data + off);
	/* The sums make damage unlikely, not impossible: never index with a
	 * value the counts do not allow. */
	if (out->target >= ix->c.nvalid)
		out->target = NONE;
	if (out->reply >= ix->c.nvalid)
		out->reply = NONE;
	if ((!out->invalid && (out->key >= ix->c.nkeys || out->kind > 3 ||
	                       !GITCHAT_TIME_VALID(out->time))) ||
	    (uint64_t)out->first_parent + out->nparents > ix->c.nparents ||
	    out->invalid != (i >= ix->c.nvalid))
		return corrupt(ix, "a message record is inconsistent");
	return 0;
}

const gitchat_pubkey *gitchat_index_key(gitchat_index *ix, uint32_t k)
{
	if (k >= ix->c.nkeys)
		return NULL;
	return (const gitchat_pubkey *)(ix->data + ix->off[S_KEYS] + (uint64_t)k * GITCHAT_PUBKEY_SIZE);
}

static const char *string_at(gitchat_index *ix, uint32_t off)
{
	if (off >= ix->c.strings)
		return NULL;
	return (const char *)ix->data + ix->off[S_STRINGS] + off;
}

/* The tips of the last write: the tail's when there is one. */
static size_t tip_count(const gitchat_index *ix)
{
	return ix->tail ? gitchat_tail_ntips(ix->tail) : ix->c.ntips;
}

static const unsigned char *tip_at(const char **name, gitchat_index *ix, size_t i)
{
	const unsigned char *p;

	if (ix->tail)
		return gitchat_tail_tip(name, ix->tail, i);
	p = ix->data + ix->off[S_TIPS] + i * TIP_SIZE;
	*name = string_at(ix, gitchat_le32(p + 20));
	return p;
}

int gitchat_index_tips_match(gitchat_index *ix, const gitchat_tips *tips)
{
	size_t i;

	if (tips->count != tip_count(ix))
		return 0;
	for (i = 0; i < tips->count; i++) {
		const char *name;
		const unsigned char *p = tip_at(&name, ix, i);
		if (!name)
			return corrupt(ix, "a tip has no name");
		if (memcmp(p, tips->tips[i].id.id, GIT_OID_RAWSZ) != 0 ||
		    strcmp(name, tips->tips[i].refname) != 0)
			return 0;
	}
	return 1;
}

int gitchat_index_tips(gitchat_tips *out, gitchat_index *ix)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!(out->tips = calloc(tip_count(ix) + 1, sizeof(*out->tips))))
		return gitchat_error_oom();
	for (i = 0; i < tip_count(ix); i++) {
		const char *name;
		const unsigned char *p = tip_at(&name, ix, i);
		gitchat_tip *t = &out->tips[out->count];
		if (!name || gitchat_chatref_parse(&t->ref, name) < 0) {
			gitchat_tips_dispose(out);
			return corrupt(ix, "a tip is not a chat ref");
		}
		if (!(t->refname = strdup(name))) {
			gitchat_tips_dispose(out);
			return gitchat_error_oom();
		}
		git_oid_fromraw(&t->id, p);
		out->count++;
	}
	return 0;
}

int gitchat_index_problems(gitchat_index *ix, gitchat_index_problem_cb cb, void *payload)
{
	size_t i;
	int error;

	for (i = 0; i < ix->c.nproblems; i++) {
		const unsigned char *p = ix->data + ix->off[S_PROBLEMS] + i * PROBLEM_SIZE;
		uint32_t name = gitchat_le32(p);
		const char *refname = name == NONE ? NULL : string_at(ix, name);
		const char *reason = string_at(ix, gitchat_le32(p + 28));
		git_oid id;
		if ((name != NONE && !refname) || !reason)
			return corrupt(ix, "a problem record is damaged");
		git_oid_fromraw(&id, p + 8);
		if ((error = cb(refname, &id, reason, payload)) != 0)
			return error;
	}
	return 0;
}

/* The first entry of [lo, hi) whose key is not below `want` (above it
 * when `above`). */
static int key_bound(uint32_t *out, gitchat_index *ix, const unsigned char *keys, uint32_t lo,
                     uint32_t hi, unsigned want, int above)
{
	int error;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		unsigned k;
		if ((error = check(ix, (uint64_t)(keys + 2 * mid - ix->data), 2)) < 0)
			return error;
		k = gitchat_le16(keys + 2 * mid);
		if (k < want || (above && k == want))
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = lo;
	return 0;
}

int gitchat_index_lookup(size_t *out, gitchat_index *ix, const git_oid *id)
{
	const unsigned char *fan = ix->data + ix->off[S_LOOKUP];
	const unsigned char *keys = fan + FANOUT * 4;
	const unsigned char *pos = keys + lookup_keys_size(ix->c.nvalid);
	uint32_t lo, hi, end, first = id->id[0];
	unsigned want = lookup_key(id->id);
	gitchat_index_rec nd = { 0 };
	int error;

	if (ix->tail && gitchat_tail_find(out, ix->tail, id) == 0) {
		*out += ix->c.nvalid;
		return 0;
	}
	if ((error = check(ix, ix->off[S_LOOKUP], FANOUT * 4)) < 0)
		return error;
	lo = first ? gitchat_le32(fan + 4 * (first - 1)) : 0;
	hi = gitchat_le32(fan + 4 * first);
	if (lo > hi || hi > ix->c.nvalid)
		return corrupt(ix, "its lookup table is damaged");
	end = hi;
	/* The keys equal to ours: [lo, hi). */
	if ((error = key_bound(&lo, ix, keys, lo, end, want, 0)) < 0 ||
	    (error = key_bound(&hi, ix, keys, lo, end, want, 1)) < 0)
		return error;
	/* Among them, by the whole oid (they are in oid order): crafted ids
	 * sharing three bytes cost a bisection, not a scan. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, p;
		int c;
		if ((error = check(ix, (uint64_t)(pos + 4 * mid - ix->data), 4)) < 0)
			return error;
		p = gitchat_le32(pos + 4 * mid);
		if (p >= ix->c.nvalid)
			return corrupt(ix, "its lookup table is damaged");
		if ((error = gitchat_index_node(&nd, ix, p)) < 0)
			return error;
		c = git_oid_cmp(nd.id, id);
		if (c == 0) {
			*out = p;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return GITCHAT_ENOTFOUND;
}

int gitchat_index_find(size_t *out, gitchat_index *ix, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	int error = gitchat_index_lookup(out, ix, id);

	if (error != GITCHAT_ENOTFOUND)
		return error;
	return gitchat_error_set(GITCHAT_ENOTFOUND, "message %s is not in this conversation",
	                         git_oid_tostr(hex, sizeof(hex), id));
}

int gitchat_index_related(size_t *total, gitchat_index *ix, size_t target, size_t *out, size_t max)
{
	const unsigned char *rel = ix->data + ix->off[S_RELATED];
	uint32_t lo = 0, hi = ix->c.nrelated, start;
	size_t n = 0;
	int error;

	*total = 0;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if ((error = check(ix, ix->off[S_RELATED] + (uint64_t)mid * RELATED_SIZE, RELATED_SIZE)) < 0)
			return error;
		if (gitchat_le32(rel + (size_t)mid * RELATED_SIZE) < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (start = lo; start < ix->c.nrelated; start++) {
		const unsigned char *p = rel + (size_t)start * RELATED_SIZE;
		uint32_t src;
		if ((error = check(ix, (uint64_t)(p - ix->data), RELATED_SIZE)) < 0)
			return error;
		if (gitchat_le32(p) != target)
			break;
		src = gitchat_le32(p + 4);
		if (src >= ix->c.nvalid)
			return corrupt(ix, "its related table is damaged");
		if (n < max)
			out[n] = src;
		n++;
	}
	/* The tail's sources come after the index's. */
	if (ix->tail) {
		size_t tn = gitchat_tail_nrelated(ix->tail), a = 0, b = tn;
		while (a < b) {
			size_t mid = a + (b - a) / 2;
			if ((gitchat_tail_related(ix->tail, mid) >> 32) < target)
				a = mid + 1;
			else
				b = mid;
		}
		for (; a < tn && (gitchat_tail_related(ix->tail, a) >> 32) == target; a++, n++)
			if (n < max)
				out[n] = (uint32_t)gitchat_tail_related(ix->tail, a);
	}
	*total = n;
	return 0;
}

/* Gives back the pages of [off, off + len) already read: the update path
 * reads the whole index once and should not keep it resident. */
static void release(gitchat_index *ix, uint64_t off, uint64_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)(ix->data + off), end = start + len;

	if (!ix->mapped || pg <= 0)
		return;
	start = (start + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	end &= ~((uintptr_t)pg - 1);
	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
}

static int load_graph(gitchat_graph *g, gitchat_index *ix, uint32_t *pbuf);

int gitchat_index_load_graph(gitchat_graph *g, gitchat_index *ix)
{
	/* A node record counts its parents in 16 bits. */
	uint32_t *pbuf = malloc(65536 * sizeof(uint32_t));
	int error;

	if (!pbuf)
		return gitchat_error_oom();
	error = load_graph(g, ix, pbuf);
	free(pbuf);
	return error;
}

static int load_graph(gitchat_graph *g, gitchat_index *ix, uint32_t *pbuf)
{
	const unsigned char *parents = ix->data + ix->off[S_PARENTS];
	size_t i, k, chunk = 4096, ntail = ix->tail ? gitchat_tail_count(ix->tail) : 0;
	size_t nvalid = ix->c.nvalid + ntail, ntotal = ix->c.ntotal + ntail;
	int error;

	if ((error = check(ix, ix->off[S_PARENTS], (uint64_t)ix->c.nparents * 4)) < 0 ||
	    (error = check(ix, ix->off[S_LINKS], (uint64_t)ix->c.nlinks * LINK_SIZE)) < 0 ||
	    (error = gitchat_graph_reserve(g, ntotal, ix->c.nparents +
	                                   (ix->tail ? gitchat_tail_nparents(ix->tail) : 0))) < 0)
		return error;
	for (i = 0; i < ix->c.nkeys; i++) {
		uint32_t k2;
		if ((error = gitchat_graph_key(&k2, g, gitchat_index_key(ix, (uint32_t)i))) < 0)
			return error;
		if (k2 != i)
			return corrupt(ix, "a key is listed twice");
	}
	for (i = 0; i < ntotal; i++) {
		gitchat_index_rec nd = { 0 };
		int valid = i < nvalid, in_tail = ix->tail && i >= ix->c.nvalid;
		if ((error = gitchat_index_node(&nd, ix, i)) < 0)
			return error;
		for (k = 0; k < nd.nparents; k++) {
			pbuf[k] = in_tail ? gitchat_tail_parent(ix->tail, nd.first_parent - ix->c.nparents + k)
			                  : gitchat_le32(parents + 4 * ((size_t)nd.first_parent + k));
			/* A valid message has only valid parents, placed before the
			 * invalid commits (and before itself: the tail's were
			 * checked when it was opened). */
			if (pbuf[k] >= (valid ? nvalid : ntotal))
				return corrupt(ix, "a parent is out of range");
		}
		if (nd.key != NONE && nd.key >= ix->c.nkeys)
			nd.key = NONE;
		if ((error = gitchat_graph_push(g, nd.id, nd.time, nd.key, nd.kind,
		                                valid ? GITCHAT_GRAPH_VALID : GITCHAT_GRAPH_INVALID,
		                                nd.text, pbuf, nd.nparents)) < 0)
			return error;
		if ((i + 1) % chunk == 0)
			release(ix, ix->off[S_NODES] + (i + 1 - chunk) * NODE_SIZE, chunk * NODE_SIZE);
	}
	release(ix, ix->off[S_NODES], (uint64_t)ix->c.ntotal * NODE_SIZE);
	release(ix, ix->off[S_PARENTS], (uint64_t)ix->c.nparents * 4);
	for (i = 0; i < ix->c.nlinks; i++) {
		const unsigned char *p = ix->data + ix->off[S_LINKS] + i * LINK_SIZE;
		git_oid id;
		if (gitchat_le32(p) >= ix->c.ntotal || gitchat_le32(p + 4) > GITCHAT_LINK_REPLY)
			return corrupt(ix, "a link is damaged");
		git_oid_fromraw(&id, p + 8);
		if ((error = gitchat_graph_link_add(g, gitchat_le32(p), gitchat_le32(p + 4), &id)) < 0)
			return error;
	}
	for (i = 0; i < (ix->tail ? gitchat_tail_nlinks(ix->tail) : 0); i++) {
		gitchat_tail_link l;
		gitchat_tail_link_at(&l, ix->tail, i);
		if ((error = gitchat_graph_link_add(g, l.node, l.which, &l.id)) < 0)
			return error;
	}
	for (i = 0; i < ix->c.nproblems; i++) {
		const unsigned char *p = ix->data + ix->off[S_PROBLEMS] + i * PROBLEM_SIZE;
		uint32_t node = gitchat_le32(p + 4);
		const char *reason = string_at(ix, gitchat_le32(p + 28));
		if (node == NONE)
			continue;            /* ref problems are found again */
		if (node < ix->c.nvalid || node >= ix->c.ntotal || !reason)
			return corrupt(ix, "a problem record is damaged");
		if ((error = gitchat_graph_fail(g, node, reason)) < 0)
			return error;
	}
	return 0;
}

/* ---- writing ---- */

typedef struct {
	int fd;                    /* -1: into mem */
	gitchat_buf *mem;
	uint64_t pos;              /* offset of the next byte */
	uint64_t body;
	unsigned char *block;      /* the block being filled */
	size_t fill;
	unsigned char *sums;
	uint32_t nblock;
	int error;
} ix_writer;

static void w_block_done(ix_writer *w)
{
	crypto_generichash(w->sums + (size_t)w->nblock * IX_BLOCK_SUM, IX_BLOCK_SUM, w->block,
	                   w->fill, NULL, 0);
	w->nblock++;
	if (w->fd >= 0) {
		size_t done = 0;
		while (done < w->fill) {
			ssize_t n = pwrite(w->fd, w->block + done, w->fill - done,
			                   (off_t)(w->pos - w->fill + done));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (!w->error)
					w->error = gitchat_error_set(GITCHAT_EIO, "cannot write the order index: %s",
					                             strerror(errno));
				break;
			}
			done += (size_t)n;
		}
	} else if (gitchat_buf_put(w->mem, w->block, w->fill) < 0 && !w->error) {
		w->error = GITCHAT_ENOMEM;
	}
	w->fill = 0;
}

static void w_put(ix_writer *w, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len) {
		size_t n = IX_BLOCK - w->fill;
		if (n > len)
			n = len;
		memcpy(w->block + w->fill, p, n);
		w->fill += n;
		w->pos += n;
		p += n;
		len -= n;
		if (w->fill == IX_BLOCK)
			w_block_done(w);
	}
}

static void w_seek(ix_writer *w, uint64_t off)
{
	static const unsigned char zero[8];
	while (w->pos < off)
		w_put(w, zero, off - w->pos > 8 ? 8 : (size_t)(off - w->pos));
}

static void w_u32(ix_writer *w, uint32_t v)
{
	unsigned char b[4];
	gitchat_put_le32(b, v);
	w_put(w, b, 4);
}

static const gitchat_graph *link_graph;

static int link_by_node(const void *a, const void *b)
{
	const gitchat_graph_link *x = &link_graph->links[*(const uint32_t *)a];
	const gitchat_graph_link *y = &link_graph->links[*(const uint32_t *)b];
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return x->which < y->which ? -1 : x->which > y->which;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int pos_by_oid(const void *a, const void *b, void *ctx)
{
	const gitchat_graph *g = ((const void **)ctx)[0];
	const uint32_t *order = ((const void **)ctx)[1];
	return memcmp(g->nodes[order[*(const uint32_t *)a]].id.id,
	              g->nodes[order[*(const uint32_t *)b]].id.id, GIT_OID_RAWSZ);
}

/* Positions sorted by oid: bucketed by the first two bytes, then each
 * small bucket sorted. */
static int sort_lookup(uint32_t *out, uint32_t fanout[FANOUT], const gitchat_graph *g,
                       const uint32_t *order, size_t n)
{
	uint32_t *start = calloc(65536 + 1, sizeof(uint32_t));
	const void *ctx[2] = { g, order };
	size_t i;

	if (!start)
		return gitchat_error_oom();
	for (i = 0; i < n; i++) {
		const unsigned char *id = g->nodes[order[i]].id.id;
		start[((unsigned)id[0] << 8 | id[1]) + 1]++;
	}
	for (i = 0; i < 65536; i++)
		start[i + 1] += start[i];
	for (i = 0; i < FANOUT; i++)
		fanout[i] = start[(i + 1) << 8];
	for (i = 0; i < n; i++) {
		const unsigned char *id = g->nodes[order[i]].id.id;
		out[start[(unsigned)id[0] << 8 | id[1]]++] = (uint32_t)i;
	}
	/* start[b] is now the end of bucket b. */
	for (i = 0; i < 65536; i++) {
		uint32_t b = i ? start[i - 1] : 0;
		if (start[i] - b > 1)
			qsort_r(out + b, start[i] - b, sizeof(uint32_t), pos_by_oid, (void *)ctx);
	}
	free(start);
	return 0;
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/* The ids that messages' links name and the room lacks, sorted, once
 * each: an append must not bring one of them (order/tail.h). */
static int unresolved_ids(git_oid **out, size_t *n, const gitchat_graph *g)
{
	size_t i, k = 0;

	*n = 0;
	if (!(*out = malloc((g->nlinks + 1) * sizeof(git_oid))))
		return gitchat_error_oom();
	for (i = 0; i < g->nlinks; i++)
		if (g->links[i].node < g->nvalid && g->links[i].resolved == NONE)
			git_oid_cpy(&(*out)[k++], &g->links[i].id);
	qsort(*out, k, sizeof(git_oid), oid_cmp);
	for (i = 0; i < k; i++)
		if (!*n || !git_oid_equal(&(*out)[*n - 1], &(*out)[i]))
			git_oid_cpy(&(*out)[(*n)++], &(*out)[i]);
	return 0;
}

static int strings_add(uint32_t *off, gitchat_buf *s, const char *str)
{
	*off = (uint32_t)s->size;
	return gitchat_buf_put(s, str, strlen(str) + 1);
}

static int temp_open(int *fd, gitchat_buf *tmp, const char *path)
{
	unsigned char rnd[6];
	char hex[13];
	char *dir = strdup(path), *slash;

	if (!dir)
		return gitchat_error_oom();
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	if (gitchat_fs_mkdir_p(dir, 0755) < 0) {
		free(dir);
		return GITCHAT_EIO;
	}
	free(dir);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	gitchat_buf_clear(tmp);
	if (gitchat_buf_printf(tmp, "%s.tmp-%s", path, hex) < 0)
		return GITCHAT_ENOMEM;
	if ((*fd = open(tmp->ptr, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		return gitchat_error_set(GITCHAT_EIO, "cannot create '%s': %s", tmp->ptr, strerror(errno));
	return 0;
}

static int write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		return gitchat_error_set(GITCHAT_EIO, "cannot create '%s': %s", path, strerror(errno));
	if (gitchat_fs_write_all(fd, data, len) < 0 || close(fd) < 0) {
		int e = errno;
		unlink(path);
		return gitchat_error_set(GITCHAT_EIO, "cannot write '%s': %s", path, strerror(e));
	}
	return 0;
}

int gitchat_index_sidecar_write(const char *path, const void *data, size_t len)
{
	return gitchat_index_sidecar_write_mode(path, data, len, 0644);
}

int gitchat_index_sidecar_write_mode(const char *path, const void *data, size_t len, mode_t mode)
{
	gitchat_buf tmp = GITCHAT_BUF_INIT;
	unsigned char rnd[6];
	char hex[13];
	const char *plus = strrchr(path, '+');
	int error;

	/* <index>.tmp-<hex>, the index's own pattern: swept if we die. */
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	if (!plus || gitchat_buf_put(&tmp, path, (size_t)(plus - path)) < 0 ||
	    gitchat_buf_printf(&tmp, ".tmp-%s", hex) < 0) {
		gitchat_buf_dispose(&tmp);
		return plus ? gitchat_error_oom()
		            : gitchat_error_set(GITCHAT_EINVALID, "'%s' is not beside an index", path);
	}
	/* No fsync, as for the index: a file torn by a crash fails its sum. */
	if ((error = write_file(tmp.ptr, data, len, mode)) == 0 && rename(tmp.ptr, path) < 0) {
		error = gitchat_error_set(GITCHAT_EIO, "cannot replace '%s': %s", path, strerror(errno));
		unlink(tmp.ptr);
	}
	gitchat_buf_dispose(&tmp);
	return error;
}

int gitchat_index_sidecar_read(gitchat_buf *out, const char *path, size_t max)
{
	struct stat st;
	ssize_t n;
	int fd, error;

	gitchat_buf_clear(out);
	if ((error = gitchat_fs_open_regular(&fd, &st, path, O_RDONLY | O_NOFOLLOW, 0)) < 0)
		return error;
	if ((uint64_t)st.st_size < max)
		max = (size_t)st.st_size;
	if ((error = gitchat_buf_grow(out, max + 1)) == 0) {
		while ((n = pread(fd, out->ptr + out->size, max - out->size, (off_t)out->size)) > 0 ||
		       (n < 0 && errno == EINTR))
			if (n > 0 && (out->size += (size_t)n) == max)
				break;
		if (n < 0)
			error = gitchat_error_set(GITCHAT_EIO, "cannot read '%s': %s", path, strerror(errno));
		out->ptr[out->size] = '\0';
	}
	close(fd);
	return error;
}

int gitchat_index_write(gitchat_index **out, const char *path, const gitchat_graph *g,
                        const uint32_t *order, const gitchat_tips *tips,
                        const gitchat_index_refproblem *problems, size_t nproblems,
                        const gitchat_limits *limits, const unsigned char *text_id)
{
	ix_writer w;
	ix_counts c;
	uint64_t off[NSECTIONS], body, size, *related = NULL, *failures = NULL;
	uint32_t nblocks, *rank = NULL, *links = NULL, *lookup = NULL, *tipname = NULL;
	git_oid *unresolved = NULL;
	size_t nunres = 0;
	uint32_t fanout[FANOUT], strings_base;
	gitchat_buf strings = GITCHAT_BUF_INIT, tmp = GITCHAT_BUF_INIT, mem = GITCHAT_BUF_INIT;
	unsigned char header[IX_HEADER], rec[NODE_SIZE];
	size_t i, k, li, nrel = 0, nparents = 0;
	int fd = -1, error = GITCHAT_ENOMEM;

	*out = NULL;
	memset(&w, 0, sizeof(w));
	/* Strings: tip names, problem names and reasons, failure reasons. */
	if (!(tipname = malloc((tips->count + 1) * sizeof(uint32_t))))
		goto done;
	for (i = 0; i < tips->count; i++)
		if (strings_add(&tipname[i], &strings, tips->tips[i].refname) < 0)
			goto done;
	strings_base = (uint32_t)strings.size;
	if (gitchat_buf_put(&strings, g->strings.ptr ? g->strings.ptr : "", g->strings.size) < 0)
		goto done;

	/* rank: node -> position. Invalid nodes keep theirs. */
	if (!(rank = malloc((g->n + 1) * sizeof(uint32_t))) ||
	    !(links = malloc((g->nlinks + 1) * sizeof(uint32_t))))
		goto done;
	for (i = 0; i < g->nvalid; i++)
		rank[order[i]] = (uint32_t)i;
	for (i = g->nvalid; i < g->n; i++)
		rank[i] = (uint32_t)i;
	for (i = 0; i < g->nlinks; i++)
		links[i] = (uint32_t)i;
	link_graph = g;
	qsort(links, g->nlinks, sizeof(uint32_t), link_by_node);
	for (i = 0; i < g->nlinks; i++) {
		const gitchat_graph_link *l = &g->links[i];
		if (l->which == GITCHAT_LINK_TARGET && l->node < g->nvalid && l->resolved != NONE)
			nrel++;
	}
	if (!(related = malloc((nrel + 1) * sizeof(uint64_t))))
		goto done;
	for (i = 0, nrel = 0; i < g->nlinks; i++) {
		const gitchat_graph_link *l = &g->links[i];
		if (l->which == GITCHAT_LINK_TARGET && l->node < g->nvalid && l->resolved != NONE)
			related[nrel++] = (uint64_t)rank[l->resolved] << 32 | rank[l->node];
	}
	qsort(related, nrel, sizeof(uint64_t), u64_cmp);
	if (unresolved_ids(&unresolved, &nunres, g) < 0)
		goto done;
	for (i = 0; i < g->n; i++)
		nparents += g->nodes[i].nparents;

	memset(&c, 0, sizeof(c));
	c.nvalid = (uint32_t)g->nvalid;
	c.ntotal = (uint32_t)g->n;
	c.nparents = (uint32_t)nparents;
	c.nkeys = (uint32_t)g->nkeys;
	c.ntips = (uint32_t)tips->count;
	c.nlinks = (uint32_t)g->nlinks;
	c.nproblems = (uint32_t)(nproblems + g->nfailures);
	c.nrelated = (uint32_t)nrel;
	c.nunresolved = (uint32_t)nunres;
	/* Problem strings go last, so their offsets are known while writing. */
	{
		size_t extra = 0;
		for (i = 0; i < nproblems; i++)
			extra += strlen(problems[i].refname) + strlen(problems[i].reason) + 2;
		if ((uint64_t)strings.size + extra >= NONE || nparents >= NONE) {
			error = gitchat_error_set(GITCHAT_EINVALID, "the room is too large to index");
			goto done;
		}
		c.strings = (uint32_t)(strings.size + extra);
	}
	size = layout(off, &body, &nblocks, &c);

	if (path && temp_open(&fd, &tmp, path) < 0) {
		error = gitchat_error_last()->code;
		goto done;
	}
	w.fd = fd;
	w.mem = &mem;
	if (!(w.block = malloc(IX_BLOCK)) || !(w.sums = calloc(nblocks + 1, IX_BLOCK_SUM)))
		goto done;
	if (fd < 0) {
		/* In memory the header is reserved up front; on disk it is
		 * written last, at offset 0. */
		if (gitchat_buf_grow(&mem, size) < 0)
			goto done;
		memset(mem.ptr, 0, body);
		mem.size = body;
	}
	w.pos = body;
	w.body = body;

	/* NODES */
	w_seek(&w, off[S_NODES]);
	for (i = 0, nparents = 0, li = 0; i < g->n; i++) {
		uint32_t v = i < g->nvalid ? order[i] : (uint32_t)i;
		const gitchat_order_node *nd = &g->nodes[v];
		uint32_t target = NONE, reply = NONE;
		size_t lo = 0, hi = g->nlinks;
		while (lo < hi) {         /* first link of v */
			size_t mid = lo + (hi - lo) / 2;
			if (g->links[links[mid]].node < v)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (li = lo; li < g->nlinks && g->links[links[li]].node == v; li++) {
			const gitchat_graph_link *l = &g->links[links[li]];
			uint32_t to = l->resolved == NONE ? NONE : rank[l->resolved];
			if (i >= g->nvalid)
				continue;
			if (l->which == GITCHAT_LINK_TARGET)
				target = to;
			else
				reply = to;
		}
		{
			gitchat_index_rec r = { nd->time, &nd->id, target, reply, (uint32_t)nparents,
			                        nd->key, nd->nparents, g->kind[v], i >= g->nvalid,
			                        g->text[v] };
			gitchat_index_rec_put(rec, &r);
		}
		w_put(&w, rec, NODE_SIZE);
		nparents += nd->nparents;
	}
	/* PARENTS, as positions */
	w_seek(&w, off[S_PARENTS]);
	for (i = 0; i < g->n; i++) {
		const gitchat_order_node *nd = &g->nodes[i < g->nvalid ? order[i] : i];
		for (k = 0; k < nd->nparents; k++)
			w_u32(&w, rank[g->parents[nd->first_parent + k]]);
	}
	/* KEYS */
	w_seek(&w, off[S_KEYS]);
	w_put(&w, g->keys, g->nkeys * GITCHAT_PUBKEY_SIZE);
	/* TIPS */
	w_seek(&w, off[S_TIPS]);
	for (i = 0; i < tips->count; i++) {
		w_put(&w, tips->tips[i].id.id, GIT_OID_RAWSZ);
		w_u32(&w, tipname[i]);
	}
	/* LINKS */
	w_seek(&w, off[S_LINKS]);
	for (i = 0; i < g->nlinks; i++) {
		const gitchat_graph_link *l = &g->links[links[i]];
		w_u32(&w, rank[l->node]);
		w_u32(&w, l->which);
		w_put(&w, l->id.id, GIT_OID_RAWSZ);
	}
	/* PROBLEMS: the refs', then the commits' in position order. */
	w_seek(&w, off[S_PROBLEMS]);
	{
		uint32_t so = (uint32_t)strings.size;
		for (i = 0; i < nproblems; i++) {
			w_u32(&w, so);
			so += (uint32_t)strlen(problems[i].refname) + 1;
			w_u32(&w, NONE);
			w_put(&w, problems[i].id.id, GIT_OID_RAWSZ);
			w_u32(&w, so);
			so += (uint32_t)strlen(problems[i].reason) + 1;
		}
		if (!(failures = malloc((g->nfailures + 1) * sizeof(uint64_t))))
			goto done;
		for (i = 0; i < g->nfailures; i++)
			failures[i] = (uint64_t)g->failures[i].node << 32 | i;
		qsort(failures, g->nfailures, sizeof(uint64_t), u64_cmp);
		for (i = 0; i < g->nfailures; i++) {
			const gitchat_graph_failure *f = &g->failures[(uint32_t)failures[i]];
			w_u32(&w, NONE);
			w_u32(&w, f->node);
			w_put(&w, g->nodes[f->node].id.id, GIT_OID_RAWSZ);
			w_u32(&w, strings_base + f->reason);
		}
	}
	/* RELATED */
	w_seek(&w, off[S_RELATED]);
	for (i = 0; i < nrel; i++) {
		w_u32(&w, (uint32_t)(related[i] >> 32));
		w_u32(&w, (uint32_t)related[i]);
	}
	/* LOOKUP */
	w_seek(&w, off[S_LOOKUP]);
	if (!(lookup = malloc((g->nvalid + 1) * sizeof(uint32_t))) ||
	    sort_lookup(lookup, fanout, g, order, g->nvalid) < 0)
		goto done;
	for (i = 0; i < FANOUT; i++)
		w_u32(&w, fanout[i]);
	for (i = 0; i < g->nvalid; i++) {
		unsigned char kb[2];
		gitchat_put_le16(kb, (uint16_t)lookup_key(g->nodes[order[lookup[i]]].id.id));
		w_put(&w, kb, 2);
	}
	w_seek(&w, off[S_LOOKUP] + FANOUT * 4 + lookup_keys_size(g->nvalid));
	for (i = 0; i < g->nvalid; i++)
		w_u32(&w, lookup[i]);
	/* UNRESOLVED */
	w_seek(&w, off[S_UNRESOLVED]);
	for (i = 0; i < nunres; i++)
		w_put(&w, unresolved[i].id, GIT_OID_RAWSZ);
	/* STRINGS */
	w_seek(&w, off[S_STRINGS]);
	w_put(&w, strings.ptr ? strings.ptr : "", strings.size);
	for (i = 0; i < nproblems; i++) {
		w_put(&w, problems[i].refname, strlen(problems[i].refname) + 1);
		w_put(&w, problems[i].reason, strlen(problems[i].reason) + 1);
	}
	if (w.fill)
		w_block_done(&w);
	if (w.error) {
		error = w.error;
		goto done;
	}
	if (w.pos != size || w.nblock != nblocks) {
		error = gitchat_error_set(GITCHAT_ERROR, "internal error: the order index layout");
		goto done;
	}

	memset(header, 0, sizeof(header));
	memcpy(header, IX_MAGIC, 8);
	gitchat_put_le32(header + 8, IX_BLOCK);
	gitchat_put_le32(header + 12, nblocks);
	gitchat_put_le64(header + 16, size);
	gitchat_put_le32(header + 24, (uint32_t)limits->max_text);
	gitchat_put_le32(header + 28, (uint32_t)limits->max_tree);
	gitchat_put_le32(header + 32, (uint32_t)limits->max_parents);
	gitchat_put_le32(header + 184, (uint32_t)limits->max_file);
	gitchat_put_le32(header + 36, c.nvalid);
	gitchat_put_le32(header + 40, c.ntotal);
	gitchat_put_le32(header + 44, c.nparents);
	gitchat_put_le32(header + 48, c.nkeys);
	gitchat_put_le32(header + 52, c.ntips);
	gitchat_put_le32(header + 56, c.nlinks);
	gitchat_put_le32(header + 60, c.nproblems);
	gitchat_put_le32(header + 64, c.nrelated);
	gitchat_put_le32(header + 68, c.nunresolved);
	gitchat_put_le32(header + 72, c.strings);
	gitchat_put_le64(header + 80, body);
	for (i = 0; i < NSECTIONS; i++)
		gitchat_put_le64(header + 88 + 8 * i, off[i]);
	if (text_id)
		memcpy(header + 168, text_id, 16);
	{
		crypto_generichash_state st;
		unsigned char meta[IX_META_SUM];
		size_t sl = (size_t)nblocks * IX_BLOCK_SUM;
		crypto_generichash_init(&st, NULL, 0, sizeof(meta));
		crypto_generichash_update(&st, header, sizeof(header));
		crypto_generichash_update(&st, w.sums, sl);
		crypto_generichash_final(&st, meta, sizeof(meta));
		if (fd >= 0) {
			if (pwrite(fd, header, sizeof(header), 0) != (ssize_t)sizeof(header) ||
			    pwrite(fd, w.sums, sl, IX_HEADER) != (ssize_t)sl ||
			    pwrite(fd, meta, sizeof(meta), (off_t)(IX_HEADER + sl)) != (ssize_t)sizeof(meta)) {
				error = gitchat_error_set(GITCHAT_EIO, "cannot write '%s': %s", tmp.ptr,
				                          strerror(errno));
				goto done;
			}
		} else {
			memcpy(mem.ptr, header, sizeof(header));
			memcpy(mem.ptr + IX_HEADER, w.sums, sl);
			memcpy(mem.ptr + IX_HEADER + sl, meta, sizeof(meta));
		}
	}
	if (fd >= 0) {
		/* Open what we wrote (this inode), then publish it. */
		if ((error = open_fd(out, fd, path, limits)) < 0)
			goto done;
		if (rename(tmp.ptr, path) < 0) {
			error = gitchat_error_set(GITCHAT_EIO, "cannot replace '%s': %s", path,
			                          strerror(errno));
			gitchat_index_free(*out);
			*out = NULL;
			goto done;
		}
		gitchat_buf_clear(&tmp);
		/* The tail of the replaced index extends it, not this one
		 * (readers would ignore it): folded in, it goes. */
		if (gitchat_tail_path(&tmp, path) == 0)
			unlink(tmp.ptr);
		gitchat_buf_clear(&tmp);
	} else {
		size_t len = mem.size;
		if ((error = open_owned(out, (unsigned char *)gitchat_buf_detach(&mem), len,
		                        limits)) < 0)
			goto done;
	}
	error = 0;
done:
	if (error == GITCHAT_ENOMEM && !gitchat_error_last()->code)
		gitchat_error_oom();
	if (fd >= 0) {
		close(fd);
		if (tmp.size)
			unlink(tmp.ptr);
	}
	free(w.block);
	free(w.sums);
	free(rank);
	free(links);
	free(lookup);
	free(tipname);
	free(related);
	free(failures);
	free(unresolved);
	gitchat_buf_dispose(&strings);
	gitchat_buf_dispose(&tmp);
	gitchat_buf_dispose(&mem);
	return error;
}
