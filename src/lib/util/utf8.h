/* Internal: strict UTF-8 (no overlongs, no surrogates), one decoder for
 * validation and for every renderer's replacement of bad bytes. */
#ifndef GITCHAT_UTIL_UTF8_H
#define GITCHAT_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s (len > 0); returns its byte length (1 for a
 * bad byte, decoded as U+FFFD). */
size_t gitchat_utf8_decode(uint32_t *cp, const char *s, size_t len);

/* Whether a decode gave a bad byte rather than a real U+FFFD. */
#define GITCHAT_UTF8_BAD(cp, n) ((cp) == 0xfffd && (n) == 1)

/* 1 when valid; otherwise 0 and *bad_offset is the first bad byte. */
int gitchat_utf8_valid(const char *s, size_t len, size_t *bad_offset);

#endif
