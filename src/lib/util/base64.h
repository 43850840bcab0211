/* Internal: the one base64 reader of the library (RFC 4648 section 4,
 * the standard alphabet). Every base64 text that git-chat reads, signed
 * or not, goes through here, so that one byte string has one text: only
 * the 64 characters (and '=' where padding is asked for), padding exactly
 * as long as needed, padding bits zero.
 *
 * Why not sodium_base642bin alone: libsodium 1.0.18 reads each byte as a
 * signed char, so 0xAF decodes as '/' and 0xAB as '+' (issue 9: a second
 * text of a signed blob is a second commit id over the same message). */
#ifndef GITCHAT_UTIL_BASE64_H
#define GITCHAT_UTIL_BASE64_H

#include <stddef.h>

/* '=' pads the text to whole groups of four, and must; without this flag
 * '=' is refused and a last group of 2 or 3 characters is the end. */
#define GITCHAT_BASE64_PADDED  (1u << 0)
/* '\n' may stand anywhere between the characters (armor lines). */
#define GITCHAT_BASE64_SKIP_NL (1u << 1)
/* ' ', '\t', '\r' and '\n' may stand anywhere between the characters. */
#define GITCHAT_BASE64_SKIP_WS (1u << 2)
/* The text encodes a secret: decode in constant time (slower). */
#define GITCHAT_BASE64_SECRET  (1u << 3)

/* Decodes s[0..n) into out (room for `max` bytes); *outlen is the number
 * of bytes. 0, or GITCHAT_EINVALID (not canonical base64, or more than
 * `max` bytes) with the reason in gitchat_error_last(). */
int gitchat_base64_decode(unsigned char *out, size_t max, size_t *outlen,
                          const char *s, size_t n, unsigned int flags);

#endif
