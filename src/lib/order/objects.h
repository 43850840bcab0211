/*
 * Internal: reading many commits fast. The merger reads every commit of a
 * room once to build its index, and `log` reads every message once to
 * print it: going to the object database's backends directly skips
 * libgit2's object cache, which would otherwise keep up to 256 MiB of
 * commits nobody reads twice.
 */
#ifndef GITCHAT_ORDER_OBJECTS_H
#define GITCHAT_ORDER_OBJECTS_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/key.h"

typedef struct {
	git_odb *odb;
	git_odb_backend *backends[16];
	size_t nbackends;
} gitchat_objects;

int gitchat_objects_open(gitchat_objects *o, git_repository *repo);
void gitchat_objects_close(gitchat_objects *o);

/* The raw bytes of commit `id` into `out`. GITCHAT_ENOTFOUND when it is
 * missing, GITCHAT_EINVALID when it is not a commit, with a message. */
int gitchat_objects_read_commit(gitchat_buf *out, gitchat_objects *o, const git_oid *id);

/* The public key an SSHSIG armor (as gitchat_commit_parse unfolds the
 * gpgsig header) carries, without checking the signature: only for
 * commits already known to be valid. GITCHAT_EINVALID when there is none. */
int gitchat_armor_signer(gitchat_pubkey *out, const char *armor, size_t len);

#endif
