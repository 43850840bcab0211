/*
 * Internal: what renderers need to know of Unicode — decoding UTF-8,
 * display width in a terminal, and which code points must never reach a
 * terminal raw.
 */
#ifndef GITCHAT_RENDER_WIDTH_H
#define GITCHAT_RENDER_WIDTH_H

#include <stddef.h>
#include <stdint.h>

#include "util/utf8.h"     /* gitchat_utf8_decode, GITCHAT_UTF8_BAD */

/* Columns a code point takes: 0 (combining, zero-width), 1, or 2 (East
 * Asian wide, emoji). Our own table, so that output does not depend on the
 * locale or the C library's version. */
int gitchat_cp_width(uint32_t cp);

/* Code points that a terminal would obey rather than show: C0 and C1
 * controls, DEL, and the bidirectional overrides and isolates (which can
 * make text read differently from what it is). */
int gitchat_cp_unsafe(uint32_t cp);

/* The visible stand-in for an unsafe code point: "^[" for C0 controls and
 * DEL, "<U+202E>" for the others. `out` holds at least 12 bytes. */
void gitchat_cp_escape(char *out, uint32_t cp);

/* A file size for people: "512 bytes", "1.5 KiB", "3.0 MiB", "2.0 GiB". */
void gitchat_size_format(char out[32], uint64_t size);

#endif
