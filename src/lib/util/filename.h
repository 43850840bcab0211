/*
 * Internal: attachment names (DESIGN.md "Attachments", docs/attachments.md).
 * One rule for what a valid name is, checked by validity and by send, and
 * one mapping from a valid (or any) name to a name safe to create in a
 * directory, used by save and export.
 */
#ifndef GITCHAT_UTIL_FILENAME_H
#define GITCHAT_UTIL_FILENAME_H

#include <stddef.h>
#include <stdint.h>
#include "gitchat/common.h"

/* A code point no attachment name may hold: C0 and C1 controls, DEL, the
 * bidirectional controls (LRM, RLM, ALM, U+202A..U+202E, U+2066..U+2069)
 * and the line and paragraph separators. */
int gitchat_filename_cp_bad(uint32_t cp);

/* 0 when `name` is a valid attachment name: 1..255 bytes of UTF-8, none of
 * the code points above, no '/', not "." nor "..". Otherwise
 * GITCHAT_EINVALID with "the file name '...' <why>", the name shown escaped. */
int gitchat_filename_check(const char *name, size_t len);

/* Appends `name` to `out` escaped for a message: printable UTF-8 as it is,
 * anything else as \xNN or \u{XXXX}, a backslash doubled; cut after `max`
 * bytes with "..." (0: never). Paths given by the user go through it too. */
int gitchat_filename_quote(gitchat_buf *out, const char *name, size_t len, size_t max);

/* A name to create in a directory: every byte that is not UTF-8, every
 * code point of gitchat_filename_cp_bad, '/' and '\\' become '_'; a leading
 * '.' or '-' becomes '_' (no hidden file, no "..", no option); cut to 255
 * bytes on a character boundary, keeping a short extension; "file" when
 * nothing is left. With `k` > 0, the k-th variant: "name-k.ext". */
int gitchat_filename_safe(gitchat_buf *out, const char *name, size_t len, unsigned k);

#endif
