/* Internal: ANSI styles shared by the terminal renderers. */
#ifndef GITCHAT_RENDER_ANSI_H
#define GITCHAT_RENDER_ANSI_H

#include "gitchat/common.h"

enum {
	GITCHAT_STYLE_BOLD = 1u << 0,
	GITCHAT_STYLE_DIM = 1u << 1,
	GITCHAT_STYLE_ITALIC = 1u << 2,
	GITCHAT_STYLE_UNDERLINE = 1u << 3,
	GITCHAT_STYLE_REVERSE = 1u << 4,
	GITCHAT_STYLE_CODE = 1u << 5,
	GITCHAT_STYLE_LINK = 1u << 6
};
/* An author colour 1-7 (ANSI 31-37) in bits 8-10. */
#define GITCHAT_STYLE_COLOR(c) ((unsigned)(c) << 8)
#define GITCHAT_STYLE_COLOR_OF(s) (((s) >> 8) & 7u)

/* "\033[0;...m" setting exactly `style`. */
int gitchat_ansi_sgr(gitchat_buf *out, unsigned style);

/* Appends untrusted text with every unsafe code point replaced by its
 * escaped form (reverse video when `color`, then back to `style`); the
 * display width is stored in *width when not NULL. */
int gitchat_ansi_put_safe(gitchat_buf *out, const char *s, size_t len, int color,
                          unsigned style, size_t *width);

/* The text of CommonMark `md` without its markup, on one line (blocks and
 * line breaks become single spaces); stops after about `max` bytes. For
 * the one-line quote of a message replied to. */
int gitchat_markdown_plain(gitchat_buf *out, const char *md, size_t len, size_t max);

#endif
