/*
 * Internal to private/: the reader's sealed cache of decrypted messages,
 * $GIT_DIR/chat/index/<room>+sealed-<16 hex of the reader's key>
 * (docs/private-rooms.md "Performance"). It keeps, per commit id, the
 * inner plaintext that a full, verified age decryption of that commit gave
 * (and how many files/ its tree seals), so that reading it again costs no
 * X25519. Sealed per epoch, in blocks of up to 256 messages, with
 * XChaCha20-Poly1305 under a key only the holder of the epoch's identity
 * derives; local state like the order index: damage or another version is
 * a miss, and the file is written again.
 *
 * Layout (little-endian); every field is checked when mapped, the sealed
 * bytes by the AEAD, a record's id against the block's when used:
 *   header  32: "GCSEAL1\n", u32 version 1, u32 blocks, u32 records,
 *               u32 0, u64 file size
 *   blocks 112 each: epoch recipient (64, NUL-padded), nonce (24),
 *               u32 messages, u32 sealed length, u64 offset, u64 0
 *   records 28 each, by commit id, strictly increasing: id (20), u32
 *               block, u32 slot (its index inside the block)
 *   data:       the sealed blocks, back to back, to the end of the file
 * A block opens (AD: the magic, the version and its entry's first 92
 * bytes) to u32 messages, then per message id (20), u32 files sealed,
 * u32 length, then the texts back to back, exactly. A record is only a
 * hint: the id inside the sealed block must be the id asked for.
 */
#ifndef GITCHAT_PRIVATE_KEYCACHE_H
#define GITCHAT_PRIVATE_KEYCACHE_H

#include <git2.h>
#include "gitchat/age.h"
#include "gitchat/key.h"

typedef struct gitchat_keycache gitchat_keycache;

#define GITCHAT_KEYCACHE_PER_BLOCK 256

/* The cache of `reader` for `room` beside the order index at `index_path`;
 * nothing is read until the first lookup. */
int gitchat_keycache_open(gitchat_keycache **out, const char *index_path, const char *room,
                          const gitchat_pubkey *reader);
/* The same over bytes in memory (the fuzz harness): not written back. */
int gitchat_keycache_from_bytes(gitchat_keycache **out, const unsigned char *data, size_t size,
                                const char *room, const gitchat_pubkey *reader);

/* 1 with the inner plaintext of commit `id` (valid until the cache is
 * freed) and the count of files its tree seals, when the cache holds it
 * sealed in `epoch` (opened with `eid`, that epoch's identity); 0 when not
 * (absent, damaged, another epoch); <0 when out of memory. */
int gitchat_keycache_get(const unsigned char **plain, size_t *len, uint32_t *sealed,
                         gitchat_keycache *c, const git_oid *id, const char *epoch,
                         const gitchat_age_identity *eid);
/* Keeps what a full, verified decryption of commit `id` gave, to be
 * written by gitchat_keycache_free. */
int gitchat_keycache_add(gitchat_keycache *c, const git_oid *id, const char *epoch,
                         const gitchat_age_identity *eid, uint32_t sealed, const void *plain,
                         size_t len);
/* The file the cache would be now: the blocks read (their sealed bytes as
 * they were) and new blocks for what was added. */
int gitchat_keycache_encode(gitchat_buf *out, gitchat_keycache *c);
/* Writes the file when it gained enough or was damaged (best effort),
 * then wipes and frees everything. */
void gitchat_keycache_free(gitchat_keycache *c);

#endif
