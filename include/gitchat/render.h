/*
 * Renderers: one per output, each appending to a buffer (never printing).
 * Message text is CommonMark; the text and HTML renderers walk cmark's AST
 * with its iterator, one switch on the node type each. Everything that an
 * author controls (name, email, text, reactions) is untrusted: the text
 * renderer never lets a control character reach the terminal raw, the
 * HTML renderer escapes it and never passes raw HTML or a link that is not
 * http(s), mailto or relative.
 */
#ifndef GITCHAT_RENDER_H
#define GITCHAT_RENDER_H

#include "gitchat/common.h"
#include "gitchat/message.h"
#include "gitchat/view.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- json ---------------------------------------------------------- */

/* One JSON object and a newline: id, room, author {name, email, key,
 * fingerprint} (the commit's claim and signing key: the device), time
 * (RFC 3339, UTC), text, reply_to (or null), parents, files ([{name,
 * size}], [] for none). */
GITCHAT_EXTERN(int) gitchat_json_render_message(gitchat_buf *out, const gitchat_message *msg);

/* The same for a message as a reader sees it, plus edited (bool),
 * redacted (bool; text is then null and files []), reactions ({emoji:
 * [key hex, ...]}) and person {name (shown: the profile name, else
 * author.name), profile (bool: name is a profile name), name_shared (bool:
 * another person's profile name is the same), key, fingerprint (the key
 * that names the person; author.key is the device)}. */
GITCHAT_EXTERN(int) gitchat_json_render_item(gitchat_buf *out, const gitchat_view_item *item);

/* RFC 3339 in UTC: "2025-11-26T10:00:00Z"; clamped to the years 0000..9999. */
GITCHAT_EXTERN(int) gitchat_time_format_rfc3339(gitchat_buf *out, int64_t time);

/* A JSON string literal, quotes included, every control character escaped,
 * every byte that is not UTF-8 replaced by U+FFFD (as the text and HTML
 * renderers show it), so that the output is always valid JSON. */
GITCHAT_EXTERN(int) gitchat_json_quote(gitchat_buf *out, const char *s, size_t len);

/* ---- text (terminals) ---------------------------------------------- */

typedef struct {
	unsigned int version;
	unsigned int width;    /* columns to wrap to; 0: 80 */
	int color;             /* ANSI styles (the caller decides: a terminal, NO_COLOR) */
	int utc;               /* times in UTC instead of the local time zone */
	int devices;           /* beside a person's fingerprint, the signing device's */
} gitchat_text_options;

#define GITCHAT_TEXT_OPTIONS_VERSION 1
#define GITCHAT_TEXT_OPTIONS_INIT { GITCHAT_TEXT_OPTIONS_VERSION, 80, 0, 0 }

/* Fills `opts` with the defaults of GITCHAT_TEXT_OPTIONS_INIT, for callers that
 * cannot use the macro (language bindings). GITCHAT_EINVALID when `version`
 * is not the one these headers define. */
GITCHAT_EXTERN(int) gitchat_text_options_init(gitchat_text_options *opts, unsigned int version);

typedef struct gitchat_text_renderer gitchat_text_renderer;

GITCHAT_EXTERN(int) gitchat_text_renderer_new(gitchat_text_renderer **out,
                                              const gitchat_text_options *opts);
GITCHAT_EXTERN(void) gitchat_text_renderer_free(gitchat_text_renderer *r);

/* Tells the renderer that `name` is claimed by `key`, before rendering:
 * a name claimed by several keys is shown with a longer fingerprint (and in
 * replies with one at all), so that the authors can be told apart. */
GITCHAT_EXTERN(int) gitchat_text_renderer_note_author(gitchat_text_renderer *r,
                                                      const char *name,
                                                      const gitchat_pubkey *key);

/* One message: a day separator when the day changed since the previous
 * one, "HH:MM  Name (SHA256:xxxxxxxx)" (the person's name and fingerprint,
 * gitchat_view_item; with `devices`, "(SHA256:xxxxxxxx, device
 * SHA256:yyyyyyyy)" when another of the person's keys signed) and "(edited)", a one-line quote of
 * the message replied to, the Markdown text wrapped to the width (or
 * "message deleted"), a "[file] name (size)" line per attachment, and the
 * reactions ("👍 2"). */
GITCHAT_EXTERN(int) gitchat_text_render_item(gitchat_buf *out, gitchat_text_renderer *r,
                                             const gitchat_view_item *item);

/* Where the day separator goes when a reader renders messages out of
 * order (a pane drawn from the bottom up): the next item gets a separator
 * unless it is on the same day as `time`, the message shown before it
 * (has_previous 0: there is none, a separator always). */
GITCHAT_EXTERN(int) gitchat_text_renderer_set_previous(gitchat_text_renderer *r,
                                                       int has_previous, int64_t time);

/* Untrusted text made inert for a terminal, on one line: controls, escape
 * sequences and bidirectional overrides shown escaped ("^[", "<U+202E>"),
 * bytes that are not UTF-8 as U+FFFD, cut with "…" at `max_cols` columns.
 * For what the renderers above do not lay out: room names, file names,
 * a remote's error text. */
GITCHAT_EXTERN(int) gitchat_text_escape(gitchat_buf *out, const char *s, size_t len,
                                        size_t max_cols);

/* A full-width rule with a label, e.g. the "new" marker before unread
 * messages. */
GITCHAT_EXTERN(int) gitchat_text_render_rule(gitchat_buf *out, gitchat_text_renderer *r,
                                             const char *label);

/* CommonMark to terminal text, wrapped to `width` columns with every line
 * starting with `indent`. */
GITCHAT_EXTERN(int) gitchat_text_render_markdown(gitchat_buf *out, const char *md, size_t len,
                                                 unsigned int width, const char *indent,
                                                 int color);

/* The compatibility form: one message with no view state, no colour,
 * 80 columns, times in UTC. */
GITCHAT_EXTERN(int) gitchat_text_render_message(gitchat_buf *out, const gitchat_message *msg);

/* Columns that `s` takes in a terminal (UTF-8; East Asian wide and emoji
 * count 2, combining marks 0; control characters as their escaped form). */
GITCHAT_EXTERN(size_t) gitchat_display_width(const char *s, size_t len);

/* ---- html ---------------------------------------------------------- */

typedef struct gitchat_html_renderer gitchat_html_renderer;

/* Starts a self-contained page for `room` (inline CSS, no scripts, no
 * remote resources, a Content-Security-Policy that forbids both). */
GITCHAT_EXTERN(int) gitchat_html_renderer_new(gitchat_html_renderer **out, gitchat_buf *page,
                                              const char *room);
GITCHAT_EXTERN(int) gitchat_html_render_item(gitchat_buf *page, gitchat_html_renderer *r,
                                             const gitchat_view_item *item);
/* The same, with the message's files linked: paths[i] is where file i was
 * written, relative to the page (gitchat_file_save), or NULL for no link;
 * the renderer percent-encodes it (an absolute path is not linked). The
 * files of a redacted message are not listed. */
GITCHAT_EXTERN(int) gitchat_html_render_item_files(gitchat_buf *page,
                                                   gitchat_html_renderer *r,
                                                   const gitchat_view_item *item,
                                                   const char *const *paths);
/* Closes the page. */
GITCHAT_EXTERN(int) gitchat_html_renderer_finish(gitchat_buf *page, gitchat_html_renderer *r);
GITCHAT_EXTERN(void) gitchat_html_renderer_free(gitchat_html_renderer *r);

/* CommonMark to safe HTML: raw HTML is shown as text, links and images
 * keep only http:, https:, mailto: and relative targets, images become
 * links (a page loads nothing). */
GITCHAT_EXTERN(int) gitchat_html_render_markdown(gitchat_buf *out, const char *md, size_t len);

/* Text with & < > " ' escaped, control characters replaced by U+FFFD. */
GITCHAT_EXTERN(int) gitchat_html_escape(gitchat_buf *out, const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
