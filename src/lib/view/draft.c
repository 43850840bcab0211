/* The composer's draft of each room: local state, never pushed, written
 * atomically so that a crash or a kill at any moment leaves either the
 * previous draft or the new one. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gitchat/view.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

/* A draft may be longer than a message (the send refuses it then, and the
 * text stays here); beyond this it is not a draft. */
#define DRAFT_MAX (1024 * 1024)

static int draft_path(gitchat_buf *out, gitchat_store *store, const char *room, int dir_only)
{
	const char *gitdir = git_repository_path(gitchat_store_repository(store));
	int error;

	if ((error = gitchat_room_validate(room)) < 0)
		return error;
	if (dir_only)
		return gitchat_buf_printf(out, "%schat/drafts", gitdir);
	return gitchat_buf_printf(out, "%schat/drafts/%s", gitdir, room);
}

int gitchat_draft_save(gitchat_store *store, const char *room, const char *text, size_t len)
{
	gitchat_buf path = GITCHAT_BUF_INIT, dir = GITCHAT_BUF_INIT;
	int error;

	if (len > DRAFT_MAX)
		return gitchat_error_set(GITCHAT_EINVALID, "a draft is at most %d bytes", DRAFT_MAX);
	if ((error = draft_path(&path, store, room, 0)) < 0 ||
	    (error = draft_path(&dir, store, room, 1)) < 0)
		goto done;
	if (!len) {
		if (unlink(path.ptr) < 0 && errno != ENOENT)
			error = gitchat_error_set(GITCHAT_EIO, "cannot remove the draft '%s': %s",
			                          path.ptr, strerror(errno));
		goto done;
	}
	if ((error = gitchat_fs_mkdir_p(dir.ptr, 0700)) < 0)
		goto done;
	error = gitchat_fs_write_new(path.ptr, text, len, 0600, 1);
done:
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&dir);
	return error;
}

int gitchat_draft_load(gitchat_buf *out, gitchat_store *store, const char *room)
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	int error;

	gitchat_buf_clear(out);
	if ((error = draft_path(&path, store, room, 0)) < 0)
		goto done;
	error = gitchat_fs_read(out, path.ptr, DRAFT_MAX);
	if (error == GITCHAT_ENOTFOUND) {
		gitchat_error_clear();
		gitchat_buf_clear(out);
		error = 0;
	}
done:
	gitchat_buf_dispose(&path);
	return error;
}
