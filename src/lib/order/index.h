/*
 * Internal: the persistent index of a room's order, $GIT_DIR/chat/index/<room>,
 * in the spirit of git's commit-graph: what the merger computed, so that a
 * reader maps it instead of walking the room again.
 *
 * It holds the room's messages in conversation order (52 bytes each: author
 * time, id, target and reply positions, parent list, key, kind, where the
 * message cache (order/text.h) keeps a copy of the message), their
 * parents as positions, the invalid commits met and why, the tips it was
 * built from, the keys, the chat-* links by id (to re-resolve when the
 * message they name arrives), the (target, source) pairs of edits,
 * redactions and reactions, an oid lookup table, and strings.
 *
 * Layout, integers little endian:
 *
 *   header (192 bytes): magic "GCORDX07", block size, block count, file
 *     size, the verification limits it was built under, counts, the body
 *     offset, the offsets of the ten sections, the message cache's id
 *   block sums: BLAKE2b-128 of each block of the body (4 KiB)
 *   meta sum: BLAKE2b-256 of the header and the block sums
 *   body, 8-aligned: NODES PARENTS KEYS TIPS LINKS PROBLEMS RELATED LOOKUP UNRESOLVED
 *     STRINGS, each 8-aligned, in that order
 *
 * Trust: the index is local state, like refs/chat and the verification
 * cache: whoever can write it can write those. It is never trusted over
 * the refs: a reader compares the tips it records with the refs and
 * updates it when they differ; limits other than the store's, a size or
 * layout that does not add up, or a sum that does not match make it
 * rebuilt. The header and block sums are checked when it is opened, each
 * block of the body the first time it is read (the latest page reads a
 * few blocks, not the whole file). It is written to a temporary file and
 * renamed into place: readers keep the file they opened, writers never
 * meet half a file. No fsync: a file torn by a crash fails its sums.
 */
#ifndef GITCHAT_ORDER_INDEX_H
#define GITCHAT_ORDER_INDEX_H

#include <sys/types.h>
#include "gitchat/common.h"
#include "gitchat/key.h"
#include "gitchat/store.h"
#include "order/graph.h"
#include "store/refs.h"

typedef struct gitchat_index gitchat_index;

#define GITCHAT_INDEX_NONE UINT32_MAX

typedef struct {
	int64_t time;
	const git_oid *id;
	uint32_t target, reply;    /* positions, or NONE */
	uint32_t first_parent;
	uint32_t key;              /* index into the keys */
	uint32_t nparents;
	unsigned kind;
	int invalid;
	uint32_t text;             /* slot in the message cache, 0: none */
} gitchat_index_rec;

#define GITCHAT_INDEX_NODE_SIZE 52

/* One node record, as the index and its tail (order/tail.h) store it. */
void gitchat_index_rec_put(unsigned char *rec, const gitchat_index_rec *r);
void gitchat_index_rec_get(gitchat_index_rec *out, const unsigned char *rec);

/* A problem with a ref rather than a commit (its head signed by another
 * key than the ref's). */
typedef struct {
	const char *refname;
	git_oid id;
	const char *reason;
} gitchat_index_refproblem;

int gitchat_index_path(gitchat_buf *out, git_repository *repo, const char *room);

/* GITCHAT_ENOTFOUND when there is none, GITCHAT_EINVALID (with the reason)
 * when it is corrupt, truncated, of another format or built under other
 * limits. */
int gitchat_index_open(gitchat_index **out, const char *path, const gitchat_limits *limits);
/* The same over bytes in memory (copied): the one reader of the format,
 * for tests and the fuzzer (tests/fuzz/fuzz_index.c). */
int gitchat_index_open_bytes(gitchat_index **out, const void *data, size_t len,
                             const gitchat_limits *limits);

/* Writes the index of a graph laid out by gitchat_graph_update, ordered by
 * `order` (its valid nodes in conversation order), to `path` (NULL: only in
 * memory) and opens it. */
int gitchat_index_write(gitchat_index **out, const char *path, const gitchat_graph *g,
                        const uint32_t *order, const gitchat_tips *tips,
                        const gitchat_index_refproblem *problems, size_t nproblems,
                        const gitchat_limits *limits, const unsigned char *text_id);

/* The id of the message cache the text slots refer to (16 bytes; zeros:
 * none). */
const unsigned char *gitchat_index_text_id(const gitchat_index *ix);

/* The ids of a message's parents, in commit order, into out (nparents). */
int gitchat_index_parents(git_oid *out, gitchat_index *ix, const gitchat_index_rec *nd);
/* The same as positions (nparents). */
int gitchat_index_parent_positions(uint32_t *out, gitchat_index *ix, const gitchat_index_rec *nd);

/* Files beside the index, <index>+<what> (its tail, the membership
 * cache of members/), are written as the index is: to a temporary file
 * <index>.tmp-<hex> (swept like the index's) renamed into place, so that
 * readers keep what they opened and never meet half a file; no fsync (a
 * file torn by a crash must fail its own sum). */
int gitchat_index_sidecar_write(const char *path, const void *data, size_t len);
/* The same with the file's `mode` (0600 for a reader's own state). */
int gitchat_index_sidecar_write_mode(const char *path, const void *data, size_t len, mode_t mode);
/* Reads the first `max` bytes (fewer when the file is shorter) of such a
 * file: a regular file only, never through a symbolic link. */
int gitchat_index_sidecar_read(gitchat_buf *out, const char *path, size_t max);

void gitchat_index_free(gitchat_index *ix);

size_t gitchat_index_count(const gitchat_index *ix);
/* Invalid commits the refs reach. */
size_t gitchat_index_invalid(const gitchat_index *ix);
/* Node at position i (< count: a message; up to the total: invalid
 * commits). GITCHAT_EINVALID when its block is corrupt. */
int gitchat_index_node(gitchat_index_rec *out, gitchat_index *ix, size_t i);
const gitchat_pubkey *gitchat_index_key(gitchat_index *ix, uint32_t k);
/* 1 when the index was built from exactly these tips, 0 when not, or
 * GITCHAT_EINVALID when corrupt. */
int gitchat_index_tips_match(gitchat_index *ix, const gitchat_tips *tips);
/* The tips the index was built from (for rebuilding exactly it). */
int gitchat_index_tips(gitchat_tips *out, gitchat_index *ix);

typedef int (*gitchat_index_problem_cb)(const char *refname, const git_oid *id,
                                        const char *reason, void *payload);
/* Calls cb for each recorded problem; stops at and returns a non-zero
 * value from cb. */
int gitchat_index_problems(gitchat_index *ix, gitchat_index_problem_cb cb, void *payload);

/* Position of message `id`: 0, or GITCHAT_ENOTFOUND, or GITCHAT_EINVALID. */
int gitchat_index_find(size_t *out, gitchat_index *ix, const git_oid *id);
/* The same without a message for GITCHAT_ENOTFOUND (a damaged index still
 * sets one): for the callers that ask about every new commit, most of
 * which are not there (order/append.c), where formatting and clearing an
 * error each time cost more than the lookup. */
int gitchat_index_lookup(size_t *out, gitchat_index *ix, const git_oid *id);

/* Positions of the edits, redactions and reactions of message `target`,
 * in order: up to `max` into out; *total says how many there are. */
int gitchat_index_related(size_t *total, gitchat_index *ix, size_t target, size_t *out,
                          size_t max);

/* The tail (order/tail.h) the index was opened with, or NULL. */
struct gitchat_tail;
const struct gitchat_tail *gitchat_index_tail(const gitchat_index *ix);
/* 1 when the index may take a tail: no invalid commit, no problem. */
int gitchat_index_appendable(const gitchat_index *ix);
/* 1 when a link of a message names `id` and the room lacks it. */
int gitchat_index_unresolved_has(const gitchat_index *ix, const git_oid *id);

/* Fills an empty graph with everything the index holds, checking every
 * block. The index's pages are given back to the system as they are read. */
int gitchat_index_load_graph(gitchat_graph *g, gitchat_index *ix);

#endif
