#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "send/files.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/filename.h"

#define CHUNK (64 * 1024)

typedef struct {
	int fd;
	const char *path;     /* shown quoted: a user's path can hold anything */
	const char *name;
	size_t name_len;
	uint64_t size;
	git_oid blob;
	gitchat_buf shown;    /* path, escaped for messages */
} send_file;

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Opens and checks every file before anything is written. */
static int open_all(send_file *f, const gitchat_attachment *files, size_t count,
                    const gitchat_limits *limits)
{
	uint64_t total = 0;
	struct stat st;
	size_t i, j;

	for (i = 0; i < count; i++) {
		if (!files[i].path)
			return gitchat_error_set(GITCHAT_EINVALID, "gitchat_send: file %zu has no path",
			                         i + 1);
		f[i].path = files[i].path;
		if (gitchat_filename_quote(&f[i].shown, f[i].path, strlen(f[i].path), 0) < 0)
			return gitchat_error_oom();
		f[i].name = files[i].name ? files[i].name : base_name(files[i].path);
		f[i].name_len = strlen(f[i].name);
		/* O_NONBLOCK: a FIFO given by mistake must not hang the open. */
		if ((f[i].fd = open(f[i].path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
			return gitchat_error_set(errno == ENOENT ? GITCHAT_ENOTFOUND : GITCHAT_EIO,
				"cannot open '%s': %s", f[i].shown.ptr, strerror(errno));
		if (fstat(f[i].fd, &st) < 0 || !S_ISREG(st.st_mode))
			return gitchat_error_set(GITCHAT_EINVALID,
				"'%s' is not a regular file; attach files, not directories or devices",
				f[i].shown.ptr);
		if (gitchat_filename_check(f[i].name, f[i].name_len) < 0)
			return gitchat_error_set(GITCHAT_EINVALID, "cannot attach '%s': %s; rename it",
			                         f[i].shown.ptr, gitchat_error_last()->message);
		for (j = 0; j < i; j++)
			if (f[j].name_len == f[i].name_len && !memcmp(f[j].name, f[i].name, f[i].name_len))
				return gitchat_error_set(GITCHAT_EINVALID,
					"'%s' and '%s' have the same name; a message holds each name once",
					f[j].shown.ptr, f[i].shown.ptr);
		f[i].size = (uint64_t)st.st_size;
		if (f[i].size > limits->max_file)
			return gitchat_error_set(GITCHAT_EINVALID,
				"'%s' is %llu bytes, over the limit of %zu per file (git config "
				"chat.maxFileBytes); nothing was sent", f[i].shown.ptr,
				(unsigned long long)f[i].size, limits->max_file);
		if ((total += f[i].size) > limits->max_tree)
			return gitchat_error_set(GITCHAT_EINVALID,
				"the files are %llu bytes in all, over the limit of %zu per message (git "
				"config chat.maxTreeBytes); nothing was sent", (unsigned long long)total,
				limits->max_tree);
	}
	return 0;
}

/* Streams one file into a blob of exactly the size checked. */
static int write_blob(send_file *f, git_odb *odb)
{
	git_odb_stream *s = NULL;
	char *buf = malloc(CHUNK);
	uint64_t left = f->size;
	ssize_t n;
	int error;

	if (!buf)
		return gitchat_error_oom();
	/* Blocking reads from here: it is a regular file. */
	if (fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
	    (error = git_odb_open_wstream(&s, odb, (git_object_size_t)f->size, GIT_OBJECT_BLOB)) < 0) {
		error = gitchat_error_from_git(-1, "cannot store '%s'", f->shown.ptr);
		goto done;
	}
	while (left) {
		n = read(f->fd, buf, left < CHUNK ? (size_t)left : CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error = gitchat_error_set(GITCHAT_EIO, n < 0 ? "cannot read '%s': %s"
			                          : "'%s' became shorter while it was read%s", f->shown.ptr,
			                          n < 0 ? strerror(errno) : "; send it again");
			goto done;
		}
		if ((error = git_odb_stream_write(s, buf, (size_t)n)) < 0) {
			error = gitchat_error_from_git(error, "cannot store '%s'", f->shown.ptr);
			goto done;
		}
		left -= (uint64_t)n;
	}
	while ((n = read(f->fd, buf, 1)) < 0 && errno == EINTR)
		;
	if (n != 0) {
		error = gitchat_error_set(GITCHAT_EIO, "'%s' changed while it was read; send it again",
		                          f->shown.ptr);
		goto done;
	}
	if ((error = git_odb_stream_finalize_write(&f->blob, s)) < 0)
		error = gitchat_error_from_git(error, "cannot store '%s'", f->shown.ptr);
done:
	git_odb_stream_free(s);
	free(buf);
	return error;
}

/* Reads the whole file, of exactly the size checked, into `plain`. */
static int read_whole(gitchat_buf *plain, send_file *f)
{
	size_t left = (size_t)f->size;
	ssize_t n;
	char byte;

	if (fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
	    gitchat_buf_grow(plain, left + 1) < 0)
		return gitchat_error_set(GITCHAT_EIO, "cannot read '%s'", f->shown.ptr);
	while (left) {
		n = read(f->fd, plain->ptr + plain->size, left < CHUNK ? left : CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return gitchat_error_set(GITCHAT_EIO, n < 0 ? "cannot read '%s': %s"
			                         : "'%s' became shorter while it was read%s", f->shown.ptr,
			                         n < 0 ? strerror(errno) : "; send it again");
		plain->size += (size_t)n;
		left -= (size_t)n;
	}
	while ((n = read(f->fd, &byte, 1)) < 0 && errno == EINTR)
		;
	if (n != 0)
		return gitchat_error_set(GITCHAT_EIO, "'%s' changed while it was read; send it again",
		                         f->shown.ptr);
	return 0;
}

/* The blob of the file sealed by `seal` (a private room's age file). The
 * plaintext is read whole (within chat.maxFileBytes) and wiped. */
static int write_sealed(send_file *f, git_odb *odb, gitchat_send_seal_cb seal, void *payload)
{
	gitchat_buf plain = GITCHAT_BUF_INIT, sealed = GITCHAT_BUF_INIT;
	int error;

	if ((error = read_whole(&plain, f)) < 0 ||
	    (error = seal(&sealed, plain.ptr, plain.size, payload)) < 0)
		goto done;
	if ((error = git_odb_write(&f->blob, odb, sealed.ptr, sealed.size, GIT_OBJECT_BLOB)) < 0)
		error = gitchat_error_from_git(error, "cannot store '%s'", f->shown.ptr);
done:
	gitchat_buf_dispose_secure(&plain);
	gitchat_buf_dispose(&sealed);
	return error;
}

/* files/1..N, then the root tree holding only `files`. */
static int write_trees(git_oid *tree, git_repository *repo, const send_file *f, size_t count)
{
	git_treebuilder *sub = NULL, *root = NULL;
	git_oid sub_id;
	char n[24];
	size_t i;
	int error;

	if ((error = git_treebuilder_new(&sub, repo, NULL)) < 0)
		goto done;
	for (i = 0; i < count; i++) {
		snprintf(n, sizeof(n), "%zu", i + 1);
		if ((error = git_treebuilder_insert(NULL, sub, n, &f[i].blob, GIT_FILEMODE_BLOB)) < 0)
			goto done;
	}
	if ((error = git_treebuilder_write(&sub_id, sub)) < 0 ||
	    (error = git_treebuilder_new(&root, repo, NULL)) < 0 ||
	    (error = git_treebuilder_insert(NULL, root, "files", &sub_id, GIT_FILEMODE_TREE)) < 0)
		goto done;
	error = git_treebuilder_write(tree, root);
done:
	if (error < 0)
		error = gitchat_error_from_git(error, "cannot write the tree of the files");
	git_treebuilder_free(sub);
	git_treebuilder_free(root);
	return error;
}

int gitchat_send_files(git_oid *tree, gitchat_buf *headers, gitchat_store *store,
                       const gitchat_attachment *files, size_t count)
{
	return gitchat_send_files_sealed(tree, headers, store, files, count, NULL, NULL);
}

int gitchat_send_files_check(gitchat_store *store, const gitchat_attachment *files, size_t count)
{
	return gitchat_send_files_sealed(NULL, NULL, store, files, count, NULL, NULL);
}

int gitchat_send_files_sealed(git_oid *tree, gitchat_buf *headers, gitchat_store *store,
                              const gitchat_attachment *files, size_t count,
                              gitchat_send_seal_cb seal, void *payload)
{
	send_file *f;
	git_odb *odb = NULL;
	size_t i;
	int error;

	if (count > GITCHAT_MAX_FILES)
		return gitchat_error_set(GITCHAT_EINVALID,
			"%zu files are more than a message holds (%d); send them in several messages",
			count, GITCHAT_MAX_FILES);
	if (!(f = calloc(count, sizeof(*f))))
		return gitchat_error_oom();
	for (i = 0; i < count; i++)
		f[i].fd = -1;
	if ((error = open_all(f, files, count, gitchat_store_limits(store))) < 0 || !tree)
		goto done;
	if ((error = git_repository_odb(&odb, gitchat_store_repository(store))) < 0) {
		error = gitchat_error_from_git(error, "cannot open the object database");
		goto done;
	}
	for (i = 0; i < count; i++)
		if ((error = seal ? write_sealed(&f[i], odb, seal, payload)
		                  : write_blob(&f[i], odb)) < 0)
			goto done;
	if ((error = write_trees(tree, gitchat_store_repository(store), f, count)) < 0)
		goto done;
	for (i = 0; i < count; i++)
		if (gitchat_buf_printf(headers, "chat-file %zu %llu ", i + 1,
		                       (unsigned long long)f[i].size) < 0 ||
		    gitchat_buf_put(headers, f[i].name, f[i].name_len) < 0 ||
		    gitchat_buf_putc(headers, '\n') < 0) {
			error = GITCHAT_ENOMEM;
			goto done;
		}
done:
	for (i = 0; i < count; i++) {
		if (f[i].fd >= 0)
			close(f[i].fd);
		gitchat_buf_dispose(&f[i].shown);
	}
	git_odb_free(odb);
	free(f);
	return error;
}
