/*
 * A message: one signed commit, parsed. A gitchat_message only exists for a
 * commit whose signature verified (see verify.h for the full validity rule).
 */
#ifndef GITCHAT_MESSAGE_H
#define GITCHAT_MESSAGE_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	GITCHAT_MESSAGE_TEXT = 0,   /* an ordinary message */
	GITCHAT_MESSAGE_EDIT,       /* chat-edit <oid>: new text for the target */
	GITCHAT_MESSAGE_REDACT,     /* chat-redact <oid>: hide the target's text */
	GITCHAT_MESSAGE_REACT,      /* chat-react <oid>: text is the reaction */
	/* Never shown and applies to nothing: a private room's events
	 * (genesis, epochs, membership, titles) and what its reading rules
	 * refuse (gitchat/private.h). Only a conversation filter gives it. */
	GITCHAT_MESSAGE_HIDDEN
} gitchat_message_kind;

typedef struct {
	git_oid id;
	git_oid tree;
	git_oid *parents;
	size_t parent_count;
	char *author_name;     /* claims; the key is the identity */
	char *author_email;
	int64_t time;          /* author time, seconds since the epoch */
	int tz_offset;         /* author time zone, minutes east of UTC */
	int64_t commit_time;
	char *room;
	gitchat_pubkey key;    /* the signer */
	int has_reply;
	git_oid reply_to;
	gitchat_message_kind kind;
	git_oid target;        /* for edit, redact, react */
	char *text;            /* UTF-8, without the final newline */
	size_t text_len;
} gitchat_message;

/* Reads commit `id`, checks its own validity (signature, chat-room `room`
 * when not NULL, limits) but not its parents', and parses it. */
struct gitchat_store;
GITCHAT_EXTERN(int) gitchat_message_read(gitchat_message **out, struct gitchat_store *store,
                                         const git_oid *id, const char *room);
/* The signer of a commit whose signature parses, read as verification
 * reads it, but not checked: for commits verified before. */
GITCHAT_EXTERN(int) gitchat_commit_signer(gitchat_pubkey *out, struct gitchat_store *store,
                                          const git_oid *id);
GITCHAT_EXTERN(int) gitchat_message_dup(gitchat_message **out, const gitchat_message *msg);
GITCHAT_EXTERN(void) gitchat_message_free(gitchat_message *msg);

#ifdef __cplusplus
}
#endif
#endif
