/*
 * People: keys linked into one person, and their profile names, read from
 * the `_identity` room (DESIGN.md "Linked devices and profiles";
 * docs/devices.md).
 *
 * Every key keeps a log in `_identity`, as in any room, verified as any
 * room. Its commits carry claims in headers:
 *
 *   chat-link <64 hex>     this key and that one are one person
 *   chat-unlink <64 hex>   no longer
 *   chat-name <name>       the name readers show for this person
 *
 * - A link counts when it is MUTUAL: A's latest statement about B is
 *   chat-link and B's latest statement about A is chat-link. "Latest" is
 *   the room's order (the merger's, gitchat/conversation.h); within one
 *   key's log that is the log's own order, so the result does not depend
 *   on clocks. A chat-unlink from either side undoes the link; linking
 *   again needs the side that unlinked to link again.
 * - A person is a connected set of keys over mutual links. A key that is
 *   linked to nobody is a person of its own.
 * - The key that names a person (whose fingerprint readers show) is the
 *   one of its keys that wrote first in `_identity` (the room's order):
 *   adding a device later does not change it.
 * - The person's name is the last valid chat-name in the room's order
 *   written by any of its keys ("newer replaces older" by that order, not
 *   by a timestamp alone). Names are judged by gitchat_profile_name_check;
 *   an invalid one is ignored (and reported).
 *
 * Loading reads only the `_identity` room; a store without it has only
 * people of one key each.
 */
#ifndef GITCHAT_PERSONS_H
#define GITCHAT_PERSONS_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/key.h"
#include "gitchat/store.h"
#include "gitchat/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A profile name: 1 to 64 bytes of UTF-8, no control characters (C0, DEL,
 * C1), no bidirectional controls, no invisible characters (zero-width,
 * BOM) and no line or paragraph separators; no blank at either end; and
 * not containing "SHA256:", which would imitate the fingerprint shown
 * beside it. */
#define GITCHAT_PROFILE_NAME_MAX 64

typedef struct gitchat_persons gitchat_persons;

typedef struct {
	unsigned int version;
	/* NULL: every `_identity` log the store holds (local and remote
	 * copies). Otherwise the state as of this `_identity` commit: only it
	 * and its ancestors count (a state nobody can change later, for rules
	 * that must give the same answer on every replica). */
	const git_oid *at;
	/* Claims that are ignored: a one-sided link (a third party's claim,
	 * or a device not linked back yet), a link to itself, a name that is
	 * not valid, a malformed header. refname is the claimant's log,
	 * commit the claim. May be NULL. */
	gitchat_problem_cb problem_cb;
	void *payload;
} gitchat_persons_options;

#define GITCHAT_PERSONS_OPTIONS_VERSION 1
#define GITCHAT_PERSONS_OPTIONS_INIT { GITCHAT_PERSONS_OPTIONS_VERSION }

GITCHAT_EXTERN(int) gitchat_persons_options_init(gitchat_persons_options *opts,
                                                 unsigned int version);

/* Reads the `_identity` room of `store` (opts may be NULL). Invalid
 * commits of that room are left out, as every reader leaves them out
 * (gitchat_verify_store reports them). */
GITCHAT_EXTERN(int) gitchat_persons_load(gitchat_persons **out, gitchat_store *store,
                                         const gitchat_persons_options *opts);
GITCHAT_EXTERN(void) gitchat_persons_free(gitchat_persons *persons);

/* A person as readers show them. Pointers live as long as `persons`. */
typedef struct {
	const gitchat_pubkey *key;   /* the key that names the person */
	const char *name;            /* the profile name, NULL when none */
	const gitchat_pubkey *name_by; /* the device that wrote it (NULL when none) */
	int name_shared;             /* another person's profile name is the same */
	size_t device_count;         /* keys of the person (1 when linked to none) */
} gitchat_person;

/* The person of `key` (any key: one never seen in `_identity` is a person
 * of its own, with no name). Never fails. */
GITCHAT_EXTERN(void) gitchat_persons_lookup(gitchat_person *out, const gitchat_persons *persons,
                                            const gitchat_pubkey *key);

/* 1 when keys a and b are one person (a == b included), else 0. What the
 * view asks before applying an edit or a redaction, and what a private
 * room's membership asks for "a member may add their own devices". */
GITCHAT_EXTERN(int) gitchat_persons_same(const gitchat_persons *persons,
                                         const gitchat_pubkey *a, const gitchat_pubkey *b);

/* The keys of `key`'s person, sorted by key, `key` among them: up to
 * `max` into `out`; returns how many there are. */
GITCHAT_EXTERN(size_t) gitchat_persons_devices(const gitchat_persons *persons,
                                               const gitchat_pubkey *key,
                                               gitchat_pubkey *out, size_t max);

/* Every key seen in `_identity` (a writer or a key named by a link),
 * sorted by key. */
GITCHAT_EXTERN(size_t) gitchat_persons_key_count(const gitchat_persons *persons);
GITCHAT_EXTERN(const gitchat_pubkey *) gitchat_persons_key_get(const gitchat_persons *persons,
                                                               size_t i);

/* One standing link claim: `from`'s latest statement about `to` is
 * chat-link; `mutual` when `to`'s latest about `from` is one too. */
typedef struct {
	gitchat_pubkey from, to;
	int mutual;
	const git_oid *commit;        /* the claim */
} gitchat_link;

/* Every standing claim, sorted by (from, to). */
GITCHAT_EXTERN(size_t) gitchat_persons_link_count(const gitchat_persons *persons);
GITCHAT_EXTERN(const gitchat_link *) gitchat_persons_link_get(const gitchat_persons *persons,
                                                              size_t i);

/* 0 when `name` (len bytes) may be a profile name, else GITCHAT_EINVALID
 * and why (what a reader ignores, what `git chat profile` refuses). */
GITCHAT_EXTERN(int) gitchat_profile_name_check(const char *name, size_t len);

/* ---- writing (each one commit in the key's `_identity` log, through
 * gitchat_send: author, dates and retries as for any message) ---------- */

typedef struct {
	unsigned int version;
	const char *author_name;      /* as gitchat_send_options */
	const char *author_email;
	const char *author_date;
	const char *committer_date;
} gitchat_identity_write_options;

#define GITCHAT_IDENTITY_WRITE_OPTIONS_VERSION 1
#define GITCHAT_IDENTITY_WRITE_OPTIONS_INIT { GITCHAT_IDENTITY_WRITE_OPTIONS_VERSION }

GITCHAT_EXTERN(int) gitchat_identity_write_options_init(gitchat_identity_write_options *opts,
                                                        unsigned int version);

/* chat-link (unlink = 0) or chat-unlink (1) of `other` by `key`. Linking
 * oneself is GITCHAT_EINVALID. */
GITCHAT_EXTERN(int) gitchat_device_link(git_oid *out, gitchat_store *store, const gitchat_key *key,
                                        const gitchat_pubkey *other, int unlink,
                                        const gitchat_identity_write_options *opts);

/* chat-name `name`, checked with gitchat_profile_name_check first. */
GITCHAT_EXTERN(int) gitchat_profile_name_set(git_oid *out, gitchat_store *store,
                                             const gitchat_key *key, const char *name,
                                             const gitchat_identity_write_options *opts);

#ifdef __cplusplus
}
#endif
#endif
