/* Internal: strict UTF-8 validation (no overlongs, no surrogates). */
#ifndef GITCHAT_UTIL_UTF8_H
#define GITCHAT_UTIL_UTF8_H

#include <stddef.h>

/* 1 when valid; otherwise 0 and *bad_offset is the first bad byte. */
int gitchat_utf8_valid(const char *s, size_t len, size_t *bad_offset);

#endif
