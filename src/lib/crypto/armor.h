/* Internal: PEM-like armor as OpenSSH writes it (base64 at 70 columns). */
#ifndef GITCHAT_CRYPTO_ARMOR_H
#define GITCHAT_CRYPTO_ARMOR_H

#include "gitchat/common.h"

/* Appends "-----BEGIN label-----\n", the base64 lines, "-----END label-----\n".
 * `secret`: the data is key material, so working copies go to sodium_malloc
 * memory (which costs system calls; signatures are public and do not). */
int gitchat_armor_encode(gitchat_buf *out, const char *label,
                         const unsigned char *data, size_t len, int secret);

/* Decodes the first armored block with `label` into a new buffer (from
 * sodium_malloc when `secret`, else malloc), which the caller releases with
 * gitchat_armor_free. Only whitespace may surround the block. Returns
 * GITCHAT_EINVALID with no message set; the caller knows what the block
 * was for. */
int gitchat_armor_decode(unsigned char **out, size_t *outlen, const char *label,
                         const char *text, size_t len, int secret);
void gitchat_armor_free(unsigned char *bin, int secret);

#endif
