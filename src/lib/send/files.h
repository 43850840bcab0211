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

/* The checks alone (nothing written): a caller with more to write first
 * (a private room's new epoch) refuses before any of it. */
int gitchat_send_files_check(gitchat_store *store, const gitchat_attachment *files, size_t count);

/* Turns a file's bytes into the blob stored (a private room seals each
 * into an age file): appends it to `out`. */
typedef int (*gitchat_send_seal_cb)(gitchat_buf *out, const void *plain, size_t len,
                                    void *payload);

/* As gitchat_send_files, each blob made by `seal` (NULL: the bytes); the
 * header lines still say the file's own name and size (a private room
 * puts them in its encrypted inner message). */
int gitchat_send_files_sealed(git_oid *tree, gitchat_buf *headers, gitchat_store *store,
                              const gitchat_attachment *files, size_t count,
                              gitchat_send_seal_cb seal, void *payload);

#endif
