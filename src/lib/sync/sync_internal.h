/*
 * Internal: the pieces of `gitchat_sync`.
 *
 *   remote.c     what an argument names (configured remote, URL, path) and
 *                the stable name used under refs/chat-remotes/
 *   url.c        splitting URLs (scheme, user, host, port, path)
 *   transport.c  connect / list / fetch / push, over libgit2 for network
 *                URLs and ...
 *   local.c      ... directly between two repositories for local paths
 *                (libgit2's local transport would copy the objects of every
 *                ref, ignoring the rooms asked for)
 *   pack.c       the objects one side lacks, as one pack written directly
 *   creds.c      credentials: ssh-agent, key files, git credential helpers
 *   knownhosts.c ssh host keys against known_hosts (hashed entries too)
 *   tls.c        https: git's CA settings, refusing to turn checks off, and
 *                the message for a certificate that is not trusted
 *   accept.c     verify what was fetched, fast-forward, record forks
 *   push.c       which logs to push, and pushing them one by one when a
 *                server declines a batch
 *   blocked.c    the logs that cannot be pushed because the remote's copy
 *                is not in ours: what it is, what the remote lacks
 *   sync.c       the whole run and its result
 */
#ifndef GITCHAT_SYNC_INTERNAL_H
#define GITCHAT_SYNC_INTERNAL_H

#include <git2.h>
#include "gitchat/sync.h"
#include "store/refs.h"
#include "util/buf.h"

#define SYNC_QUARANTINE_PREFIX "refs/chat-quarantine/"

/* A ref the remote advertises under refs/chat/ (names not yet checked). */
typedef struct {
	char *refname;
	git_oid id;
} sync_head;

typedef struct {
	sync_head *v;
	size_t n;
} sync_heads;

/* One log to push: refname on both sides, our head, the remote's. */
typedef struct {
	char *refname;
	git_oid id;
	git_oid old;           /* zero when the remote lacks the log */
	int done;              /* the remote accepted it */
	char *reason;          /* why it was declined, NULL if not (yet) */
} sync_update;

/* Per-connection state of the credential and host key callbacks. */
typedef struct {
	unsigned int ssh_stage;        /* next ssh method to try */
	gitchat_buf ssh_tried;         /* what was tried, for the error */
	int http_filled;               /* a credential came from `git credential fill` */
	int http_rejected;
	char *http_user;
	char *http_pass;               /* sodium_malloc'd */
} sync_creds;

typedef struct gitchat_sync_remote_result_internal sync_result_entry;

/* One remote being synced. */
typedef struct {
	gitchat_store *store;
	git_repository *repo;
	const gitchat_sync_options *opts;
	const char *const *rooms;      /* filter, NULL: every room */
	size_t nrooms;
	/* what the argument named */
	char *arg;
	char *name;                    /* stable name (refs/chat-remotes/<name>/) */
	char *url;                     /* fetch URL or absolute path */
	char *pushurl;                 /* push URL (configured remotes), or NULL */
	int local;                     /* a path: handled by local.c */
	int created;                   /* local.c made a new bare repository */
	/* scheme details for ssh host checks and credentials */
	char *host;
	int port;
	/* the connection */
	git_remote *remote;            /* network */
	git_repository *peer;          /* local */
	sync_heads heads;              /* what the remote advertised (refs/chat/ only) */
	sync_creds creds;
	char *ca_used;                 /* https: the CA settings in force, NULL: system's */
	int tls_untrusted;             /* https: libgit2 found the certificate invalid */
	gitchat_buf sideband;          /* text from the server during a push */
	gitchat_buf line;              /* an incomplete sideband line */
	gitchat_buf failure;           /* our explanation of a refused connection */
	int capture_messages;          /* emit REMOTE_MESSAGE events (pushing) */
	int cancelled;                 /* a callback asked to stop */
	void *push_ctx;                /* transport.c: statuses of the running push */
	sync_result_entry *res;
} sync_remote;

/* remote.c */
/* 1 when the object database holds `id` (a head named by a remote may not
 * have been fetched). */
int sync_odb_has(git_repository *repo, const git_oid *id);

int sync_remote_resolve(sync_remote *r, const char *arg);
int sync_remote_list_configured(git_strarray *out, git_repository *repo);
void sync_remote_dispose(sync_remote *r);

/* url.c: 1 when `arg` is a URL (scheme://) or scp-like (user@host:path). */
int sync_url_is_remote(const char *arg);
/* Splits an ssh:// http(s):// git:// URL or an scp-like one. Missing
 * parts are NULL (port: the scheme's default). */
typedef struct {
	char *scheme;     /* "ssh", "http", "https", "git", "file" */
	char *user;
	char *host;
	int port;
	char *path;       /* with its leading '/' for URLs */
} sync_url;
int sync_url_parse(sync_url *out, const char *url);
void sync_url_dispose(sync_url *u);

/* transport.c: connects (direction GIT_DIRECTION_FETCH or _PUSH) and fills
 * r->heads with the remote's refs/chat/ refs, sorted by name. */
int sync_transport_connect(sync_remote *r, int direction);
/* Fetches the objects of `ids` (tips the remote advertised). */
int sync_transport_fetch(sync_remote *r, const git_oid *ids, const char *const *refnames,
                         size_t n);
/* Pushes updates (ff only, never forced); sets each update's done/reason.
 * Negative only when the push as a whole failed. */
int sync_transport_push(sync_remote *r, sync_update *updates, size_t n);
void sync_transport_close(sync_remote *r);
const sync_head *sync_heads_find(const sync_heads *h, const char *refname);
void sync_heads_dispose(sync_heads *h);

/* local.c: the same for a local path (r->local). */
int sync_local_open(sync_remote *r);   /* creates a missing bare repository */
int sync_local_list(sync_remote *r);
int sync_local_fetch(sync_remote *r, const git_oid *ids, size_t n);
int sync_local_push(sync_remote *r, sync_update *updates, size_t n);
void sync_local_close(sync_remote *r);

/* creds.c / knownhosts.c: libgit2 callbacks, payload = sync_remote. */
int sync_credentials_cb(git_credential **out, const char *url, const char *username_from_url,
                        unsigned int allowed_types, void *payload);
int sync_certificate_cb(git_cert *cert, int valid, const char *host, void *payload);
/* After an operation: tell git's credential helpers whether the password
 * they gave worked (approve) or not (reject); clears the state. */
void sync_creds_finish(sync_remote *r, int ok);
void sync_creds_dispose(sync_creds *c);

/* tls.c: before connecting to `url` (https only, else nothing): refuses
 * http.sslVerify=false / GIT_SSL_NO_VERIFY, checks GIT_SSL_CAINFO /
 * http.sslCAInfo and GIT_SSL_CAPATH / http.sslCAPath and hands them to
 * libgit2 (process-wide). */
int sync_tls_prepare(sync_remote *r, const char *url);
/* certificate_check for X.509 certificates (called by sync_certificate_cb). */
int sync_tls_certificate_check(sync_remote *r, git_cert *cert, int valid, const char *host);
/* The error for an operation on `url` that failed because the certificate
 * was not trusted (r->tls_untrusted), with libgit2's reason. */
int sync_tls_error(sync_remote *r, const char *what, const char *url);

/* knownhosts.c: looks up a host key in a known_hosts file. */
typedef enum { KH_NOT_FOUND = 0, KH_MATCH, KH_CHANGED, KH_REVOKED } kh_result;
int sync_known_hosts_check(kh_result *out, size_t *line, const char *path,
                           const char *lookup_name, const char *key_type,
                           const unsigned char *blob, size_t blob_len);

/* sync.c: events and progress to the caller's callbacks. Non-zero from
 * the callback marks the remote cancelled. */
int sync_emit(sync_remote *r, gitchat_sync_event *ev);
int sync_progress(sync_remote *r, gitchat_sync_progress *p);
int sync_room_wanted(const sync_remote *r, const char *room);
/* Adds `count` new commits of `room`, kinds[] by gitchat_message_kind. */
void sync_result_count_room(sync_remote *r, const char *room, size_t count,
                            const size_t kinds[4]);

/* accept.c: the fetch half (fetch, verify, fast-forward, forks). */
int sync_fetch_phase(sync_remote *r);
/* push.c: the push half. `have_heads`: r->heads is fresh from a fetch. */
int sync_push_phase(sync_remote *r, int have_heads);

/* blocked.c: our log `t` cannot be pushed: the remote's copy `theirs` is
 * not in it. Finds out why and what the remote lacks; emits NOT_PUSHED. */
int sync_blocked_report(sync_remote *r, const gitchat_tip *t, const git_oid *theirs);
/* local.c: emits HOOK_NOT_RUN when the local remote has a pre-receive hook. */
void sync_local_note_hooks(sync_remote *r);

/* The result entry a sync_remote fills. */
struct gitchat_sync_remote_result_internal {
	gitchat_sync_remote_result pub;
	char *name, *url, *error;
	gitchat_sync_room_count *rooms;
	char **room_names;
	size_t nrooms;
	size_t blocked_invalid;        /* NOT_PUSHED with BLOCKED_INVALID: problems */
};

#endif
