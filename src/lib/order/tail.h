/*
 * Internal: the tail of an order index, $GIT_DIR/chat/index/<room>+tail:
 * messages that went after every message of the index, appended without
 * rewriting it (docs/order-index.md "Appending"), as git's split
 * commit-graph adds a layer instead of rewriting the graph.
 *
 * A tail names the index it extends by that index's meta sum (and its
 * counts): a tail of another index is ignored. It holds the new messages
 * (the index's 52-byte records, positions continuing the index's), their
 * parents as positions, the room's tips when it was written (they replace
 * the index's), the new messages' links, the (target, source) pairs they
 * add, their positions sorted by id, the ids their links name that the
 * room lacks, and the tip names. Every append rewrites the whole tail (it
 * is small: past GITCHAT_TAIL_MAX messages the index is rewritten with it
 * folded in), to a temporary file renamed into place.
 *
 * Layout, little endian: a 128-byte header (magic "GCORDT01", file size,
 * counts, the base's counts and meta sum, a BLAKE2b-256 of the whole file
 * with the sum's own 32 bytes zero), then NODES PARENTS TIPS LINKS RELATED
 * LOOKUP UNRESOLVED STRINGS, packed. The sum is checked when the tail is
 * opened (it is small): a tail torn by a crash or damaged is dropped, and
 * the refs, never the tail, say what the room holds.
 */
#ifndef GITCHAT_ORDER_TAIL_H
#define GITCHAT_ORDER_TAIL_H

#include "gitchat/common.h"
#include "order/index.h"
#include "store/refs.h"

/* Messages a tail may hold; beyond, the next update rewrites the index. */
#define GITCHAT_TAIL_MAX 8192

typedef struct gitchat_tail gitchat_tail;

/* What a tail must match of the index it extends. */
typedef struct {
	uint32_t nvalid, nparents, nkeys;
	const unsigned char *meta;     /* the index's meta sum, 32 bytes */
} gitchat_tail_base;

typedef struct {
	int64_t time;
	git_oid id;
	uint32_t target, reply;        /* positions, or GITCHAT_INDEX_NONE */
	uint32_t first_parent;         /* in the combined parent numbering */
	uint32_t key, nparents;
	unsigned kind;
	uint32_t text;
} gitchat_tail_node;

typedef struct {
	uint32_t node, which;
	git_oid id;
} gitchat_tail_link;

typedef struct {
	const gitchat_tail_base *base;
	const gitchat_tail_node *nodes;
	size_t count;
	const uint32_t *parents;       /* positions */
	size_t nparents;
	const gitchat_tips *tips;
	const gitchat_tail_link *links;
	size_t nlinks;
	const uint64_t *related;       /* target << 32 | source, sorted */
	size_t nrelated;
	const git_oid *unresolved;     /* sorted, once each */
	size_t nunresolved;
} gitchat_tail_data;

/* What a tail of `ix` must name (defined by order/index.c). */
void gitchat_index_tail_base(gitchat_tail_base *out, const gitchat_index *ix);

int gitchat_tail_path(gitchat_buf *out, const char *index_path);

/* GITCHAT_ENOTFOUND when there is none; GITCHAT_EINVALID when it is
 * damaged, torn or extends another index. */
int gitchat_tail_open(gitchat_tail **out, const char *path, const gitchat_tail_base *base);
void gitchat_tail_free(gitchat_tail *t);

/* Writes a tail to a temporary file beside `path` and renames it over. */
int gitchat_tail_write(const char *path, const gitchat_tail_data *d);

size_t gitchat_tail_count(const gitchat_tail *t);
size_t gitchat_tail_nparents(const gitchat_tail *t);
/* The i-th message of the tail (position base nvalid + i). */
int gitchat_tail_node_at(gitchat_index_rec *out, const gitchat_tail *t, size_t i);
/* The k-th parent entry of the tail (entry base nparents + k). */
uint32_t gitchat_tail_parent(const gitchat_tail *t, size_t k);
size_t gitchat_tail_ntips(const gitchat_tail *t);
const unsigned char *gitchat_tail_tip(const char **name, const gitchat_tail *t, size_t i);
size_t gitchat_tail_nlinks(const gitchat_tail *t);
void gitchat_tail_link_at(gitchat_tail_link *out, const gitchat_tail *t, size_t i);
size_t gitchat_tail_nrelated(const gitchat_tail *t);
uint64_t gitchat_tail_related(const gitchat_tail *t, size_t i);
/* Tail-relative position of `id`, or GITCHAT_ENOTFOUND. */
int gitchat_tail_find(size_t *out, const gitchat_tail *t, const git_oid *id);
int gitchat_tail_unresolved_has(const gitchat_tail *t, const git_oid *id);
/* 1 when `id` is among `n` raw ids sorted in byte order (the index's and
 * the tail's UNRESOLVED sections). */
int gitchat_ids_contain(const unsigned char *ids, size_t n, const git_oid *id);
size_t gitchat_tail_nunresolved(const gitchat_tail *t);
const unsigned char *gitchat_tail_unresolved(const gitchat_tail *t, size_t i);

#endif
