/*
 * Helpers for tests that build chat stores: running git on a store,
 * snapshots to prove a failed command changed nothing, and crafting
 * message commits by hand (to tamper with them, or to build a DAG that the
 * sender would never write).
 */
#ifndef GITCHAT_TESTCHAT_H
#define GITCHAT_TESTCHAT_H

#include <stddef.h>
#include <string.h>
#include <criterion/criterion.h>
#include "testlib.h"

/* Tests free lazily. What they allocate is kept reachable from here, so
 * that LeakSanitizer reports only memory the library itself lost: every
 * helper below keeps what it returns; t_keep keeps anything else (a string,
 * a gitchat object). */
void *t_keep(void *p);
char *t_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *t_strndup(const char *s, size_t n);
/* git-chat with the arguments listed (t_chat with an inline argv). */
#define t_chatv(store, ...) \
	({ const char *t_args_[] = { __VA_ARGS__, NULL }; t_chat((store), NULL, t_args_); })
/* The SHA256:... fingerprint of a key file, as ssh-keygen -l prints it. */
char *t_fingerprint(const char *key);
/* How many times needle occurs in hay (not overlapping). */
size_t t_count(const char *hay, const char *needle);

/* `git --git-dir=STORE ARGS...` through sh; asserts exit 0 and returns
 * stdout (malloc'd) with trailing newlines removed. */
char *t_git(const char *store, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* `git chat init DIR/name`; returns the store path (malloc'd). */
char *t_store(const char *dir, const char *name);

/* `git chat send --key KEY -r ROOM -m TEXT`, asserts success, returns the
 * new commit id (malloc'd, 40 hex digits). extra_env: "NAME=value" list or NULL. */
char *t_send(const char *store, const char *key, const char *room, const char *text);
char *t_send_env(const char *store, const char *key, const char *room, const char *text,
                 const char *const *extra_env);
/* The id a send-like command printed (send, edit, redact, react), after
 * asserting that it succeeded; frees `r`. */
char *t_sent(t_run r);
/* DIR/store with rooms general ("hello") and random ("elsewhere"), both
 * sent by *key, a new key DIR/k: for tests of a misspelt room ("genral"). */
char *t_two_rooms(const char *dir, char **key);

/* The 64-hex-digit public key of a private key file. */
char *t_key_hex(const char *key);
/* refs/chat/ROOM/<hex of key> */
char *t_ref(const char *room, const char *key);

/* Everything a command could change in a store: object files, refs (loose
 * and packed), config and HEAD (malloc'd text to compare with strcmp). */
char *t_snapshot(const char *store);

/* The raw commit with its gpgsig header removed: the signed payload. */
char *t_commit_payload(const char *store, const char *oid);
/* The gpgsig header's value, unfolded: the armored signature and a final
 * newline, as ssh-keygen writes a .sig file. NULL when unsigned. */
char *t_commit_signature(const char *store, const char *oid);

/* Inserts `armored` as the gpgsig header of `payload` (where git puts it:
 * after the other headers) and returns the commit text. */
char *t_commit_with_signature(const char *payload, const char *armored);
/* The same with `indent` before each continuation line (git: one space). */
char *t_commit_with_signature_indent(const char *payload, const char *armored,
                                     const char *indent);
/* The armor with its base64 re-wrapped at `width` columns and `eol` line
 * ends (ssh-keygen: 70 and "\n"); the BEGIN and END lines kept. */
char *t_rewrap_armor(const char *armored, size_t width, const char *eol);
/* Signs `payload` with KEY through libgitchat (ns "git"). */
char *t_sign_ours(const char *key, const char *payload, size_t len);
/* Signs `payload` with `ssh-keygen -Y sign -n NS -f KEY`; returns the .sig text. */
char *t_sign_sshkeygen(const char *key, const char *ns, const char *payload, size_t len);

/* Writes the commit text with `git hash-object -t commit -w`; returns the id. */
char *t_write_commit(const char *store, const char *text);
/* Signs `payload` with KEY (ours) and writes it; returns the id. */
char *t_write_signed(const char *store, const char *key, const char *payload);

/* A copy of s with the first occurrence of `from` replaced by `to`
 * (asserts that there is one). */
char *t_replace(const char *s, const char *from, const char *to);

/* git-chat ARGS on a pseudo-terminal (100 columns), GIT_DIR=store, with
 * no pager, COLUMNS or LESS settings from the test's environment and
 * TERM=dumb; then `env`: "NAME=value" sets, "NAME" unsets. Reads the
 * terminal until every process on it has gone. Returns what reached the
 * terminal (malloc'd) and, in *status, the exit status. */
char *t_chat_pty(const char *store, const char *const *env, const char *const *args,
                 int *status);

/* git-chat as the owner of KEY in STORE (GIT_DIR, GIT_CHAT_KEY); the
 * command line is trusted test text, run by sh. */
t_run t_chat_as(const char *store, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Asserts that `r` exited 0 (saying `what` and its stderr when not);
 * returns its stdout without the final newline, kept, and frees r. */
char *t_ok(t_run r, const char *what);
/* Three people with keys in one scratch store "s.git" (the private-room
 * tests): Alice (a), Bob (b) and Carol (c); git's identity is Alice's. */
typedef struct {
	char *dir, *store, *a, *b, *c;
} t_trio;
t_trio t_trio_new(void);

/* Asserts that s contains needle, printing both when not. */
#define t_assert_contains(s, needle) \
	cr_assert(strstr((s), (needle)) != NULL, "expected '%s' in:\n%s", (needle), (s))

#endif
