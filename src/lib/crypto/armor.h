/* Internal: PEM-like armor as OpenSSH writes it (base64 at 70 columns). */
#ifndef GITCHAT_CRYPTO_ARMOR_H
#define GITCHAT_CRYPTO_ARMOR_H

#include "gitchat/common.h"

/* Appends "-----BEGIN label-----\n", the base64 lines, "-----END label-----\n".
 * `secret`: the data is key material, so working copies go to sodium_malloc
 * memory (which costs system calls; signatures are public and do not). */
int gitchat_armor_encode(gitchat_buf *out, const char *label,
                         const unsigned char *data, size_t len, int secret);

/* How gitchat_armor_decode reads. */
#define GITCHAT_ARMOR_SECRET 1  /* key material: the result is sodium_malloc memory */
#define GITCHAT_ARMOR_EXACT  2  /* only the bytes gitchat_armor_encode writes */

/* Decodes the armored block with `label` into a new buffer, which the
 * caller releases with gitchat_armor_free. Without GITCHAT_ARMOR_EXACT,
 * whitespace may surround the block and sit between the base64 characters
 * (key files people have edited); with it, `text` must be exactly what
 * gitchat_armor_encode writes for the data (and ssh-keygen too): the BEGIN
 * line, base64 in lines of 70 columns (the last one shorter), canonical
 * padding, the END line, each ended by one "\n", nothing else. Returns
 * GITCHAT_EINVALID; the caller sets the message, it knows what the block
 * was for. */
int gitchat_armor_decode(unsigned char **out, size_t *outlen, const char *label,
                         const char *text, size_t len, unsigned int flags);
/* The first `want` bytes of what gitchat_armor_decode with
 * GITCHAT_ARMOR_EXACT returns, after the same checks of the whole text
 * (layout and base64: one reader), without an allocation: for readers of
 * a leading field of many blobs verified before. Blobs of up to
 * GITCHAT_ARMOR_HEAD_MAX / 4 * 3 bytes. */
#define GITCHAT_ARMOR_HEAD_MAX 4096
int gitchat_armor_decode_head(unsigned char *out, size_t want, const char *label,
                              const char *text, size_t len);
void gitchat_armor_free(unsigned char *bin, int secret);

#endif
