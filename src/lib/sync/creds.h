/*
 * Internal: credentials for libgit2's transports: ssh-agent and key files
 * for ssh, git's credential helpers for http(s).
 */
#ifndef GITCHAT_SYNC_CREDS_H
#define GITCHAT_SYNC_CREDS_H

#include <git2.h>
#include "gitchat/sync.h"
#include "util/buf.h"

/* Per-connection state. */
typedef struct {
	git_repository *repo;          /* GIT_DIR of the helpers, chat.sshKey */
	const gitchat_sync_options *opts;
	const char *url;               /* for approve/reject */
	gitchat_buf *failure;          /* where to explain a refusal */
	const int *cancelled;          /* the caller stopped: no explanation */
	unsigned int ssh_stage;        /* next ssh method to try */
	gitchat_buf ssh_tried;         /* what was tried, for the error */
	int http_filled;               /* a credential came from `git credential fill` */
	int http_rejected;
	char *http_user;
	char *http_pass;               /* sodium_malloc'd */
} sync_creds;

void sync_creds_init(sync_creds *c, git_repository *repo, const gitchat_sync_options *opts,
                     const char *url, gitchat_buf *failure, const int *cancelled);
/* libgit2's credentials callback, with the state instead of a payload. */
int sync_creds_acquire(git_credential **out, sync_creds *c, const char *url,
                       const char *username_from_url, unsigned int allowed_types);
/* After an operation: tell git's credential helpers whether the password
 * they gave worked (approve) or not (reject); clears the state. */
void sync_creds_finish(sync_creds *c, int ok);
void sync_creds_dispose(sync_creds *c);

#endif
