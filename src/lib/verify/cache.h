/*
 * Internal: what has been verified, so that each commit is checked once.
 *
 * In memory, per room: oid -> valid, or invalid and why. On disk, only
 * valid results: $GIT_DIR/chat/verified/<room>, a 32-byte header (magic
 * "GCVRFY04", u32 max_text, u32 max_tree, u32 max_parents, u32 nsorted,
 * u32 max_file, 4 zero bytes, all big endian), then nsorted 20-byte commit ids in
 * ascending order, then ids appended as they are verified (O_APPEND, one
 * write per flush, so concurrent writers keep their records whole).
 *
 * Opening a room maps the file and binary-searches the sorted part, so a
 * room of a million messages costs nothing until asked; only the appended
 * tail is loaded, and once it is long the file is rewritten sorted (to a
 * temporary file renamed over it: an append racing with that is lost, which
 * only costs a check later): by the process whose flush makes it long (a
 * `verify` of a whole room leaves a sorted file), else by the next one that
 * loads it. A file whose header names other limits or
 * another format (earlier ones hold verdicts of earlier rules) is ignored
 * and rewritten; a torn last record is ignored. The file is
 * local state, like the refs themselves: whoever can write it can also
 * write refs/chat.
 */
#ifndef GITCHAT_VERIFY_CACHE_H
#define GITCHAT_VERIFY_CACHE_H

#include <git2.h>
#include "gitchat/store.h"

typedef struct gitchat_verify_cache gitchat_verify_cache;

typedef enum {
	GITCHAT_VSTATE_UNKNOWN = 0,
	GITCHAT_VSTATE_VALID,
	GITCHAT_VSTATE_INVALID
} gitchat_vstate;

int gitchat_verify_cache_open(gitchat_verify_cache **out, git_repository *repo,
                              const gitchat_limits *limits);
/* A cache that neither reads nor writes files: for a pre-receive hook, whose
 * results concern objects that may yet be thrown away with the push. */
int gitchat_verify_cache_open_memory(gitchat_verify_cache **out,
                                     const gitchat_limits *limits);
/* A memory-only cache whose room `room` starts from the bytes of a room
 * file (copied): the one reader of the format, for tests and the fuzzer
 * (tests/fuzz/fuzz_vcache.c). */
int gitchat_verify_cache_open_bytes(gitchat_verify_cache **out, const gitchat_limits *limits,
                                    const char *room, const void *data, size_t len);
void gitchat_verify_cache_free(gitchat_verify_cache *cache);

gitchat_vstate gitchat_verify_cache_get(gitchat_verify_cache *cache, const char *room,
                                        const git_oid *id, const char **reason,
                                        git_oid *cause);
int gitchat_verify_cache_set_valid(gitchat_verify_cache *cache, const char *room,
                                   const git_oid *id);
/* `cause` is the commit that failed on its own (id itself or an ancestor). */
int gitchat_verify_cache_set_invalid(gitchat_verify_cache *cache, const char *room,
                                     const git_oid *id, const git_oid *cause,
                                     const char *reason);
/* Appends new valid ids to the room files. Failure to write is not an
 * error for the caller: the cache only saves work. */
void gitchat_verify_cache_flush(gitchat_verify_cache *cache);
/* The same for rooms with at least `min` new ids only: a writer of many
 * commits in one process (a loop of sends) appends them in batches rather
 * than one write per commit; the rest waits for the next flush or for
 * gitchat_verify_cache_free. Until then other processes check those
 * commits themselves, which costs time, not correctness. */
void gitchat_verify_cache_flush_some(gitchat_verify_cache *cache, size_t min);

/* The cache of a store object (verify/store_cache.c): the store keeps it
 * for verify/ (store/state.h); the file cache, opened on first use, unless
 * gitchat_verify_cache_use_memory chose a memory-only one before. */
int gitchat_verify_cache_of(gitchat_verify_cache **out, gitchat_store *store);
int gitchat_verify_cache_use_memory(gitchat_store *store);

#endif
