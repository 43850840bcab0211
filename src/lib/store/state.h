/*
 * Internal: state that a module above the store keeps per store object
 * (verify/'s verification cache, send/'s memo of the last message). The
 * store holds it for the object's lifetime and frees it, without knowing
 * what it is: the store stays below every module that uses it.
 */
#ifndef GITCHAT_STORE_STATE_H
#define GITCHAT_STORE_STATE_H

#include <git2.h>
#include "gitchat/store.h"

/* Frees a state; called by gitchat_store_free while the repository is
 * still open (a cache may write its file there). */
typedef void (*gitchat_store_state_free_fn)(void *state, git_repository *repo);

/* The state the module owning `key` (the address of one of its static
 * objects) handed to this store object, or NULL. */
void *gitchat_store_state(gitchat_store *store, const void *key);

/* Hands `state` to the store under `key`, replacing (and freeing) what was
 * there. gitchat_store_free frees the states, last set first. On failure
 * (out of memory) `state` is freed. */
int gitchat_store_state_set(gitchat_store *store, const void *key, void *state,
                            gitchat_store_state_free_fn free_fn);

#endif
