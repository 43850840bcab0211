/*
 * The hostile-input suite (issue 9): a key holder, mallory, crafts commits,
 * refs and objects that break a rule (or look as if they might) and tries
 * to get them to everyone else two ways:
 *   - pushed as her own log to a real `git daemon` serving a repository
 *     made by `git chat init --server` (pre-receive hook, receive.fsckObjects);
 *   - fetched by a victim's `git chat sync` from a path where mallory wrote
 *     them without any hook.
 * Each case then asserts what happened (refused with its reason, or shown
 * correctly) and that the room stays readable: `log` (text and JSON),
 * `verify`, `rooms` and `export` work and show every honest message.
 */
#ifndef GITCHAT_TEST_HOSTILE_H
#define GITCHAT_TEST_HOSTILE_H

#include <git2.h>
#include "servers.h"
#include "testchat.h"

#define HX_EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#define HX_TIME 1764150000LL

typedef struct {
	char *dir;
	t_server *srv;
	char *server, *url;            /* the hooked repository and its git:// URL */
	char *honest;                  /* where alice and bob write */
	char *attacker;                /* mallory's store (a path remote, no hook) */
	char *victim;                  /* a reader who syncs from mallory */
	char *alice, *bob, *mallory;   /* key files */
	char *aref, *bref, *mref;      /* their logs in room general */
	char *a1, *b1, *a2;            /* the honest messages */
} hx_world;

/* Starts the daemon, makes the stores and keys, sends the honest messages,
 * pushes them to the server, and copies them to mallory and the victim. */
void hx_setup(hx_world *w);

/* The honest texts, NULL-terminated, for hx_readable. */
extern const char *const hx_honest_texts[];

/* A commit text, header by header. Unset fields take mallory's defaults:
 * the empty tree, author and committer "Mallory <mallory@example.org>
 * HX_TIME +0000", headers "chat-room general\n", text "hostile". */
typedef struct {
	const char *tree;
	const char *parents[40];       /* NULL-terminated */
	const char *author, *committer;
	const char *headers;           /* after committer, verbatim, each line ending in \n */
	const char *text;              /* the message; a final newline is added */
} hx_spec;

/* The payload (what is signed) of a spec. */
char *hx_payload(const hx_spec *s);
/* Signs with libgitchat, namespace git: the armored signature. */
char *hx_sign(const char *key, const char *payload);
/* The object text: payload plus a gpgsig header after the other headers. */
char *hx_object(const char *payload, const char *armor);
/* Writes bytes as an object of `type` through libgit2 (no fsck). */
char *hx_write(const char *store, const char *data, size_t len, git_object_t type);
/* payload -> signature -> object -> written into `store`: the id. Each
 * "@NUL@" in the payload becomes a NUL byte first. key NULL: unsigned. */
char *hx_commit(const char *store, const char *key, const hx_spec *s);

/* Pushes `refspec` from mallory's store to the server through git daemon. */
t_run hx_push(const hx_world *w, const char *refspec);
/* The push of `id` as mallory's log (or to `dst`): refused, the server's
 * refs unchanged, `reason` in what the pusher sees (the hook's line, or git's
 * own fsck message; several accepted reasons are separated by '|'). */
void hx_hook_refuses(const hx_world *w, const char *id, const char *reason);
void hx_hook_refuses_ref(const hx_world *w, const char *refspec, const char *reason);
/* The push lands: the hook verified it, the ref is `id` on the server. */
void hx_hook_accepts(const hx_world *w, const char *id);

/* Points `ref` of `store` at `id`, whatever the object is. */
void hx_set_ref(const char *store, const char *ref, const char *id);

/* `git chat sync --no-push ATTACKER` in the victim's store. */
t_run hx_sync(const hx_world *w);
/* Sets mallory's log to `id` in her store; the victim's sync refuses it:
 * exit 1, the commit (or ref) and `reason` on stderr, nothing of it under
 * the victim's refs. */
void hx_sync_refuses(const hx_world *w, const char *id, const char *reason);
/* ... or accepts it: exit 0 and mallory's log is `id` at the victim's. */
void hx_sync_accepts(const hx_world *w, const char *id);

/* log (text, JSON), verify, rooms and export of room general in `store`
 * work and show each of `texts` (NULL-terminated; NULL: the honest ones).
 * verify must exit `verify_status`. Returns the text log's stdout. */
char *hx_readable(const char *store, const char *const *texts, int verify_status);

/* A spec with the honest heads (a2, b1) as parents. */
hx_spec hx_on_heads(const hx_world *w, const char *text);
/* Both ways in refuse `id` (hook_reason, sync_reason as above), and the
 * room stays readable on the server and at the victim's. */
void hx_refused_everywhere(const hx_world *w, const char *id, const char *hook_reason,
                           const char *sync_reason);
/* Both ways in accept `id`; both rooms show `text` and the honest ones. */
void hx_shown_everywhere(const hx_world *w, const char *id, const char *text);
/* A whole case: a world, mallory's message as `s` says (the honest heads as
 * parents when it names none), refused with the reasons, or shown when
 * hook_reason is NULL. */
void hx_case(const hx_spec *s, const char *hook_reason, const char *sync_reason);

/* Runs git-chat with a time limit (seconds) so that a hang fails the test. */
t_run hx_chat_timed(const char *store, int seconds, const char *args);

/* Each line of `out` is one valid JSON value, in valid UTF-8. */
void hx_assert_json_lines(const char *out);

#endif
