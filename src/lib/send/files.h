/*
 * Internal: the attachments of a new message (docs/attachments.md). All
 * files are opened and checked first (regular files, valid and distinct
 * names, the store's limits), so that a refusal writes nothing; then each
 * is streamed into a blob, `files/` and the root tree are written, and the
 * `chat-file <n> <size> <name>` header lines are appended to `headers`.
 */
#ifndef GITCHAT_SEND_FILES_H
#define GITCHAT_SEND_FILES_H

#include <git2.h>
#include "gitchat/send.h"

int gitchat_send_files(git_oid *tree, gitchat_buf *headers, gitchat_store *store,
                       const gitchat_attachment *files, size_t count);

#endif
