/* Stale ref locks of killed writers: reflock.h says how they are told. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/reflock.h"
#include "util/buf.h"
#include "util/error.h"

static int open_flock(int *fd, gitchat_store *store)
{
	const char *gitdir = git_repository_path(gitchat_store_repository(store));
	gitchat_buf path = GITCHAT_BUF_INIT;
	int error = 0;

	*fd = -1;
	if (gitchat_buf_printf(&path, "%schat", gitdir) < 0)
		return GITCHAT_ENOMEM;
	if (mkdir(path.ptr, 0777) < 0 && errno != EEXIST)
		goto done;   /* read-only: no ref can be written either */
	if (gitchat_buf_puts(&path, "/refs.lock") < 0) {
		error = GITCHAT_ENOMEM;
		goto done;
	}
	*fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0666);
done:
	gitchat_buf_dispose(&path);
	return error;
}

int gitchat_store_refs_hold(int *fd, gitchat_store *store)
{
	int error = open_flock(fd, store);

	if (error < 0 || *fd < 0)
		return error;
	while (flock(*fd, LOCK_SH) < 0)
		if (errno != EINTR) {
			close(*fd);
			*fd = -1;
			break;
		}
	return 0;
}

void gitchat_store_refs_release(int fd)
{
	if (fd >= 0)
		close(fd);   /* drops the flock */
}

int gitchat_store_ref_unstick(gitchat_store *store, const char *refname)
{
	const char *gitdir = git_repository_path(gitchat_store_repository(store));
	gitchat_buf lock = GITCHAT_BUF_INIT;
	struct stat st;
	int fd, error = 0;

	if ((error = open_flock(&fd, store)) < 0 || fd < 0)
		return error;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto done;   /* a git-chat is writing refs: its lock may be live */
	if (gitchat_buf_printf(&lock, "%s%s.lock", gitdir, refname) < 0) {
		error = GITCHAT_ENOMEM;
		goto done;
	}
	if (lstat(lock.ptr, &st) == 0 && S_ISREG(st.st_mode)) {
		if (unlink(lock.ptr) < 0 && errno != ENOENT)
			error = gitchat_error_set(GITCHAT_EIO,
				"cannot remove '%s', left by a git-chat that was killed while writing: %s; "
				"remove it by hand", lock.ptr, strerror(errno));
		else
			error = 1;
	}
done:
	gitchat_buf_dispose(&lock);
	close(fd);
	return error;
}
