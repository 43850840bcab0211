/* Renderers: one per output, each appending to a buffer (never printing). */
#ifndef GITCHAT_RENDER_H
#define GITCHAT_RENDER_H

#include "gitchat/common.h"
#include "gitchat/message.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One JSON object and a newline: id, room, author {name, email, key,
 * fingerprint}, time (RFC 3339, UTC), text, reply_to (or null), parents. */
GITCHAT_EXTERN(int) gitchat_render_json(gitchat_buf *out, const gitchat_message *msg);

/* "YYYY-MM-DD HH:MM  Name (SHA256:xxxxxxxx)  text", continuation lines
 * indented. Plain text: no colour, no Markdown rendering. */
GITCHAT_EXTERN(int) gitchat_render_text(gitchat_buf *out, const gitchat_message *msg);

/* RFC 3339 in UTC: "2025-11-26T10:00:00Z". */
GITCHAT_EXTERN(int) gitchat_time_rfc3339(gitchat_buf *out, int64_t time);

/* A JSON string literal, quotes included, every control character escaped. */
GITCHAT_EXTERN(int) gitchat_json_string(gitchat_buf *out, const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
