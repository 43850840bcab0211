/*
 * The server side: a pre-receive check that refuses invalid chat logs, and
 * the set-up of a bare repository that hosts rooms (docs/hosting.md).
 *
 * The check follows git's pre-receive contract: it sees every ref update
 * of one push before any ref moves, and refusing one update refuses the
 * whole push. It verifies only what the push adds: the commits reachable
 * from the new heads but not from the room's current refs/chat/ heads,
 * which the hook accepted before (so install it on a repository whose logs
 * `git chat verify` finds valid). It keeps its verification results in
 * memory and writes no file: the pushed objects sit in git's quarantine
 * and vanish when the push is refused.
 */
#ifndef GITCHAT_HOOK_H
#define GITCHAT_HOOK_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/store.h"
#include "gitchat/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to do with a ref outside refs/chat/. */
typedef enum {
	GITCHAT_HOOK_OTHER_REFS_CONFIG = 0, /* git config chat.hook.otherRefs: allow (default) or deny */
	GITCHAT_HOOK_OTHER_REFS_ALLOW,      /* leave them to the server's other rules */
	GITCHAT_HOOK_OTHER_REFS_DENY        /* a chat-only server */
} gitchat_hook_other_refs;

typedef struct {
	unsigned int version;
	gitchat_hook_other_refs other_refs;
} gitchat_hook_options;

#define GITCHAT_HOOK_OPTIONS_VERSION 1
#define GITCHAT_HOOK_OPTIONS_INIT { GITCHAT_HOOK_OPTIONS_VERSION }

/* Fills `opts` with the defaults of GITCHAT_HOOK_OPTIONS_INIT, for callers that
 * cannot use the macro (language bindings). GITCHAT_EINVALID when `version`
 * is not the one these headers define. */
GITCHAT_EXTERN(int) gitchat_hook_options_init(gitchat_hook_options *opts, unsigned int version);

typedef struct gitchat_hook gitchat_hook;

/* Opens the repository at `path`, or with NULL the way a hook must: from
 * git's environment (GIT_DIR, and GIT_OBJECT_DIRECTORY plus
 * GIT_ALTERNATE_OBJECT_DIRECTORIES, which point into the quarantine). */
GITCHAT_EXTERN(int) gitchat_hook_new(gitchat_hook **out, const char *path,
                                     const gitchat_hook_options *opts);

/* Adds one update as git writes it on the hook's stdin: "OLD NEW REFNAME"
 * (40 hex digits each; all zeros for creation or deletion), with or
 * without the newline. GITCHAT_EINVALID when the line is malformed. */
GITCHAT_EXTERN(int) gitchat_hook_add_line(gitchat_hook *hook, const char *line, size_t len);
GITCHAT_EXTERN(int) gitchat_hook_add(gitchat_hook *hook, const git_oid *old,
                                     const git_oid *new_id, const char *refname);

/* Checks every update added. Each refused one is reported once through
 * `cb` (refname, the commit to blame or NULL, the reason). Returns 0 when
 * the push may proceed, GITCHAT_EVERIFY when at least one update is
 * refused, another negative code when the check itself failed (the push
 * must then be refused too). */
GITCHAT_EXTERN(int) gitchat_hook_check(gitchat_hook *hook, gitchat_problem_cb cb,
                                       void *payload);

/* The number of updates added, and of those under refs/chat/. */
GITCHAT_EXTERN(size_t) gitchat_hook_count(const gitchat_hook *hook, size_t *chat);

GITCHAT_EXTERN(void) gitchat_hook_free(gitchat_hook *hook);

/* The hooks/pre-receive script that `gitchat_server_init` installs, the
 * same text as the project's hooks/pre-receive. */
GITCHAT_EXTERN(const char *) gitchat_hook_script(void);

typedef struct {
	unsigned int version;
	/* git config chat.hook.program: the git-chat the hook runs; NULL
	 * leaves it unset, so the hook finds git-chat on PATH. */
	const char *program;
	int http_receive_pack;   /* set http.receivepack (pushes over smart HTTP) */
	int chat_only;           /* set chat.hook.otherRefs deny */
	/* set chat.hook.privateMembers true: the hook refuses an update of a
	 * private room's log whose key is not a member in the room's state
	 * after the push, computed from headers (gitchat/members.h) */
	int private_members;
} gitchat_server_options;

#define GITCHAT_SERVER_OPTIONS_VERSION 1
#define GITCHAT_SERVER_OPTIONS_INIT { GITCHAT_SERVER_OPTIONS_VERSION }

/* Fills `opts` with the defaults of GITCHAT_SERVER_OPTIONS_INIT, for callers that
 * cannot use the macro (language bindings). GITCHAT_EINVALID when `version`
 * is not the one these headers define. */
GITCHAT_EXTERN(int) gitchat_server_options_init(gitchat_server_options *opts, unsigned int version);

/* Makes `path` a bare repository ready to host rooms: creates it (or takes
 * an existing bare repository), installs hooks/pre-receive and sets
 * receive.denyNonFastForwards, receive.denyDeletes and receive.fsckObjects.
 * Refuses a non-bare repository, a repository with core.hooksPath, and a
 * different pre-receive hook already there (GITCHAT_EEXISTS). Running it
 * again is harmless. `*out` (may be NULL) receives the store. */
GITCHAT_EXTERN(int) gitchat_server_init(gitchat_store **out, const char *path,
                                        const gitchat_server_options *opts);

#ifdef __cplusplus
}
#endif
#endif
