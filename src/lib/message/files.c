/*
 * Attachments on the reading side: the name rule as an API, and saving a
 * message's file into a directory without ever leaving it or replacing
 * anything (docs/attachments.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gitchat/message.h"
#include "gitchat/store.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/filename.h"
#include "util/fs.h"

/* Variants tried after the name itself before giving up. */
#define SAVE_TRIES 1000

int gitchat_file_name_check(const char *name, size_t len)
{
	return gitchat_filename_check(name, len);
}

int gitchat_file_name_quote(gitchat_buf *out, const char *name)
{
	return gitchat_filename_quote(out, name, strlen(name), 64);
}

int gitchat_file_safe_name(gitchat_buf *out, const char *name, unsigned k)
{
	return gitchat_filename_safe(out, name, strlen(name), k);
}

/* The blob of files/<index+1>, its size checked against the header. */
static int file_blob(git_blob **out, git_repository *repo, const gitchat_message *msg,
                     size_t index)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	char path[32];
	int error;

	*out = NULL;
	snprintf(path, sizeof(path), "files/%zu", index + 1);
	if (git_tree_lookup(&tree, repo, &msg->tree) < 0 ||
	    git_tree_entry_bypath(&e, tree, path) < 0 ||
	    git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(out, repo, git_tree_entry_id(e)) < 0)
		error = gitchat_error_set(GITCHAT_ENOTFOUND,
			"the store does not hold %s of this message; run 'git chat sync'", path);
	else if ((uint64_t)git_blob_rawsize(*out) != msg->files[index].size)
		error = gitchat_error_set(GITCHAT_EVERIFY,
			"%s is not the size its chat-file header says", path);
	else
		error = 0;
	if (error < 0) {
		git_blob_free(*out);
		*out = NULL;
	}
	git_tree_entry_free(e);
	git_tree_free(tree);
	return error;
}

/* Creates the first free name among the safe name and its variants in
 * the directory `dirfd`: openat with a name holding no '/' cannot leave
 * the directory, O_EXCL never reuses an existing file, O_NOFOLLOW never a
 * link. The name taken is appended to `name`. */
static int create_free(int *fd, gitchat_buf *name, int dirfd, const char *want,
                       const char *dir)
{
	for (unsigned k = 0; k <= SAVE_TRIES; k++) {
		gitchat_buf_clear(name);
		if (gitchat_filename_safe(name, want, strlen(want), k) < 0)
			return GITCHAT_ENOMEM;
		*fd = openat(dirfd, name->ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		             0666);
		if (*fd >= 0)
			return 0;
		if (errno != EEXIST && errno != ELOOP)
			return gitchat_error_set(GITCHAT_EIO, "cannot create '%s' in '%s': %s", name->ptr,
			                         dir, strerror(errno));
	}
	return gitchat_error_set(GITCHAT_EEXISTS,
		"'%s' and %u variants of it exist in '%s'; save into another directory (-o)",
		name->ptr, SAVE_TRIES, dir);
}

int gitchat_file_save(gitchat_buf *path, gitchat_store *store, const gitchat_message *msg,
                      size_t index, const char *dir)
{
	gitchat_buf name = GITCHAT_BUF_INIT;
	git_blob *blob = NULL;
	int dirfd = -1, fd = -1, error;

	if (!dir)
		dir = ".";
	if (!msg || index >= msg->file_count)
		return gitchat_error_set(GITCHAT_EINVALID, "the message has no file %zu", index + 1);
	if ((error = file_blob(&blob, gitchat_store_repository(store), msg, index)) < 0)
		goto done;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		error = gitchat_error_set(errno == ENOENT ? GITCHAT_ENOTFOUND : GITCHAT_EIO,
			"cannot open the directory '%s': %s", dir, strerror(errno));
		goto done;
	}
	if ((error = create_free(&fd, &name, dirfd, msg->files[index].name, dir)) < 0)
		goto done;
	if (gitchat_fs_write_all(fd, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0 ||
	    close(fd) < 0) {
		error = gitchat_error_set(GITCHAT_EIO, "cannot write '%s/%s': %s", dir, name.ptr,
		                          strerror(errno));
		fd = -1;
		unlinkat(dirfd, name.ptr, 0);   /* ours: created above */
		goto done;
	}
	fd = -1;
	if (gitchat_buf_printf(path, "%s%s%s", dir,
	                       dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name.ptr) < 0)
		error = GITCHAT_ENOMEM;
done:
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	git_blob_free(blob);
	gitchat_buf_dispose(&name);
	return error;
}
