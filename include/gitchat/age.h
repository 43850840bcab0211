/*
 * The age file format (age-encryption.org/v1), as stock `age` reads and
 * writes it: X25519 (`age1...`) and `ssh-ed25519` recipients, the header
 * MAC, the STREAM payload and the ASCII armor. Passphrases (scrypt) and
 * plugins are refused with a clear error. See docs/age.md.
 *
 * Secrets (identities, file keys, payload keys) live in sodium_malloc
 * memory and are wiped when freed. Every parser is bounded: a header of at
 * most GITCHAT_AGE_MAX_HEADER bytes, GITCHAT_AGE_MAX_STANZAS stanzas and
 * GITCHAT_AGE_MAX_LINE bytes per stanza line.
 */
#ifndef GITCHAT_AGE_H
#define GITCHAT_AGE_H

#include "gitchat/common.h"
#include "gitchat/key.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GITCHAT_AGE_MAX_HEADER (1024 * 1024)
#define GITCHAT_AGE_MAX_STANZAS 4096
#define GITCHAT_AGE_MAX_LINE 4096

/* Something that decrypts: an X25519 identity (`AGE-SECRET-KEY-1...`) or
 * an ssh-ed25519 key (a git-chat key file). */
typedef struct gitchat_age_identity gitchat_age_identity;
/* Something to encrypt to: `age1...` or an `ssh-ed25519` public key. */
typedef struct gitchat_age_recipient gitchat_age_recipient;

typedef enum {
	GITCHAT_AGE_X25519 = 1,
	GITCHAT_AGE_SSH_ED25519 = 2
} gitchat_age_type;

/* A new random X25519 identity. */
GITCHAT_EXTERN(int) gitchat_age_identity_generate(gitchat_age_identity **out);
/* Parses `AGE-SECRET-KEY-1...` (upper case, as age-keygen writes it;
 * surrounding whitespace ignored). Errors: GITCHAT_EINVALID (bad string or
 * checksum), GITCHAT_EUNSUPPORTED (`AGE-PLUGIN-...`). */
GITCHAT_EXTERN(int) gitchat_age_identity_parse(gitchat_age_identity **out,
                                               const char *str, size_t len);
/* The ssh-ed25519 identity of a git-chat (OpenSSH ed25519) key. */
GITCHAT_EXTERN(int) gitchat_age_identity_from_key(gitchat_age_identity **out,
                                                  const gitchat_key *key);
/* Appends `AGE-SECRET-KEY-1...` (no newline) to `out`, which then holds a
 * secret: give an empty buffer (growing one leaves copies behind) and
 * release it with gitchat_age_buf_wipe. X25519 identities only; to seal
 * identities, gitchat_age_encrypt_identities keeps them out of malloc. */
GITCHAT_EXTERN(int) gitchat_age_identity_format(gitchat_buf *out,
                                                const gitchat_age_identity *id);
/* The recipient that encrypts to this identity. */
GITCHAT_EXTERN(int) gitchat_age_identity_recipient(gitchat_age_recipient **out,
                                                   const gitchat_age_identity *id);
GITCHAT_EXTERN(gitchat_age_type) gitchat_age_identity_type(const gitchat_age_identity *id);
/* A key for local state that only this identity's holder may open (a
 * private room's sealed cache: docs/private-rooms.md): BLAKE2b keyed with
 * the identity's secret over `domain`, a NUL, and `context`. `out_len` is
 * 16 to 64; `out` should be sodium_malloc memory. */
GITCHAT_EXTERN(int) gitchat_age_identity_subkey(unsigned char *out, size_t out_len,
                                                const gitchat_age_identity *id,
                                                const char *domain, const void *context,
                                                size_t context_len);
GITCHAT_EXTERN(void) gitchat_age_identity_free(gitchat_age_identity *id);

/* Parses `age1...` (lower case) or an `ssh-ed25519 AAAA...[ comment]` line.
 * Errors: GITCHAT_EINVALID, GITCHAT_EUNSUPPORTED (plugins, other ssh key
 * types). */
GITCHAT_EXTERN(int) gitchat_age_recipient_parse(gitchat_age_recipient **out,
                                                const char *str, size_t len);
GITCHAT_EXTERN(int) gitchat_age_recipient_from_pubkey(gitchat_age_recipient **out,
                                                      const gitchat_pubkey *pk);
/* Appends `age1...` or `ssh-ed25519 AAAA...` (no newline). */
GITCHAT_EXTERN(int) gitchat_age_recipient_format(gitchat_buf *out,
                                                 const gitchat_age_recipient *r);
GITCHAT_EXTERN(gitchat_age_type) gitchat_age_recipient_type(const gitchat_age_recipient *r);
GITCHAT_EXTERN(int) gitchat_age_recipient_cmp(const gitchat_age_recipient *a,
                                              const gitchat_age_recipient *b);
GITCHAT_EXTERN(void) gitchat_age_recipient_free(gitchat_age_recipient *r);

typedef enum {
	/* encrypt: write the ASCII armor. decrypt: the input must be armored. */
	GITCHAT_AGE_ARMOR = 1u << 0,
	/* decrypt: the input must be binary (default: armored when it starts,
	 * after whitespace, with the armor's first line). */
	GITCHAT_AGE_BINARY = 1u << 1,
	/* decrypt: on a payload failure, keep in `out` the chunks that
	 * authenticated before it (what stock age writes before it stops);
	 * by default `out` is left as it was. */
	GITCHAT_AGE_KEEP_PARTIAL = 1u << 2
} gitchat_age_flags;

/* Why a decryption failed, finer than the error code. */
typedef enum {
	GITCHAT_AGE_OK = 0,
	GITCHAT_AGE_FAIL_ARMOR,       /* GITCHAT_EINVALID: the armor is wrong */
	GITCHAT_AGE_FAIL_HEADER,      /* GITCHAT_EINVALID: the header is malformed */
	GITCHAT_AGE_FAIL_NO_MATCH,    /* GITCHAT_ENOTFOUND: no identity opens it */
	GITCHAT_AGE_FAIL_UNSUPPORTED, /* GITCHAT_EUNSUPPORTED: only scrypt stanzas */
	GITCHAT_AGE_FAIL_HMAC,        /* GITCHAT_EVERIFY: the header was altered */
	GITCHAT_AGE_FAIL_PAYLOAD,     /* GITCHAT_EVERIFY: payload damaged or cut */
	GITCHAT_AGE_FAIL_OTHER        /* out of memory, bad arguments */
} gitchat_age_failure;

/* Appends the age file of `plaintext` encrypted to the n recipients (n >=
 * 1) to `out`; `flags`: 0 or GITCHAT_AGE_ARMOR. */
GITCHAT_EXTERN(int) gitchat_age_encrypt(gitchat_buf *out,
                                        const gitchat_age_recipient *const *recipients,
                                        size_t n, const void *plaintext, size_t len,
                                        unsigned int flags);

/* Appends the plaintext of the age file `in` to `out`, with the first of
 * the n identities that opens it. `failure` (may be NULL) says why it
 * failed. */
GITCHAT_EXTERN(int) gitchat_age_decrypt(gitchat_buf *out, gitchat_age_failure *failure,
                                        const gitchat_age_identity *const *identities,
                                        size_t n, const void *in, size_t len,
                                        unsigned int flags);

/* Where a run of decryptions keeps each file's secrets (file key, MAC and
 * payload keys, the X25519 scratch): one sodium_malloc block, wiped after
 * every file and when freed, instead of one sodium_malloc per file (which
 * costs several system calls; a private room's full read decrypts one
 * file per message). */
typedef struct gitchat_age_scratch gitchat_age_scratch;
GITCHAT_EXTERN(int) gitchat_age_scratch_new(gitchat_age_scratch **out);
GITCHAT_EXTERN(void) gitchat_age_scratch_free(gitchat_age_scratch *s);
/* gitchat_age_decrypt with its secrets in `scratch`. */
GITCHAT_EXTERN(int) gitchat_age_decrypt_with(gitchat_buf *out, gitchat_age_failure *failure,
                                             gitchat_age_scratch *scratch,
                                             const gitchat_age_identity *const *identities,
                                             size_t n, const void *in, size_t len,
                                             unsigned int flags);

/* Key material through age without leaving sodium_malloc memory: encrypts
 * the identities, one `AGE-SECRET-KEY-1...` line each, and decrypts such a
 * file back into identities (*out: an array of *nout, free with
 * gitchat_age_identities_free). Comment lines (`#`) and blank lines are
 * skipped, as in an age identity file. */
GITCHAT_EXTERN(int) gitchat_age_encrypt_identities(gitchat_buf *out,
                                                   const gitchat_age_recipient *const *recipients,
                                                   size_t n,
                                                   const gitchat_age_identity *const *ids,
                                                   size_t nids, unsigned int flags);
GITCHAT_EXTERN(int) gitchat_age_decrypt_identities(gitchat_age_identity ***out, size_t *nout,
                                                   const gitchat_age_identity *const *identities,
                                                   size_t n, const void *in, size_t len,
                                                   unsigned int flags);
GITCHAT_EXTERN(void) gitchat_age_identities_free(gitchat_age_identity **ids, size_t n);

/* Zeroes and frees a buffer that held a secret. */
GITCHAT_EXTERN(void) gitchat_age_buf_wipe(gitchat_buf *buf);

#ifdef __cplusplus
}
#endif
#endif
