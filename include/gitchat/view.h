/*
 * The reader's view of a conversation: what a person sees, as opposed to
 * the commits the merger orders.
 *
 * - Edits, redactions and reactions are messages of their own (chat-edit,
 *   chat-redact, chat-react headers) that apply to a target message and are
 *   never shown on their own.
 * - An edit or redaction counts only when it is signed by the key that
 *   signed its target or by a key linked to it (one person,
 *   gitchat/persons.h); others are ignored (and reported by
 *   gitchat_view_check, so that `git chat verify` warns about them).
 * - Authors are shown as people: the profile name of the key's person
 *   (else the commit's author name) and the key that names the person.
 * - The latest valid edit (in conversation order) gives the text; a valid
 *   redaction hides the text for good (git history still holds it).
 * - Reactions are aggregated per emoji; a second identical reaction by the
 *   same key toggles the first off.
 *
 * The view keeps two 32-bit links per message (no text): items load their
 * message, and the few messages that modify it, on demand.
 */
#ifndef GITCHAT_VIEW_H
#define GITCHAT_VIEW_H

#include "gitchat/common.h"
#include "gitchat/conversation.h"
#include "gitchat/message.h"
#include "gitchat/persons.h"
#include "gitchat/store.h"
#include "gitchat/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gitchat_view gitchat_view;

/* One reaction shown under a message: the emoji (the react message's text,
 * trimmed) and the keys that currently hold it, in the order they reacted. */
typedef struct {
	char *emoji;
	gitchat_pubkey *keys;
	size_t count;
} gitchat_reaction;

/* One message as a reader sees it. */
typedef struct {
	size_t index;                  /* position in the conversation */
	gitchat_message *msg;          /* the message as first sent */
	const char *text;              /* what to show: the latest valid edit, or the */
	size_t text_len;               /* original; "" when redacted */
	int edited;
	int redacted;
	gitchat_reaction *reactions;   /* in order of first appearance */
	size_t reaction_count;
	/* The message replied to, when it is in the conversation. */
	int has_reply;
	char *reply_name;
	gitchat_pubkey reply_key;
	char *reply_text;              /* its shown text ("" when redacted) */
	int reply_redacted;
	int unread;                    /* set by the caller (see gitchat_read_marker_get) */
	/* The author as a person (gitchat/persons.h): the name to show (the
	 * person's profile name, else the commit's author name), the key that
	 * names the person (msg->key, the device, when it is linked to none),
	 * whether the name is a profile name and whether another person's
	 * profile name is the same. The same for the message replied to. */
	char *name;
	gitchat_pubkey person;
	int has_profile;
	int name_shared;
	gitchat_pubkey reply_person;
	int reply_name_shared;
} gitchat_view_item;

/* Builds the view of `conv` (which must outlive the view). Reads only the
 * conversation's entries. */
GITCHAT_EXTERN(int) gitchat_view_new(gitchat_view **out, gitchat_conversation *conv);

/* The same for a reader of entries `from` onwards (the latest page): reads
 * only the entries from `from` on. A modifier descends from its target, so
 * it comes after it; entries before `from` still load correctly, by a
 * scan, which is slower. */
GITCHAT_EXTERN(int) gitchat_view_new_from(gitchat_view **out, gitchat_conversation *conv,
                                          size_t from);
GITCHAT_EXTERN(void) gitchat_view_free(gitchat_view *view);
GITCHAT_EXTERN(gitchat_conversation *) gitchat_view_conversation(const gitchat_view *view);

/* The people the view shows authors as, read from the store's `_identity`
 * room when the view was made (never NULL). */
GITCHAT_EXTERN(const gitchat_persons *) gitchat_view_persons(const gitchat_view *view);

/* 1 when entry i is shown as a message of its own (an ordinary message),
 * 0 for edits, redactions and reactions. */
GITCHAT_EXTERN(int) gitchat_view_visible(const gitchat_view *view, size_t i);

/* Loads entry i as a reader sees it (caller frees with _item_free). */
GITCHAT_EXTERN(int) gitchat_view_item_load(gitchat_view_item **out, gitchat_view *view, size_t i);
GITCHAT_EXTERN(void) gitchat_view_item_free(gitchat_view_item *item);

/* Edits and redactions signed by someone else than the target's author
 * (or a device linked to it), and ones whose target is itself an edit,
 * redaction or reaction, in room `room` (NULL: every room); with room NULL
 * or `_identity`, also the claims of `_identity` that readers ignore
 * (one-sided links, invalid profile names: gitchat/persons.h). Reported through `cb` with the modifying
 * commit, its author's log ref and the reason; they do not make the store
 * invalid (they are valid commits that the view ignores). Returns 0, or
 * the callback's non-zero value, or a negative error. */
GITCHAT_EXTERN(int) gitchat_view_check(gitchat_store *store, const char *room,
                                       gitchat_problem_cb cb, void *payload);

/* The rooms of the store: every room with a log under refs/chat/ or
 * refs/chat-remotes/, sorted, each once. Free with git_strarray_dispose
 * (the library's one list type, as for gitchat_sync_remote_list). */
GITCHAT_EXTERN(int) gitchat_room_list(git_strarray *out, gitchat_store *store);

/*
 * Unread state: the position a user has read to in a room is the local ref
 * refs/chat-read/<room>, pointing at the last read message's commit. It is
 * never pushed (sync only pushes refs/chat/). Everything after that
 * message in conversation order is unread; a message that arrives later
 * but sorts before it counts as read.
 */

/* *out = number of leading entries that are read: the marker's index + 1,
 * or 0 when there is no marker or its commit is not in `conv`. */
GITCHAT_EXTERN(int) gitchat_read_marker_get(size_t *out, gitchat_store *store,
                                            const gitchat_conversation *conv, const char *room);

/* Moves refs/chat-read/<room> to `id` (any message of the room). */
GITCHAT_EXTERN(int) gitchat_read_marker_set(gitchat_store *store, const char *room,
                                            const git_oid *id);

/*
 * Drafts: what a user was writing in a room and has not sent, kept in
 * $GIT_DIR/chat/drafts/<room> (local state, never pushed), each save an
 * atomic replace, so that a crash or a kill loses nothing already saved.
 */

/* Saves the draft of `room` (len 0: removes it). At most 1 MiB. */
GITCHAT_EXTERN(int) gitchat_draft_save(gitchat_store *store, const char *room,
                                       const char *text, size_t len);
/* The draft of `room`, or an empty buffer when there is none. */
GITCHAT_EXTERN(int) gitchat_draft_load(gitchat_buf *out, gitchat_store *store,
                                       const char *room);

/* Summary of a room for `git chat rooms`. `me` (may be NULL): messages
 * signed by this key never count as unread. */
typedef struct {
	size_t messages;       /* shown messages (edits etc. excluded) */
	size_t authors;        /* distinct keys of shown messages */
	int64_t last_time;     /* author time of the last shown message, 0 if none */
	size_t unread;
} gitchat_room_stats;

GITCHAT_EXTERN(int) gitchat_room_stats_get(gitchat_room_stats *out, gitchat_store *store,
                                           gitchat_view *view, const char *room,
                                           const gitchat_pubkey *me);

/* Parses a date for --since/--until: what GIT_AUTHOR_DATE accepts
 * ("@SECONDS", ISO 8601, RFC 2822), a plain day "YYYY-MM-DD" (00:00 UTC),
 * "now", "today", "yesterday" (00:00 UTC) and "N minutes|hours|days|weeks
 * ago" relative to `now`. GITCHAT_EINVALID otherwise. */
GITCHAT_EXTERN(int) gitchat_date_parse_human(int64_t *out, const char *s, int64_t now);

/* Appends an allowed-signers file (ssh-keygen ALLOWED SIGNERS) for every
 * author (view/signers.c: the authors are read from the conversation) of `room` (NULL: all rooms): one line per distinct key and email,
 * 'EMAIL namespaces="git" ssh-ed25519 ...', sorted. Emails are claims;
 * one that is not a plain address becomes "key-" and 16 hex digits. */
GITCHAT_EXTERN(int) gitchat_allowed_signers_format(gitchat_buf *out, gitchat_store *store,
                                            const char *room);

/* The key `spec` names, for commands that take someone's key (member add,
 * dm, device add). `spec` is, tried in this order:
 *   - 64 hex digits (the form of ref names), in any case;
 *   - a public key line, "ssh-ed25519 AAAA...[ comment]", or git's
 *     "key::ssh-ed25519 AAAA..." literal;
 *   - "SHA256:" and at least 6 base64 digits: the key whose fingerprint
 *     (as ssh-keygen -l prints it) starts so, among the keys seen in
 *     `store`;
 *   - a path (it holds a '/' or ends in ".pub"): the public key file, or a
 *     private key's path with its .pub beside it;
 *   - 8 to 63 hex digits: the key starting so, among the keys seen;
 *   - otherwise a name or email (whole, any case) an author of a message in
 *     any room of `store` has claimed, or a profile name (the `_identity`
 *     room, gitchat/persons.h: the key that names that person); names
 *     claimed by several devices of one person name that person's key.
 * A lookup in the store must find exactly one key: GITCHAT_ENOTFOUND when it
 * finds none (the message says how to give the key itself), GITCHAT_EINVALID
 * when several (the message lists each fingerprint and name). `store` may
 * be NULL: then only the forms that carry the key work. */
GITCHAT_EXTERN(int) gitchat_pubkey_resolve(gitchat_pubkey *out, gitchat_store *store,
                                           const char *spec);

#ifdef __cplusplus
}
#endif
#endif
