#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

int gitchat_fs_open_regular(int *fd, struct stat *st, const char *path, int flags, mode_t mode)
{
	struct stat own;
	int error = 0;

	if (!st)
		st = &own;
	if ((*fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, mode)) < 0) {
		if (errno == ENOENT)
			return gitchat_error_set(GITCHAT_ENOTFOUND, "'%s' does not exist", path);
		if (errno == ELOOP && (flags & O_NOFOLLOW))
			return gitchat_error_set(GITCHAT_EINVALID,
				"'%s' is a symbolic link, not a file; remove it", path);
		if (errno == ENXIO)     /* a FIFO opened for writing with no reader */
			return gitchat_error_set(GITCHAT_EINVALID,
				"'%s' is not a regular file; remove it", path);
		return gitchat_error_set(GITCHAT_EIO, "cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(*fd, st) < 0)
		error = gitchat_error_set(GITCHAT_EIO, "cannot read '%s': %s", path, strerror(errno));
	else if (!S_ISREG(st->st_mode))
		error = gitchat_error_set(GITCHAT_EINVALID, "'%s' is not a regular file; remove it", path);
	if (error < 0) {
		close(*fd);
		*fd = -1;
	}
	return error;
}

int gitchat_fs_read(gitchat_buf *out, const char *path, size_t max)
{
	int fd, error = 0;
	ssize_t n;

	if ((error = gitchat_fs_open_regular(&fd, NULL, path, O_RDONLY, 0)) < 0)
		return error;
	for (;;) {
		if (gitchat_buf_grow(out, 4096) < 0) {
			error = GITCHAT_ENOMEM;
			break;
		}
		n = read(fd, out->ptr + out->size, out->asize - out->size - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = gitchat_error_set(GITCHAT_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		out->size += (size_t)n;
		out->ptr[out->size] = '\0';
		if (out->size > max) {
			error = gitchat_error_set(GITCHAT_EINVALID,
				"'%s' is larger than %zu bytes", path, max);
			break;
		}
	}
	close(fd);
	return error;
}

int gitchat_fs_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;

	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int gitchat_fs_write_new(const char *path, const void *data, size_t len,
                         mode_t mode, int replace)
{
	char tmp[PATH_MAX];
	unsigned char rnd[6];
	char hex[13];
	struct stat st;
	int fd = -1, error = 0;

	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return gitchat_error_set(GITCHAT_EINVALID,
				"'%s' is a symbolic link; refusing to write a key through it", path);
		if (!replace)
			return gitchat_error_set(GITCHAT_EEXISTS,
				"'%s' already exists; use --force to replace it", path);
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%s", path, hex) >= sizeof(tmp))
		return gitchat_error_set(GITCHAT_EINVALID, "path '%s' is too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return gitchat_error_set(errno == ENOENT ? GITCHAT_ENOTFOUND : GITCHAT_EIO,
			"cannot create '%s': %s", tmp, strerror(errno));
	if (fchmod(fd, mode) < 0 || gitchat_fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		error = gitchat_error_set(GITCHAT_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		error = gitchat_error_set(GITCHAT_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (replace) {
		if (rename(tmp, path) < 0)
			error = gitchat_error_set(GITCHAT_EIO, "cannot replace '%s': %s", path, strerror(errno));
	} else if (link(tmp, path) < 0) {
		error = errno == EEXIST
			? gitchat_error_set(GITCHAT_EEXISTS, "'%s' already exists; use --force to replace it", path)
			: gitchat_error_set(GITCHAT_EIO, "cannot create '%s': %s", path, strerror(errno));
	}
done:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return error;
}

int gitchat_fs_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return gitchat_error_set(GITCHAT_EINVALID, "path '%s' is too long", path);
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return gitchat_error_set(GITCHAT_EIO, "cannot create directory '%s': %s",
			                         buf, strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}

int gitchat_fs_map(const unsigned char **data, size_t *size, int fd, size_t min,
                   const char *path)
{
	struct stat st;
	void *p;

	*data = NULL;
	*size = 0;
	if (fstat(fd, &st) < 0)
		return gitchat_error_set(GITCHAT_EIO, "cannot read '%s': %s", path, strerror(errno));
	if ((uint64_t)st.st_size < min || st.st_size == 0)
		return 1;
	if ((p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		return gitchat_error_set(GITCHAT_EIO, "cannot map '%s': %s", path, strerror(errno));
	*data = p;
	*size = (size_t)st.st_size;
	return 0;
}
