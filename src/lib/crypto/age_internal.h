/* Internal: the parts of the age format (age-encryption.org/v1), one file
 * each: age_bech32 (Bech32 strings), age_keys (identities, recipients),
 * age_kdf (HKDF-SHA-256, unpadded base64), age_stanza (wrapping the file
 * key), age_header (parse, write, MAC), age_stream (STREAM payload),
 * age_armor (the strict ASCII armor), age.c (the API). */
#ifndef GITCHAT_CRYPTO_AGE_INTERNAL_H
#define GITCHAT_CRYPTO_AGE_INTERNAL_H

#include <sodium.h>
#include "gitchat/age.h"

#define AGE_FILE_KEY_SIZE 16
#define AGE_KEY_SIZE 32              /* X25519 points and scalars, AEAD keys */
#define AGE_MAC_SIZE 32
#define AGE_NONCE_SIZE 16            /* the payload nonce after the header */
#define AGE_CHUNK_SIZE (64 * 1024)
#define AGE_TAG_SIZE crypto_aead_chacha20poly1305_ietf_ABYTES
#define AGE_SSH_TAG_SIZE 4
#define AGE_SSH_BLOB_SIZE 51         /* string("ssh-ed25519") string(pk32) */
#define AGE_VERSION_LINE "age-encryption.org/v1"
#define AGE_ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define AGE_ARMOR_END "-----END AGE ENCRYPTED FILE-----"

struct gitchat_age_identity {
	gitchat_age_type type;
	unsigned char *secret;                  /* 32 bytes, sodium_malloc */
	unsigned char public[AGE_KEY_SIZE];     /* X25519 of the secret */
	unsigned char ssh_blob[AGE_SSH_BLOB_SIZE];
};

struct gitchat_age_recipient {
	gitchat_age_type type;
	unsigned char public[AGE_KEY_SIZE];     /* X25519 (converted for ssh) */
	unsigned char ssh_blob[AGE_SSH_BLOB_SIZE];
	gitchat_pubkey ed25519;
};

/* A parsed stanza: pointers into one allocation owned by the header. */
typedef struct {
	char **args;           /* args[0] is the type */
	size_t nargs;
	unsigned char *body;
	size_t body_len;
} age_stanza;

typedef struct {
	age_stanza *stanzas;
	size_t n;
	size_t mac_offset;     /* bytes covered by the MAC: up to "---" */
	unsigned char mac[AGE_MAC_SIZE];
	size_t len;            /* the whole header, its final "\n" included */
} age_header;

/* Bech32 (BIP 173 checksum, no length limit, as age uses it). `hrp` is
 * compared exactly, so case rules are the caller's: the whole string must
 * be one case. */
#define AGE_BECH32_LEN(hrp_len, data_len) ((hrp_len) + 1 + ((data_len) * 8 + 4) / 5 + 6)
/* Writes the string and a NUL into `out`; returns its length, 0 when `cap`
 * is too small. No allocation: the data may be a secret. */
size_t age_bech32_encode(char *out, size_t cap, const char *hrp, const unsigned char *data,
                         size_t len, int upper);
#define AGE_IDENTITY_STRLEN AGE_BECH32_LEN(15, AGE_KEY_SIZE)   /* AGE-SECRET-KEY-1... */
/* The identity's AGE-SECRET-KEY-1... string (X25519 only) into `out`. */
size_t age_identity_string(char *out, size_t cap, const gitchat_age_identity *id);
/* Decodes into `data` (sized for `len` bytes exactly). Returns 0, or
 * GITCHAT_EINVALID with a message naming `what`. */
int age_bech32_decode(unsigned char *data, size_t len, const char *hrp,
                      const char *s, size_t slen, const char *what);

/* HKDF-SHA-256 (RFC 5869) for out_len <= 32 bytes, from libsodium's HMAC. */
void age_hkdf(unsigned char *out, size_t out_len, const unsigned char *salt,
              size_t salt_len, const unsigned char *ikm, size_t ikm_len,
              const char *info);
/* Unpadded standard base64 (age's header encoding): encode appends;
 * decode is strict (canonical, no padding, no whitespace) and wants
 * exactly `len` bytes unless `got` is given (then at most len). */
int age_b64_put(gitchat_buf *out, const unsigned char *data, size_t len);
int age_b64_decode(unsigned char *out, size_t len, size_t *got, const char *s, size_t slen);

/* The secrets of one age file, in one sodium_malloc block (one
 * allocation per file: sodium_malloc costs several system calls). */
typedef struct {
	unsigned char ephemeral[AGE_KEY_SIZE];
	unsigned char shared[AGE_KEY_SIZE];
	unsigned char tweak[AGE_KEY_SIZE];
	unsigned char wrap_key[AGE_KEY_SIZE];
	unsigned char salt[2 * AGE_KEY_SIZE];
} age_stanza_secrets;

typedef struct {
	unsigned char file_key[AGE_FILE_KEY_SIZE];
	unsigned char mac_key[AGE_KEY_SIZE];
	unsigned char payload_key[AGE_KEY_SIZE];
	age_stanza_secrets stanza;   /* scratch of a wrap or unwrap */
} age_secrets;

/* Wraps the file key for one recipient, appending the stanza. */
int age_stanza_wrap(gitchat_buf *header, const gitchat_age_recipient *r, age_secrets *k);
/* Tries one identity on one stanza: 0 and the file key when it opens,
 * GITCHAT_ENOTFOUND when the stanza is not for it, GITCHAT_EINVALID (with
 * a message) when the stanza is malformed. The key goes to k->file_key. */
int age_stanza_unwrap(age_secrets *k, const gitchat_age_identity *id, const age_stanza *s);

/* Parses the header at the start of `in` (bounded by the GITCHAT_AGE_MAX_*
 * limits). GITCHAT_EINVALID with a message when malformed, and then *out
 * holds nothing to dispose. */
int age_header_parse(age_header *out, const unsigned char *in, size_t len);
void age_header_dispose(age_header *h);
/* HMAC-SHA-256 of the header's first `len` bytes under HKDF(file key,
 * "header"). */
void age_header_mac(unsigned char mac[AGE_MAC_SIZE], age_secrets *k,
                    const unsigned char *header, size_t len);
/* Appends "---", a space, the MAC and "\n" to the header that starts at
 * `start` in `out`. */
int age_header_finish(gitchat_buf *out, size_t start, age_secrets *k);

/* The payload after the header: the nonce, then the chunks. */
int age_stream_encrypt(gitchat_buf *out, age_secrets *k, const unsigned char *in, size_t len);
/* Decrypts into `out` (room for len bytes); *outlen counts what
 * authenticated, also on failure. GITCHAT_EINVALID: no nonce (a header
 * failure); GITCHAT_EVERIFY: a damaged, cut or extended payload. */
int age_stream_decrypt(unsigned char *out, size_t *outlen, age_secrets *k,
                       const unsigned char *in, size_t len);

/* gitchat_age_encrypt over bytes; and decryption into sodium_malloc
 * memory (*plain, released with sodium_free) for key material. */
int age_encrypt_bytes(gitchat_buf *out, const gitchat_age_recipient *const *recipients,
                      size_t n, const unsigned char *plain, size_t len, unsigned int flags);
int age_decrypt_secret(unsigned char **plain, size_t *plain_len,
                       const gitchat_age_identity *const *identities, size_t n,
                       const void *in, size_t len, unsigned int flags);

int age_armor_encode(gitchat_buf *out, const unsigned char *data, size_t len);
/* 1 when `in` starts (after whitespace) with the armor's first line. */
int age_armor_detect(const unsigned char *in, size_t len);
/* Decodes into a malloc'd buffer; GITCHAT_EINVALID with a message. */
int age_armor_decode(unsigned char **out, size_t *outlen, const unsigned char *in, size_t len);

#endif
