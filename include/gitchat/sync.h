/*
 * Sync (DESIGN.md "Sync"): replicating logs through any git remote.
 *
 * For each remote: list its refs/chat/..., fetch the logs that are new into a
 * quarantine namespace (refs/chat-quarantine/<remote>/...), verify every new
 * commit, fast-forward the local refs/chat/... with a compare-and-swap, keep
 * forks under refs/chat-remotes/<remote>/<room>/<key>, drop the quarantine
 * refs; then push every local log the remote lacks or is behind on, with
 * explicit refspecs, never forced. Nothing unverified is ever stored under
 * refs/chat/ or pushed onward.
 *
 * The library prints nothing: progress, per-log events and host-key
 * questions go to callbacks, and a result tells per remote what happened.
 * gitchat_sync may be called again and again in one process (a `follow`
 * loop); a remote that is down fails that remote only.
 *
 * SIGPIPE: the library never changes its disposition. Its own writes (to
 * `git credential`) use a socket and MSG_NOSIGNAL, so a helper that exits
 * early gives an error, not a signal. libgit2 1.5 writes to its network
 * sockets without MSG_NOSIGNAL and offers no option for it, so a server that
 * closes the connection while we push raises SIGPIPE in the caller's
 * process: a program should ignore SIGPIPE itself (git-chat's CLI does, in
 * cmd_sync.c and cmd_follow.c). docs/sync.md tells the whole story.
 *
 * Threads: gitchat_sync is NOT safe to run while another https connection
 * is open or being made in the same process (another gitchat_sync, or any
 * libgit2 or OpenSSL use of its own): libgit2's list of trusted CA
 * certificates is process-wide, and each https sync sets it from the
 * store's http.sslCAInfo / http.sslCAPath (GIT_SSL_CAINFO / _CAPATH),
 * replacing the one before; a handshake in another thread could then use
 * freed memory, or trust the other store's CA. Run syncs one at a time.
 */
#ifndef GITCHAT_SYNC_H
#define GITCHAT_SYNC_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/key.h"
#include "gitchat/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes and objects moved so far for one remote. */
typedef enum {
	GITCHAT_SYNC_RECEIVING = 0,   /* fetch: objects received / indexed */
	GITCHAT_SYNC_SENDING = 1      /* push: objects packed and sent */
} gitchat_sync_direction;

typedef struct {
	const char *remote;           /* the remote's name (see gitchat_sync_remote_name) */
	gitchat_sync_direction direction;
	size_t objects;               /* received or sent so far */
	size_t total_objects;         /* 0 while unknown */
	size_t indexed_objects;       /* receiving only */
	uint64_t bytes;               /* received or sent so far */
	int done;                     /* 1 on the last call of a transfer */
} gitchat_sync_progress;

/* What happened to one log (or to the remote). Every pointer lives until
 * the callback returns; absent fields are NULL or 0. */
typedef enum {
	/* `count` new messages arrived in `room` (commits that no log of the
	 * room reached before); `kinds` says how many of them are messages,
	 * edits, redactions and reactions. */
	GITCHAT_SYNC_EVENT_RECEIVED = 0,
	/* The local log `refname` moved from `old` (NULL: created) to `commit`. */
	GITCHAT_SYNC_EVENT_UPDATED,
	/* The remote accepted our `refname` at `commit` (its old value `old`). */
	GITCHAT_SYNC_EVENT_PUSHED,
	/* The remote's `refname` is invalid: `commit` is the commit to blame and
	 * `reason` says why. Nothing of it was stored under refs/chat/. */
	GITCHAT_SYNC_EVENT_REJECTED,
	/* Two different continuations of one log: ours is `old`, the remote's is
	 * `commit` (valid, signed by `key`; `author_name` is the name it claims).
	 * The remote's is kept under `fork_ref`; `count` is 1 when this sync
	 * recorded it, 0 when it was known. */
	GITCHAT_SYNC_EVENT_FORK,
	/* The server declined our push of `refname` at `commit`; `reason` is its
	 * explanation (the ref status and what its hooks wrote). */
	GITCHAT_SYNC_EVENT_PUSH_DECLINED,
	/* Text the server sent (its hooks' output, "remote: ..." in git). With
	 * `refname` set, a note of ours about that log instead: it was not
	 * pushed and why could not be worked out (`reason`); counted in
	 * not_pushed and as a problem. */
	GITCHAT_SYNC_EVENT_REMOTE_MESSAGE,
	/* The remote could not be synced; `reason` says why. */
	GITCHAT_SYNC_EVENT_REMOTE_FAILED,
	/* A new bare repository was created at the path `url` (sneakernet). */
	GITCHAT_SYNC_EVENT_CREATED,
	/* Our `refname`, at `commit`, was not pushed: the remote's copy, at
	 * `old`, is not in our log, so the push would not be a fast-forward
	 * (and pushes are never forced). `blocked` says what the remote's copy
	 * is; `reason` why it is invalid (GITCHAT_SYNC_BLOCKED_INVALID).
	 * `count`: the commits of the log's own chain (the key's messages, first
	 * parent after first parent) that the remote lacks, 0 when nothing of
	 * ours waits (our copy is the remote's last valid commit or behind it).
	 * `base`: for a fork, the newest commit of our chain the remote's copy
	 * holds; for an invalid copy, the newest valid commit of the log in the
	 * remote's copy (its own last good state, which may be ahead of ours),
	 * found by walking first parents down from `old`; `repair` tells
	 * whether it was found. NULL: none, or unknown.
	 * Told at every sync until the remote's copy is repaired or healed. */
	GITCHAT_SYNC_EVENT_NOT_PUSHED,
	/* `url` is a local path whose repository has a pre-receive hook
	 * (`reason`: its path): syncing by path writes the repository directly
	 * and runs no hook. Told when something is pushed there. */
	GITCHAT_SYNC_EVENT_HOOK_NOT_RUN,
	/* About to open a connection to `url` (the URL libgit2 will use, after
	 * url.<base>.insteadOf), to fetch or to push. Not told for local
	 * paths, which open no connection. A
	 * program that sets up its network libraries lazily (the CA
	 * certificates for https, libssh2 for ssh) can do it here. */
	GITCHAT_SYNC_EVENT_CONNECTING
} gitchat_sync_event_type;

/* What the remote's copy of a log that could not be pushed is. */
typedef enum {
	GITCHAT_SYNC_BLOCKED_NONE = 0,   /* (other events) */
	/* It does not verify (bad data on the server: unsigned, signed by
	 * another key, ...): only whoever administers the remote can put the
	 * ref back (servers refuse deletes and non-fast-forwards). */
	GITCHAT_SYNC_BLOCKED_INVALID,
	/* It is valid but another continuation of the log (a fork, reported as
	 * FORK too): the key's owner heals it with their next message, which
	 * takes both heads as parents and is then pushed. */
	GITCHAT_SYNC_BLOCKED_FORK,
	/* This store does not have it (not fetched: --no-fetch, or the remote
	 * moved since the fetch): it may be ahead of ours; sync again. */
	GITCHAT_SYNC_BLOCKED_UNKNOWN
} gitchat_sync_blocked;

/* How the ref of a remote's invalid copy can be put back (NOT_PUSHED with
 * GITCHAT_SYNC_BLOCKED_INVALID). */
typedef enum {
	GITCHAT_SYNC_REPAIR_NONE = 0,    /* (other events and other copies) */
	/* Reset the ref from `old` to `base`, the newest valid commit of the
	 * log that the remote's copy holds: nothing valid is lost. */
	GITCHAT_SYNC_REPAIR_RESET,
	/* Delete the ref: nothing in the remote's copy is signed by the log's
	 * key (checked over all its ancestors). */
	GITCHAT_SYNC_REPAIR_DELETE,
	/* Could not be worked out (a commit of the remote's copy is missing
	 * here, or something of the key is there but not on its first-parent
	 * chain): the remote's admin should run 'git chat verify' there. */
	GITCHAT_SYNC_REPAIR_UNKNOWN
} gitchat_sync_repair;

typedef struct {
	gitchat_sync_event_type type;
	const char *remote;           /* name */
	const char *url;              /* URL or path as used */
	const char *refname;          /* refs/chat/<room>/<key> */
	const char *room;
	const gitchat_pubkey *key;    /* the log's key (from the ref name) */
	const git_oid *commit;
	const git_oid *old;
	const char *author_name;      /* FORK: the claimed author name */
	const char *fork_ref;         /* FORK: refs/chat-remotes/<remote>/<room>/<key> */
	const char *reason;
	size_t count;
	/* NOT_PUSHED only (added in the same version; zero otherwise) */
	gitchat_sync_blocked blocked;
	const git_oid *base;
	/* NOT_PUSHED with GITCHAT_SYNC_BLOCKED_INVALID only (added later) */
	gitchat_sync_repair repair;
	/* RECEIVED only (added later): of `count`, how many are of each
	 * gitchat_message_kind (text, edit, redact, react); they add up to
	 * less than `count` only if a commit could not be read. */
	size_t kinds[4];
} gitchat_sync_event;

/* An ssh host key that is not simply known. */
typedef enum {
	GITCHAT_HOSTKEY_UNKNOWN = 0,  /* no known_hosts entry for this host */
	GITCHAT_HOSTKEY_CHANGED,      /* an entry of the same type differs: refused */
	GITCHAT_HOSTKEY_REVOKED       /* marked @revoked: refused */
} gitchat_hostkey_status;

typedef struct {
	const char *remote;
	const char *host;             /* "127.0.0.1" */
	int port;                     /* 22 unless the URL says otherwise */
	const char *lookup_name;      /* "host" or "[host]:port", as known_hosts writes it */
	const char *key_type;         /* "ssh-ed25519", ... */
	const char *fingerprint;      /* "SHA256:..." as ssh prints it */
	gitchat_hostkey_status status;
	const char *known_hosts;      /* the file checked first (~/.ssh/known_hosts) */
} gitchat_sync_hostkey;

typedef enum {
	GITCHAT_SYNC_NO_FETCH = 1u << 0,   /* only push */
	GITCHAT_SYNC_NO_PUSH = 1u << 1,    /* only fetch */
	/* Never let git's credential helpers prompt on the terminal
	 * (GIT_TERMINAL_PROMPT=0): for unattended loops. */
	GITCHAT_SYNC_NO_PROMPT = 1u << 2
} gitchat_sync_flags;

typedef struct {
	unsigned int version;
	/* Rooms to replicate. NULL: git config chat.rooms (several values, or
	 * names separated by spaces or commas), and when that is unset every
	 * room. Other rooms are neither fetched nor pushed. */
	const char *const *rooms;
	size_t rooms_count;
	unsigned int flags;                /* gitchat_sync_flags */

	/* Each returns 0 to go on; anything else cancels the remote's transfer
	 * (progress) or the whole sync (event), which then fails that remote. */
	int (*progress_cb)(const gitchat_sync_progress *progress, void *payload);
	int (*event_cb)(const gitchat_sync_event *event, void *payload);
	/* Asked for an UNKNOWN host key only: return 1 to accept it for this
	 * connection, 0 to refuse. CHANGED and REVOKED keys are always refused.
	 * NULL: refuse unknown hosts. */
	int (*hostkey_cb)(const gitchat_sync_hostkey *hostkey, void *payload);
	/* Asked first for credentials; return GIT_PASSTHROUGH for the defaults:
	 * ssh: the ssh-agent (when SSH_AUTH_SOCK is set), then `ssh_key`, git
	 * config chat.sshKey, ~/.ssh/id_ed25519, id_ecdsa, id_rsa; http(s): git's
	 * credential helpers (`git credential fill`, approve, reject). */
	git_credential_acquire_cb credentials_cb;
	const char *ssh_key;               /* a private key file tried before the others */
	void *payload;
} gitchat_sync_options;

#define GITCHAT_SYNC_OPTIONS_VERSION 1
#define GITCHAT_SYNC_OPTIONS_INIT { GITCHAT_SYNC_OPTIONS_VERSION }

/* Fills `opts` with the defaults of GITCHAT_SYNC_OPTIONS_INIT, for callers that
 * cannot use the macro (language bindings). GITCHAT_EINVALID when `version`
 * is not the one these headers define. */
GITCHAT_EXTERN(int) gitchat_sync_options_init(gitchat_sync_options *opts, unsigned int version);

/* What happened with one remote. Pointers live as long as the result. */
typedef struct {
	const char *room;
	size_t count;
} gitchat_sync_room_count;

typedef struct {
	const char *name;             /* the remote's name */
	const char *url;              /* URL or path */
	int failed;                   /* 1: the remote could not be (fully) synced */
	const char *error;            /* why, when failed */
	int created;                  /* a bare repository was created at the path */
	size_t received;              /* new messages, all rooms */
	const gitchat_sync_room_count *rooms;   /* per room, sorted by name */
	size_t rooms_count;
	size_t updated;               /* local logs created or fast-forwarded */
	size_t pushed;                /* logs the remote accepted */
	size_t rejected;              /* invalid logs of the remote */
	size_t forks;                 /* forked logs seen */
	size_t declined;              /* pushes the server declined */
	/* Logs of ours not pushed because the remote's copy is not in them
	 * (NOT_PUSHED events); those whose copy there is invalid are problems. */
	size_t not_pushed;
	/* (added later) `received` by gitchat_message_kind, as in RECEIVED */
	size_t received_kinds[4];
} gitchat_sync_remote_result;

typedef struct gitchat_sync_result gitchat_sync_result;

GITCHAT_EXTERN(size_t) gitchat_sync_result_count(const gitchat_sync_result *result);
GITCHAT_EXTERN(const gitchat_sync_remote_result *) gitchat_sync_result_get(
	const gitchat_sync_result *result, size_t i);
/* Remotes that failed, plus logs rejected, pushes declined and logs not
 * pushed because the remote's copy is invalid: 0 when everything synced.
 * Forks are not problems (they are kept and healed). */
GITCHAT_EXTERN(size_t) gitchat_sync_result_problems(const gitchat_sync_result *result);
GITCHAT_EXTERN(void) gitchat_sync_result_free(gitchat_sync_result *result);

/* Syncs with each of `remotes` (configured remote names, URLs, scp-style
 * user@host:path, or local paths; a path that does not exist, in an
 * existing directory, becomes a new bare repository), or with every
 * configured remote when `count` is 0. Returns 0 when the sync ran, with
 * the outcome per remote in *out (a remote that failed does not stop the
 * others); a negative code without a result for a usage or store error
 * (bad options, invalid room, no remote configured). */
GITCHAT_EXTERN(int) gitchat_sync(gitchat_sync_result **out, gitchat_store *store,
                                 const char *const *remotes, size_t count,
                                 const gitchat_sync_options *opts);

/* The names of the remotes configured in the store (remote.<name>.url),
 * what gitchat_sync uses when given none. Free with git_strarray_dispose. */
GITCHAT_EXTERN(int) gitchat_sync_remote_list(git_strarray *out, gitchat_store *store);

/* The name sync uses for `remote` under refs/chat-remotes/ (and in events):
 * a configured remote's own name; for a URL or a path the name of the
 * configured remote with that URL if there is one, else "url-" and the first
 * 16 hex digits of the SHA-256 of the URL (paths made absolute). */
GITCHAT_EXTERN(int) gitchat_sync_remote_name(gitchat_buf *out, gitchat_store *store,
                                             const char *remote);

/* Network timeouts, the program's choice (libgit2 1.5 has none): registers
 * git-chat's socket stream with libgit2 (git_stream_register, for the whole
 * process), after which every sync connection, git://, http(s):// and
 * ssh://, has a connect and an idle timeout (git config chat.timeout,
 * seconds, default 30) and http(s) git's http.lowSpeedLimit and
 * http.lowSpeedTime. A remote that times out fails alone, with an error
 * that says so; the other remotes of the sync go on. Without this call
 * libgit2's own sockets are used and a silent server blocks the sync.
 * Replaces any GIT_STREAM_STANDARD registration the program made; call it
 * once, after gitchat_init and before syncing. */
GITCHAT_EXTERN(int) gitchat_sync_streams_register(void);

#ifdef __cplusplus
}
#endif
#endif
