/*
 * Private rooms (DESIGN.md "Private rooms"): a room named "_" + 24 hex whose
 * messages are age files (gitchat/age.h) encrypted to an epoch's X25519
 * recipient, the epoch's identity sealed to every member's ssh-ed25519
 * key in the epoch commit's tree (epoch.age), membership in plain headers
 * (gitchat/members.h). Stock `git` and `age` read it: docs/private-rooms.md.
 *
 * The inner message (the plaintext of a message's body) is the chat-*
 * headers a public message would carry, one per line, a blank line and
 * the text:
 *
 *   chat-reply <oid>            chat-edit|chat-redact|chat-react <oid>
 *   chat-title <title>          (a title message: the room's new title)
 *   chat-file <n> <size> <name> (files/<n> of the tree, sealed to the epoch)
 *
 * It is hostile input from a member: bounded (GITCHAT_PRIVATE_MAX_INNER_*),
 * checked like a public message's text, anything else reported.
 */
#ifndef GITCHAT_PRIVATE_H
#define GITCHAT_PRIVATE_H

#include "gitchat/common.h"
#include "gitchat/conversation.h"
#include "gitchat/key.h"
#include "gitchat/members.h"
#include "gitchat/send.h"
#include "gitchat/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GITCHAT_PRIVATE_MAX_INNER_HEADERS (16 + GITCHAT_MAX_FILES)
#define GITCHAT_PRIVATE_MAX_INNER_LINE 1024
#define GITCHAT_PRIVATE_MAX_TITLE 256

typedef struct {
	unsigned int version;
	const char *title;                  /* NULL: none */
	const gitchat_pubkey *members;      /* added as members besides the founder */
	size_t member_count;
	const gitchat_pubkey *dm;           /* a direct-message room with this key */
} gitchat_private_create_options;

#define GITCHAT_PRIVATE_CREATE_OPTIONS_VERSION 1
#define GITCHAT_PRIVATE_CREATE_OPTIONS_INIT { GITCHAT_PRIVATE_CREATE_OPTIONS_VERSION }
GITCHAT_EXTERN(int) gitchat_private_create_options_init(gitchat_private_create_options *opts,
                                                        unsigned int version);

/* Makes a private room founded by `key`: its name into `room`. */
GITCHAT_EXTERN(int) gitchat_private_create(char room[26], gitchat_store *store,
                                           const gitchat_key *key,
                                           const gitchat_private_create_options *opts);

/* Sends `opts` (room, text, reply, kind and target as for gitchat_send)
 * encrypted, opening a new epoch first when no epoch's recipients are
 * exactly the current members. GITCHAT_EINVALID when the sender is not a
 * member. */
GITCHAT_EXTERN(int) gitchat_private_send(git_oid *out, gitchat_store *store,
                                         const gitchat_key *key,
                                         const gitchat_send_options *opts);

/* A title message (any member). */
GITCHAT_EXTERN(int) gitchat_private_title_set(git_oid *out, gitchat_store *store,
                                              const gitchat_key *key, const char *room,
                                              const char *title);

/* Membership changes (admins only), each with a new epoch sealed to the
 * members after it; `history`: also seal every epoch identity the adder
 * holds to the new member (history.age). Adding a member again changes
 * the role (promotion with admin = 1). */
GITCHAT_EXTERN(int) gitchat_private_member_add(git_oid *out, gitchat_store *store,
                                               const gitchat_key *key, const char *room,
                                               const gitchat_pubkey *who, int admin,
                                               int history);
GITCHAT_EXTERN(int) gitchat_private_member_remove(git_oid *out, gitchat_store *store,
                                                  const gitchat_key *key, const char *room,
                                                  const gitchat_pubkey *who);

/* The direct-message room of `me` and `other` (a private room whose
 * genesis carries chat-dm, founded by one of them naming the other): when
 * both made one, the smallest name, so that both sides agree after a
 * sync. GITCHAT_ENOTFOUND when there is none. */
GITCHAT_EXTERN(int) gitchat_private_dm_find(char room[26], gitchat_store *store,
                                            const gitchat_pubkey *me,
                                            const gitchat_pubkey *other);

/* A private room as `reader` sees it. */
typedef struct gitchat_private gitchat_private;

/* Reads the room of `conv` (a private room's conversation) with the
 * reader's key and installs a filter on `conv` (gitchat/conversation.h)
 * so that its entries and messages are the decrypted inner messages; the
 * room's events and everything its reading rules refuse (plaintext, a
 * non-member, removed before in the room's order, an unknown epoch, a body
 * that does not decrypt or an inner message that does not parse) become
 * GITCHAT_MESSAGE_HIDDEN, the refused ones reported through `cb` (may be
 * NULL; it must stay valid while `conv` is used: a body that does not
 * decrypt is found, and reported, when first used). `conv` must not be used after the result is freed (its filter
 * points into it); either may be freed first. `reader` may be NULL: nothing
 * decrypts (every message reported), the membership still computed. */
GITCHAT_EXTERN(int) gitchat_private_open(gitchat_private **out, gitchat_store *store,
                                         gitchat_conversation *conv, const char *room,
                                         const gitchat_key *reader, gitchat_problem_cb cb,
                                         void *payload);
/* Messages are decrypted when first used (an entry or message of the
 * conversation asked for), and a body that does not decrypt or parse is
 * reported then; this decrypts (and reports) them all now. */
GITCHAT_EXTERN(int) gitchat_private_decrypt_all(gitchat_private *p);
/* The latest title, NULL when none was set (or none could be read). */
GITCHAT_EXTERN(const char *) gitchat_private_title(gitchat_private *p);
GITCHAT_EXTERN(const gitchat_members *) gitchat_private_members(const gitchat_private *p);
/* The room's chat-dm peer as seen from `me`: the other person, or NULL. */
GITCHAT_EXTERN(const gitchat_pubkey *) gitchat_private_dm_peer(const gitchat_private *p,
                                                               const gitchat_pubkey *me);
/* How many messages were refused by the reading rules. */
GITCHAT_EXTERN(size_t) gitchat_private_refused(const gitchat_private *p);
GITCHAT_EXTERN(void) gitchat_private_free(gitchat_private *p);

#ifdef __cplusplus
}
#endif
#endif
