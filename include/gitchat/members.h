/*
 * The membership of a private room (DESIGN.md "Private rooms"), computed
 * from commit headers alone, so that a server enforces it without any room
 * key:
 *
 *   chat-genesis <32 hex>          the founder's first commit: the room's
 *                                  name is "_" + the first 24 hex of
 *                                  SHA-256("git-chat room" || founder key ||
 *                                  those 16 bytes)
 *   chat-member-add <64 hex> admin|member
 *   chat-member-remove <64 hex>
 *   chat-epoch <age1...>           opens an epoch (tree: epoch.age) or, on
 *                                  a message, names the epoch it is in
 *   chat-dm <64 hex>               (genesis) a two-person room with that key
 *
 * A commit with chat-genesis, chat-member-* or an epoch.age is an *event*;
 * every other commit is a message. An event counts only when its author
 * is an admin in the state computed from its own ancestors, ordered among
 * themselves by the room's order algorithm run on that ancestor set alone
 * (so the causal past fixes it for good); a pure epoch (no member change)
 * counts when its author is a member there. The room's state applies the
 * counted events in the room's order. docs/private-rooms.md has the rest.
 */
#ifndef GITCHAT_MEMBERS_H
#define GITCHAT_MEMBERS_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/conversation.h"
#include "gitchat/key.h"
#include "gitchat/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gitchat_members gitchat_members;

typedef struct {
	gitchat_pubkey key;
	int admin;
} gitchat_member;

/* At most this many chat-member-* lines in one commit. */
#define GITCHAT_MEMBERS_MAX_CHANGES 256
/* The longest chat-epoch value read (age1 + Bech32 of 32 bytes is 62). */
#define GITCHAT_MEMBERS_MAX_EPOCH 100

/* What the room says about commit i (in the order the set was given or,
 * for _load_tips, the room's order). */
typedef struct {
	const git_oid *id;
	const gitchat_pubkey *key;
	int event;               /* genesis, member change or epoch opening */
	int genesis;             /* the room's genesis (valid for its name) */
	int counted;             /* event: it counts */
	const char *ignored;     /* event not counted: why (else NULL) */
	int member;              /* the author is a member in its causal state */
	int removed;             /* not a member in the room's order just before it */
	const char *epoch;       /* chat-epoch value, NULL when none */
	int epoch_file;          /* event: it opens an epoch (chat-epoch on an event) */
	/* event, counted: the members after it (an epoch's recipients) */
	const gitchat_member *after;
	size_t after_count;
	/* event: its chat-member-add keys (for history), and the chat-dm key */
	const gitchat_member *adds;
	size_t add_count;
	const gitchat_pubkey *dm;
} gitchat_members_info;

/* The membership over the room's conversation (valid commits only, in
 * the conversation's order). Reads each commit's headers once. The result
 * may read ids and keys from `conv`: use it only while `conv` lives. */
GITCHAT_EXTERN(int) gitchat_members_load(gitchat_members **out, gitchat_store *store,
                                         gitchat_conversation *conv, const char *room);

/* Keeps what it computed in a cache beside the conversation's order index
 * ($GIT_DIR/chat/index/<room>+members) when there is one: loaded again over
 * the same tips, it reads nothing else; over tips that moved, it reads the
 * new commits' headers only. */

/* Only the room's current state (gitchat_members_valid, _current, _get,
 * _epoch; no commits: gitchat_members_count is 0), from that cache alone,
 * when every commit the refs reach beyond the tips it was written for is a
 * message (events would change the state): what a send needs, without
 * loading the room. GITCHAT_ENOTFOUND when the cache cannot answer (none,
 * damaged, a ref moved back, an event since, too much since): load the
 * conversation and use gitchat_members_load then. */
GITCHAT_EXTERN(int) gitchat_members_load_current(gitchat_members **out, gitchat_store *store,
                                                 const char *room);

/* The same over every commit reachable from `tips` (which the caller has
 * verified: the hook, after its checks), ordered here. */
GITCHAT_EXTERN(int) gitchat_members_load_tips(gitchat_members **out, gitchat_store *store,
                                              const char *room, const git_oid *tips,
                                              size_t ntips);

/* 1 when the room has its genesis (it is a room someone made, under its
 * own name), else 0. */
GITCHAT_EXTERN(int) gitchat_members_valid(const gitchat_members *m);
GITCHAT_EXTERN(size_t) gitchat_members_count(const gitchat_members *m);
GITCHAT_EXTERN(int) gitchat_members_info_get(gitchat_members_info *out,
                                             const gitchat_members *m, size_t i);
/* The same without `id` and `key` (NULL): for walks over every commit,
 * which then read nothing of the conversation a cache-loaded set takes
 * them from (a page of a big room touches a few blocks of its index). */
GITCHAT_EXTERN(int) gitchat_members_info_peek(gitchat_members_info *out,
                                              const gitchat_members *m, size_t i);
/* 1 when every commit that is not an event is by a member in its causal
 * past, not removed, and names an epoch; then *epochs lists the epochs
 * those commits name (*n of them, valid while `m` lives). 0 when some
 * commit is not, or when it is not known without a walk (a set computed
 * afresh rather than read from its cache): walk with _info_peek then. */
GITCHAT_EXTERN(int) gitchat_members_messages_clean(const char *const **epochs, size_t *n,
                                                   const gitchat_members *m);
/* The events (genesis, member changes, epoch openings): how many, and the
 * commit index of event k, in the room's order. */
GITCHAT_EXTERN(size_t) gitchat_members_event_count(const gitchat_members *m);
GITCHAT_EXTERN(size_t) gitchat_members_event_commit(const gitchat_members *m, size_t k);
/* The commit's index, or GITCHAT_ENOTFOUND. */
GITCHAT_EXTERN(int) gitchat_members_find(size_t *out, const gitchat_members *m,
                                         const git_oid *id);
/* The room's current members, sorted by key. */
GITCHAT_EXTERN(const gitchat_member *) gitchat_members_current(size_t *n,
                                                               const gitchat_members *m);
/* The epoch a message is sent to: the newest counted epoch (in the room's
 * order) whose recipients are exactly the current members; NULL when there
 * is none (a member was added or removed since: open one first). */
GITCHAT_EXTERN(const char *) gitchat_members_epoch(const gitchat_members *m);
/* The current member `key`, or NULL. */
GITCHAT_EXTERN(const gitchat_member *) gitchat_members_get(const gitchat_members *m,
                                                           const gitchat_pubkey *key);
GITCHAT_EXTERN(void) gitchat_members_free(gitchat_members *m);

/* The room name a founder's key and 16 genesis bytes give: "_" + 24 hex. */
GITCHAT_EXTERN(void) gitchat_members_room_name(char out[26], const gitchat_pubkey *founder,
                                               const unsigned char nonce[16]);

#ifdef __cplusplus
}
#endif
#endif
