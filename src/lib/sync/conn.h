/*
 * Internal: a connection to one remote, as the fetch and push halves see
 * it: list its refs/chat/ heads, fetch some tips, push some updates. Two
 * implementations: transport.h (libgit2's network transports) and local.h
 * (a repository on a local path); sync.c picks one, the halves only call
 * through this interface.
 */
#ifndef GITCHAT_SYNC_CONN_H
#define GITCHAT_SYNC_CONN_H

#include <git2.h>
#include "sync/heads.h"
#include "util/buf.h"

#define SYNC_QUARANTINE_PREFIX "refs/chat-quarantine/"

/* One log to push: refname on both sides, our head, the remote's. */
typedef struct {
	char *refname;
	git_oid id;
	git_oid old;           /* zero when the remote lacks the log */
	int done;              /* the remote accepted it */
	char *reason;          /* why it was declined, NULL if not (yet) */
} sync_update;

typedef struct sync_conn sync_conn;

typedef struct {
	/* Connects (GIT_DIRECTION_FETCH or _PUSH) and fills c->heads with the
	 * remote's refs/chat/ refs, sorted by name. */
	int (*connect)(sync_conn *c, int direction);
	/* Fetches the objects of `ids` (tips the remote advertised) and
	 * nothing else; `refnames` are their names there. */
	int (*fetch)(sync_conn *c, const git_oid *ids, const char *const *refnames, size_t n);
	/* Pushes (fast-forward only, never forced); sets each update's
	 * done/reason. Negative only when the push as a whole failed. */
	int (*push)(sync_conn *c, sync_update *updates, size_t n);
	/* Before a push that will happen: tells what the caller should know
	 * (local.c: the remote's hooks will not run). May be NULL. */
	void (*before_push)(sync_conn *c);
	void (*close)(sync_conn *c);
	void (*free)(sync_conn *c);
} sync_conn_ops;

struct sync_conn {
	const sync_conn_ops *ops;
	sync_heads heads;        /* what the remote advertised (refs/chat/ only) */
	gitchat_buf sideband;    /* the server's text during the last push */
	int created;             /* a new repository was made there (local) */
};

/* The shared part, for the implementations. */
void sync_conn_base_dispose(sync_conn *c);

#endif
