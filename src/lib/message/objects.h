/*
 * Internal: the one reader of commit objects. gitchat_commit_read_raw
 * (message/commit.h) reads one through libgit2, with its hash check; the
 * merger reads every commit of a room once to build its index, and `log`
 * every message once to print it, from commits verified before: for them,
 * going to the object database's backends directly skips libgit2's object
 * cache, which would otherwise keep up to 256 MiB of commits nobody reads
 * twice. gitchat_commit_read_cached is the third way, for a batch that
 * libgit2's own walks read too (sync: its ancestry checks and its count
 * of the new commits, git_graph_* and git_revwalk): through libgit2's
 * object cache, so that each new commit is inflated once; the hash is
 * checked there as well. All end in the same type check.
 */
#ifndef GITCHAT_MESSAGE_OBJECTS_H
#define GITCHAT_MESSAGE_OBJECTS_H

#include <git2.h>
#include "gitchat/common.h"

typedef struct {
	git_odb *odb;
	git_odb_backend *backends[16];
	size_t nbackends;
	int check_hash;   /* hash what a backend returns (gitchat_commit_read_raw does) */
	/* Through libgit2's object cache first (git_odb_read, which hashes
	 * what it inflates): for commits this process has just read. */
	int cached;
} gitchat_objects;

int gitchat_objects_open(gitchat_objects *o, git_repository *repo);
void gitchat_objects_close(gitchat_objects *o);

/* The raw bytes of commit `id` into `out`. GITCHAT_ENOTFOUND when it is
 * missing, GITCHAT_EINVALID when it is not a commit, with a message. */
int gitchat_objects_read_commit(gitchat_buf *out, gitchat_objects *o, const git_oid *id);

/* Is `id` stored? Asked of the backends, not of libgit2's object cache,
 * which remembers objects read before even when their files are gone. */
int gitchat_objects_exists(gitchat_objects *o, const git_oid *id);

#endif
