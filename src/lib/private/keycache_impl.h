/* Internal to keycache*.c: the cache as read (keycache.h has the layout). */
#ifndef GITCHAT_PRIVATE_KEYCACHE_IMPL_H
#define GITCHAT_PRIVATE_KEYCACHE_IMPL_H

#include <sodium.h>
#include "private/keycache.h"
#include "util/buf.h"

#define KC_MAGIC "GCSEAL1\n"
#define KC_VERSION 1
#define KC_DOMAIN "git-chat sealed cache v1"
#define KC_HEAD 32
#define KC_BLOCK 112
#define KC_REC 28
#define KC_ITEM 28
#define KC_EPOCH 64
#define KC_AD (12 + 92)
#define KC_KEY crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define KC_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KC_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KC_SEGMENT (1024 * 1024)
#define KC_MAX_TEXT (16u * 1024 * 1024)
/* A sealed block holds at most this many plaintext bytes (a u32 length). */
#define KC_MAX_BLOCK (64u * 1024 * 1024)

typedef struct {
	unsigned char *p;   /* sodium_malloc */
	size_t cap, used;
} kc_seg;

typedef struct {
	int state;                  /* 0 not opened, 1 open, -1 damaged */
	const unsigned char *plain; /* in a segment */
	size_t *at;                 /* each message's text in plain */
	uint32_t count;
} kc_block;

typedef struct {
	char *epoch;
	unsigned char *key;         /* in a segment */
} kc_key;

typedef struct {
	git_oid id;
	size_t key;                 /* its epoch, in keys */
	uint32_t sealed;
	unsigned char *plain;       /* in a segment */
	size_t len;
} kc_fresh;

struct gitchat_keycache {
	char *path;                 /* NULL: over bytes, never written */
	char room[26];
	gitchat_pubkey reader;
	int loaded, owned, damaged;
	const unsigned char *map;   /* the whole file when it checked out */
	size_t size;
	uint32_t nblocks, nrecords;
	const unsigned char *recs;
	kc_block *blocks;
	uint32_t hint, hint_slot;   /* the last message found */
	kc_seg *segs;
	size_t nsegs;
	kc_key *keys;
	size_t nkeys;
	kc_fresh *fresh;
	size_t nfresh, capfresh;
};

/* Maps and checks the file (once; a damaged one is dropped). */
int gitchat_keycache_load(gitchat_keycache *c);
/* Whether a record's block and slot are in the file (records are checked
 * where they are used, not when the file is mapped). */
int gitchat_keycache_record_ok(const gitchat_keycache *c, uint32_t b, uint32_t slot);
/* Writes the file when worth it (keycache_write.c). */
void gitchat_keycache_save(gitchat_keycache *c);

#endif
