/* Internal to private/: the inner message, epochs, the room as read. */
#ifndef GITCHAT_PRIVATE_INTERNAL_H
#define GITCHAT_PRIVATE_INTERNAL_H

#include "gitchat/age.h"
#include "gitchat/private.h"

/* A parsed inner message. Pointers into the plaintext given. */
typedef struct {
	gitchat_message_kind kind;
	git_oid target;
	int has_reply;
	git_oid reply_to;
	int has_title;
	const char *title; size_t title_len;
	const char *text; size_t text_len;
	/* chat-file <n> <size> <name>: the sealed files/<n> of the tree */
	struct { const char *name; size_t name_len; uint64_t size; } files[GITCHAT_MAX_FILES];
	size_t file_count;
} gitchat_inner;

/* Appends the inner message of `o` (and `title`, may be NULL; `files`, the
 * chat-file header lines, may be NULL) to `out`. */
int gitchat_inner_build(gitchat_buf *out, const gitchat_send_options *o, const char *title,
                        const gitchat_buf *files);
/* Parses a decrypted inner message: GITCHAT_EINVALID with the reason. */
int gitchat_inner_parse(gitchat_inner *out, const char *p, size_t len,
                        const gitchat_limits *limits);

/* The epoch identities a reader holds, by their recipient string. */
typedef struct {
	char **recipients;
	gitchat_age_identity **ids;
	size_t n;
} gitchat_epochs;

void gitchat_epochs_dispose(gitchat_epochs *e);
/* Every epoch of the room `reader` can open (epoch.age of counted epochs
 * that seal to it, history.age of counted events that add it). */
int gitchat_epochs_load(gitchat_epochs *out, gitchat_store *store, const gitchat_members *m,
                        const gitchat_key *reader);
/* The identity of the epoch named `recipient`, or NULL. */
const gitchat_age_identity *gitchat_epochs_find(const gitchat_epochs *e, const char *recipient);

/* A new epoch for `members`: its identity, its recipient string and a
 * tree holding epoch.age (and history.age for `history_to` when given,
 * sealing `history`). */
int gitchat_epoch_new(gitchat_age_identity **id, char recipient[GITCHAT_MEMBERS_MAX_EPOCH + 1],
                      git_oid *tree, gitchat_store *store, const gitchat_member *members,
                      size_t n, const gitchat_epochs *history, const gitchat_pubkey *history_to);

/* Appends the armored age file of `plain` to `recipient` (age1...). */
int gitchat_private_seal(gitchat_buf *out, const char *recipient, const void *plain, size_t len);

#endif
