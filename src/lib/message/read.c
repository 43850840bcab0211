#include "message/commit.h"
#include "util/buf.h"
#include "util/error.h"

int gitchat_message_read(gitchat_message **out, gitchat_store *store, const git_oid *id,
                         const char *room)
{
	gitchat_buf raw = GITCHAT_BUF_INIT;
	gitchat_commit c;
	gitchat_pubkey signer;
	int error;

	*out = NULL;
	if ((error = gitchat_commit_read_raw(&raw, gitchat_store_repository(store), id)) < 0)
		goto done;
	if ((error = gitchat_commit_parse(&c, raw.ptr, raw.size)) < 0)
		goto done;
	if ((error = gitchat_commit_check(&signer, &c, gitchat_store_repository(store), room,
	                                  gitchat_store_limits(store))) == 0)
		error = gitchat_message_from_commit(out, id, &c, &signer);
	gitchat_commit_dispose(&c);
done:
	gitchat_buf_dispose(&raw);
	return error;
}

int gitchat_commit_signer(gitchat_pubkey *out, gitchat_store *store, const git_oid *id)
{
	gitchat_buf raw = GITCHAT_BUF_INIT;
	gitchat_commit c;
	int error;

	if ((error = gitchat_commit_read_raw(&raw, gitchat_store_repository(store), id)) == 0 &&
	    (error = gitchat_commit_parse(&c, raw.ptr, raw.size)) == 0) {
		error = gitchat_commit_key(out, &c);
		gitchat_commit_dispose(&c);
	}
	gitchat_buf_dispose(&raw);
	return error;
}
