/* Internal: careful file reading and writing. */
#ifndef GITCHAT_UTIL_FS_H
#define GITCHAT_UTIL_FS_H

#include <sys/types.h>
#include "gitchat/common.h"

#include <sys/stat.h>

/* Opens a file of local state (or a key) without ever blocking, for every
 * reader and appender of such files: O_NONBLOCK, so that a FIFO at `path`
 * cannot hang the open, then fstat, refusing anything but a regular file.
 * `flags` is O_RDONLY, O_WRONLY or O_RDWR, with O_APPEND, O_CREAT (then
 * `mode`) or O_NOFOLLOW as needed. *st may be NULL. 0; GITCHAT_ENOTFOUND
 * when there is nothing at `path`; GITCHAT_EINVALID when it is not a
 * regular file (or, with O_NOFOLLOW, a symbolic link); GITCHAT_EIO. */
int gitchat_fs_open_regular(int *fd, struct stat *st, const char *path, int flags, mode_t mode);

/* Maps the whole file open on `fd` read-only (the caches' readers): 0 with
 * *data and *size set (munmap them); 1, nothing mapped, when the file is
 * shorter than `min` bytes (the caller says how that is damage);
 * GITCHAT_EIO naming `path`. */
int gitchat_fs_map(const unsigned char **data, size_t *size, int fd, size_t min,
                   const char *path);

/* Reads a whole regular file of at most `max` bytes (GITCHAT_EINVALID
 * beyond, or when it is not a regular file). Follows a symbolic link: keys
 * and known_hosts are often links into a dotfiles directory. */
int gitchat_fs_read(gitchat_buf *out, const char *path, size_t max);

/* Writes a file atomically: a temporary created with O_EXCL|O_NOFOLLOW and
 * `mode`, fsynced, then linked into place (refusing an existing file) or,
 * with `replace`, renamed over it. Never follows a symlink at `path`. */
int gitchat_fs_write_new(const char *path, const void *data, size_t len,
                         mode_t mode, int replace);

/* Writes all `len` bytes (again after EINTR and short writes); 0, or -1
 * with errno. */
int gitchat_fs_write_all(int fd, const void *data, size_t len);

/* mkdir -p with mode 0700 for each created component. */
int gitchat_fs_mkdir_p(const char *path, mode_t mode);

#endif
