/*
 * Internal: what an argument of `git chat sync` names (a configured
 * remote, a URL, a path) and the stable name its forks are kept under
 * (refs/chat-remotes/<name>/).
 */
#ifndef GITCHAT_SYNC_REMOTE_H
#define GITCHAT_SYNC_REMOTE_H

#include <git2.h>

typedef struct {
	char *name;        /* stable name */
	char *url;         /* fetch URL, or absolute path */
	char *pushurl;     /* push URL (configured remotes), or NULL */
	int local;         /* a path */
	char *host;        /* network URLs: for ssh host keys */
	int port;
} sync_target;

int sync_target_resolve(sync_target *t, git_repository *repo, const char *arg);
void sync_target_dispose(sync_target *t);
/* The names of the configured remotes, in config order. */
int sync_remote_list_configured(git_strarray *out, git_repository *repo);

#endif
