/*
 * Epochs: an age X25519 identity per epoch, sealed in the epoch commit's
 * tree (epoch.age) to every member's ssh-ed25519 key; history.age seals
 * earlier epochs' identities to a member added with history. Identities
 * stay in sodium_malloc memory (gitchat_age_*_identities).
 */
#include <stdlib.h>
#include <string.h>

#include "private/private_internal.h"
#include "util/buf.h"
#include "util/error.h"

void gitchat_epochs_dispose(gitchat_epochs *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->recipients[i]);
		gitchat_age_identity_free(e->ids[i]);
	}
	free(e->recipients);
	free(e->ids);
	memset(e, 0, sizeof(*e));
}

const gitchat_age_identity *gitchat_epochs_find(const gitchat_epochs *e, const char *recipient)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->recipients[i], recipient))
			return e->ids[i];
	return NULL;
}

/* Takes `id` (freed on failure); a duplicate is dropped. */
static int epochs_add(gitchat_epochs *e, gitchat_age_identity *id)
{
	gitchat_age_recipient *r = NULL;
	gitchat_buf s = GITCHAT_BUF_INIT;
	char **rv;
	gitchat_age_identity **iv;
	int error;

	if ((error = gitchat_age_identity_recipient(&r, id)) < 0 ||
	    (error = gitchat_age_recipient_format(&s, r)) < 0)
		goto fail;
	gitchat_age_recipient_free(r);
	r = NULL;
	if (gitchat_epochs_find(e, s.ptr)) {
		gitchat_buf_dispose(&s);
		gitchat_age_identity_free(id);
		return 0;
	}
	if (!(rv = realloc(e->recipients, (e->n + 1) * sizeof(*rv)))) {
		error = gitchat_error_oom();
		goto fail;
	}
	e->recipients = rv;
	if (!(iv = realloc(e->ids, (e->n + 1) * sizeof(*iv)))) {
		error = gitchat_error_oom();
		goto fail;
	}
	e->ids = iv;
	e->recipients[e->n] = gitchat_buf_detach(&s);
	e->ids[e->n++] = id;
	return 0;
fail:
	gitchat_age_recipient_free(r);
	gitchat_buf_dispose(&s);
	gitchat_age_identity_free(id);
	return error;
}

/* The blob `name` of commit `id`'s tree into `out`; GITCHAT_ENOTFOUND. */
static int tree_file(gitchat_buf *out, git_repository *repo, const git_oid *id, const char *name)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_blob *b = NULL;
	const git_tree_entry *te;
	int error = GITCHAT_ENOTFOUND;

	if (git_commit_lookup(&c, repo, id) < 0 || git_commit_tree(&t, c) < 0 ||
	    !(te = git_tree_entry_byname(t, name)) ||
	    git_blob_lookup(&b, repo, git_tree_entry_id(te)) < 0) {
		error = gitchat_error_set(GITCHAT_ENOTFOUND, "no %s in its tree", name);
		goto done;
	}
	/* An identity file is a few hundred bytes; a big one is hostile. */
	if (git_blob_rawsize(b) > 1024 * 1024) {
		error = gitchat_error_set(GITCHAT_EINVALID, "its %s is too large", name);
		goto done;
	}
	error = gitchat_buf_put(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b)) < 0 ?
	        gitchat_error_oom() : 0;
done:
	git_blob_free(b);
	git_tree_free(t);
	git_commit_free(c);
	return error;
}

static int open_file(gitchat_epochs *e, git_repository *repo, const git_oid *id, const char *name,
                     const gitchat_age_identity *mine, const char *expect)
{
	gitchat_buf file = GITCHAT_BUF_INIT;
	gitchat_age_identity **ids = NULL;
	size_t n = 0, i;
	int error;

	if ((error = tree_file(&file, repo, id, name)) < 0)
		goto done;
	if ((error = gitchat_age_decrypt_identities(&ids, &n, &mine, 1, file.ptr, file.size, 0)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		gitchat_age_identity *id_i = ids[i];
		ids[i] = NULL;
		if ((error = epochs_add(e, id_i)) < 0)
			goto done;
	}
	/* epoch.age must hold the epoch its commit names. */
	if (expect && !gitchat_epochs_find(e, expect))
		error = gitchat_error_set(GITCHAT_EINVALID, "its epoch.age does not hold epoch %s",
		                          expect);
done:
	gitchat_age_identities_free(ids, n);
	gitchat_buf_dispose(&file);
	return error;
}

static int member_of(const gitchat_member *v, size_t n, const gitchat_pubkey *k)
{
	for (size_t i = 0; i < n; i++)
		if (!gitchat_pubkey_cmp(&v[i].key, k))
			return 1;
	return 0;
}

int gitchat_epochs_load(gitchat_epochs *out, gitchat_store *store, const gitchat_members *m,
                        const gitchat_key *reader)
{
	gitchat_age_identity *mine = NULL;
	gitchat_members_info in;
	const gitchat_pubkey *me = gitchat_key_public(reader);
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = gitchat_age_identity_from_key(&mine, reader)) < 0)
		return error;
	for (size_t i = 0; i < gitchat_members_count(m); i++) {
		if ((error = gitchat_members_info_peek(&in, m, i)) < 0)
			goto done;
		if (!in.event || !in.counted)
			continue;
		if ((error = gitchat_members_info_get(&in, m, i)) < 0)
			goto done;
		/* A damaged epoch file is the room's problem, not the reader's:
		 * messages in that epoch are then reported as undecryptable. */
		if (in.epoch_file && in.epoch && member_of(in.after, in.after_count, me) &&
		    open_file(out, gitchat_store_repository(store), in.id, "epoch.age", mine,
		              in.epoch) == GITCHAT_ENOMEM) {
			error = GITCHAT_ENOMEM;
			goto done;
		}
		if (member_of(in.adds, in.add_count, me) &&
		    open_file(out, gitchat_store_repository(store), in.id, "history.age", mine,
		              NULL) == GITCHAT_ENOMEM) {
			error = GITCHAT_ENOMEM;
			goto done;
		}
		gitchat_error_clear();
	}
	error = 0;
done:
	gitchat_age_identity_free(mine);
	if (error < 0)
		gitchat_epochs_dispose(out);
	return error;
}

int gitchat_private_seal(gitchat_buf *out, const char *recipient, const void *plain, size_t len)
{
	gitchat_age_recipient *r = NULL;
	int error;

	if ((error = gitchat_age_recipient_parse(&r, recipient, strlen(recipient))) == 0)
		error = gitchat_age_encrypt(out, (const gitchat_age_recipient *const *)&r, 1, plain,
		                            len, GITCHAT_AGE_ARMOR);
	gitchat_age_recipient_free(r);
	return error;
}

static int seal_ids(gitchat_buf *out, const gitchat_pubkey *to, size_t nto,
                    const gitchat_age_identity *const *ids, size_t nids)
{
	gitchat_age_recipient **rs = calloc(nto + 1, sizeof(*rs));
	int error = 0;

	if (!rs)
		return gitchat_error_oom();
	for (size_t i = 0; i < nto && !error; i++)
		error = gitchat_age_recipient_from_pubkey(&rs[i], &to[i]);
	if (!error)
		error = gitchat_age_encrypt_identities(out, (const gitchat_age_recipient *const *)rs,
		                                       nto, ids, nids, GITCHAT_AGE_ARMOR);
	for (size_t i = 0; i < nto; i++)
		gitchat_age_recipient_free(rs[i]);
	free(rs);
	return error;
}

static int tree_add(git_treebuilder *tb, git_repository *repo, const char *name,
                    const gitchat_buf *data)
{
	git_oid blob;
	if (git_blob_create_from_buffer(&blob, repo, data->ptr, data->size) < 0 ||
	    git_treebuilder_insert(NULL, tb, name, &blob, GIT_FILEMODE_BLOB) < 0)
		return gitchat_error_from_git(-1, "cannot write %s", name);
	return 0;
}

int gitchat_epoch_new(gitchat_age_identity **id, char recipient[GITCHAT_MEMBERS_MAX_EPOCH + 1],
                      git_oid *tree, gitchat_store *store, const gitchat_member *members,
                      size_t n, const gitchat_epochs *history, const gitchat_pubkey *history_to)
{
	git_repository *repo = gitchat_store_repository(store);
	git_treebuilder *tb = NULL;
	gitchat_age_recipient *r = NULL;
	gitchat_pubkey *keys = calloc(n + 1, sizeof(*keys));
	gitchat_buf s = GITCHAT_BUF_INIT, file = GITCHAT_BUF_INIT, hist = GITCHAT_BUF_INIT;
	int error;

	*id = NULL;
	if (!keys)
		return gitchat_error_oom();
	for (size_t i = 0; i < n; i++)
		keys[i] = members[i].key;
	if ((error = gitchat_age_identity_generate(id)) < 0 ||
	    (error = gitchat_age_identity_recipient(&r, *id)) < 0 ||
	    (error = gitchat_age_recipient_format(&s, r)) < 0)
		goto done;
	if (s.size > GITCHAT_MEMBERS_MAX_EPOCH) {
		error = gitchat_error_set(GITCHAT_ERROR, "an epoch recipient is too long");
		goto done;
	}
	memcpy(recipient, s.ptr, s.size + 1);
	if ((error = seal_ids(&file, keys, n, (const gitchat_age_identity *const *)id, 1)) < 0)
		goto done;
	if (history_to && history && history->n &&
	    (error = seal_ids(&hist, history_to, 1,
	                      (const gitchat_age_identity *const *)history->ids, history->n)) < 0)
		goto done;
	if (git_treebuilder_new(&tb, repo, NULL) < 0) {
		error = gitchat_error_from_git(-1, "cannot build a tree");
		goto done;
	}
	if ((error = tree_add(tb, repo, "epoch.age", &file)) < 0 ||
	    (hist.size && (error = tree_add(tb, repo, "history.age", &hist)) < 0))
		goto done;
	if (git_treebuilder_write(tree, tb) < 0)
		error = gitchat_error_from_git(-1, "cannot write the epoch's tree");
done:
	if (error < 0) {
		gitchat_age_identity_free(*id);
		*id = NULL;
	}
	git_treebuilder_free(tb);
	gitchat_age_recipient_free(r);
	gitchat_buf_dispose(&s);
	gitchat_buf_dispose(&file);
	gitchat_buf_dispose(&hist);
	free(keys);
	return error;
}
