/* Internal: PEM-like armor as OpenSSH writes it (base64 at 70 columns). */
#ifndef GITCHAT_CRYPTO_ARMOR_H
#define GITCHAT_CRYPTO_ARMOR_H

#include "gitchat/common.h"

/* Appends "-----BEGIN label-----\n", the base64 lines, "-----END label-----\n". */
int gitchat_armor_encode(gitchat_buf *out, const char *label,
                         const unsigned char *data, size_t len);

/* The same for public data (signatures), without sodium_malloc. */
int gitchat_armor_encode_public(gitchat_buf *out, const char *label,
                                const unsigned char *data, size_t len);

/* Decodes the first armored block with `label` into a buffer from
 * sodium_malloc (the caller wipes it with sodium_free). Only whitespace may
 * surround the block. Returns GITCHAT_EINVALID with no message set; the
 * caller knows what the block was for. */
int gitchat_armor_decode(unsigned char **out, size_t *outlen, const char *label,
                         const char *text, size_t len);

/* The same for public data (signatures) into plain malloc memory, freed
 * with free(): sodium_malloc costs a few syscalls (guard pages, mlock),
 * which verifying thousands of commits cannot afford. */
int gitchat_armor_decode_public(unsigned char **out, size_t *outlen, const char *label,
                                const char *text, size_t len);

#endif
