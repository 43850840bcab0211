/* Sending: appending one signed message commit to the author's own log. */
#ifndef GITCHAT_SEND_H
#define GITCHAT_SEND_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/key.h"
#include "gitchat/message.h"
#include "gitchat/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A file to attach (DESIGN.md "Attachments", docs/attachments.md). */
typedef struct {
	const char *path;   /* a regular file (a symbolic link to one is followed) */
	const char *name;   /* the name readers see; NULL: the last component of path */
} gitchat_attachment;

typedef struct {
	unsigned int version;
	const char *room;                 /* required */
	/* UTF-8, non-empty, within the limit; with files, it may be empty
	 * (or only white space): a message of files alone. */
	const char *text;
	size_t text_len;
	const git_oid *reply_to;          /* chat-reply, NULL for none */
	gitchat_message_kind kind;        /* edit/redact/react need `target` */
	const git_oid *target;
	/* NULL: GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL, else git config user.name /
	 * user.email, as for any commit. */
	const char *author_name;
	const char *author_email;
	/* NULL: GIT_AUTHOR_DATE / GIT_COMMITTER_DATE, else now. Any form git
	 * accepts ("@1764150000 +0000", ISO 8601, RFC 2822). */
	const char *author_date;
	const char *committer_date;
	unsigned int max_retries;         /* compare-and-swap retries, 0: default */
	/* Files to attach to an ordinary message, in order (files/1, 2, ...),
	 * at most GITCHAT_MAX_FILES. Every file is opened and checked (a
	 * regular file, a valid name, each name once, chat.maxFileBytes and
	 * chat.maxTreeBytes) before anything is written; then each is streamed
	 * into a blob, never read whole into memory. A file that changes size
	 * while it is read is refused. Not with `tree` below. */
	const gitchat_attachment *files;
	size_t file_count;
	/* What the layers above a plain message add (attachments, private
	 * rooms, profiles): more header lines, each "chat-<name> <value>"
	 * without its newline, written in this order after chat-room and the
	 * chat-reply/edit/redact/react line; and the tree to commit, already
	 * written by the caller (NULL: the empty tree). The commit's validity
	 * check judges the result, as it judges any commit. */
	const char *const *headers;
	size_t header_count;
	const git_oid *tree;
	/* The headers carry the content (a file, a profile), so the text may
	 * be empty; the validity check still decides whether that is a valid
	 * message. */
	int allow_empty_text;
} gitchat_send_options;

#define GITCHAT_SEND_OPTIONS_VERSION 1
#define GITCHAT_SEND_OPTIONS_INIT { GITCHAT_SEND_OPTIONS_VERSION }

/* Fills `opts` with the defaults of GITCHAT_SEND_OPTIONS_INIT, for callers that
 * cannot use the macro (language bindings). GITCHAT_EINVALID when `version`
 * is not the one these headers define. */
GITCHAT_EXTERN(int) gitchat_send_options_init(gitchat_send_options *opts, unsigned int version);

/* Writes the commit and moves refs/chat/<room>/<key> to it with a
 * compare-and-swap on the old head, retrying (new parents, new signature)
 * when another writer won the race, so that no message is lost. */
GITCHAT_EXTERN(int) gitchat_send(git_oid *out, gitchat_store *store, const gitchat_key *key,
                                 const gitchat_send_options *opts);

#ifdef __cplusplus
}
#endif
#endif
