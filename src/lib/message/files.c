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

/* The blob of files/<index+1>, its size checked against the header (for
 * a public message: a private one's blob is an age file, checked once
 * decoded). */
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
	else if (!msg->file_source &&
	         (uint64_t)git_blob_rawsize(*out) != msg->files[index].size)
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

/* The bytes of file `index`: the blob's, or what msg->file_source makes
 * of it, whole and of the size the message says, before anything is
 * created (a file that lies is reported, not saved). */
static int file_bytes(const void **data, size_t *len, gitchat_buf *decoded, git_blob *blob,
                      const gitchat_message *msg, size_t index)
{
	const gitchat_file_source *src = msg->file_source;

	*data = git_blob_rawcontent(blob);
	*len = (size_t)git_blob_rawsize(blob);
	if (!src)
		return 0;
	if (src->decode(decoded, msg, index, *data, *len, src->payload) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "files/%zu of this message does not "
		                         "decrypt: %s", index + 1, gitchat_error_last()->message);
	if ((uint64_t)decoded->size != msg->files[index].size)
		return gitchat_error_set(GITCHAT_EVERIFY, "files/%zu of this message is %zu bytes "
		                         "decrypted, its chat-file header says %llu; nothing saved",
		                         index + 1, decoded->size,
		                         (unsigned long long)msg->files[index].size);
	*data = decoded->ptr;
	*len = decoded->size;
	return 0;
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
	gitchat_buf name = GITCHAT_BUF_INIT, decoded = GITCHAT_BUF_INIT;
	git_blob *blob = NULL;
	const void *data;
	size_t len;
	int dirfd = -1, fd = -1, error;

	if (!dir)
		dir = ".";
	if (!msg || index >= msg->file_count)
		return gitchat_error_set(GITCHAT_EINVALID, "the message has no file %zu", index + 1);
	if ((error = file_blob(&blob, gitchat_store_repository(store), msg, index)) < 0 ||
	    (error = file_bytes(&data, &len, &decoded, blob, msg, index)) < 0)
		goto done;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		error = gitchat_error_set(errno == ENOENT ? GITCHAT_ENOTFOUND : GITCHAT_EIO,
			"cannot open the directory '%s': %s", dir, strerror(errno));
		goto done;
	}
	if ((error = create_free(&fd, &name, dirfd, msg->files[index].name, dir)) < 0)
		goto done;
	if (gitchat_fs_write_all(fd, data, len) < 0 ||
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
	gitchat_buf_dispose_secure(&decoded);
	gitchat_buf_dispose(&name);
	return error;
}
