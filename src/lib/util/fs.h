/* Internal: careful file reading and writing. */
#ifndef GITCHAT_UTIL_FS_H
#define GITCHAT_UTIL_FS_H

#include <sys/types.h>
#include "gitchat/common.h"

/* Reads a whole file of at most `max` bytes (GITCHAT_EINVALID beyond). */
int gitchat_fs_read(gitchat_buf *out, const char *path, size_t max);

/* Writes a file atomically: a temporary created with O_EXCL|O_NOFOLLOW and
 * `mode`, fsynced, then linked into place (refusing an existing file) or,
 * with `replace`, renamed over it. Never follows a symlink at `path`. */
int gitchat_fs_write_new(const char *path, const void *data, size_t len,
                         mode_t mode, int replace);

/* mkdir -p with mode 0700 for each created component. */
int gitchat_fs_mkdir_p(const char *path, mode_t mode);

#endif
