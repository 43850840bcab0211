/* Internal: setting the thread's last error. */
#ifndef GITCHAT_UTIL_ERROR_H
#define GITCHAT_UTIL_ERROR_H

#include "gitchat/common.h"

/* Record `code` with a printf-style message and return `code`. */
int gitchat_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record libgit2's last error, prefixed by `fmt`; returns GITCHAT_EGIT,
 * or GITCHAT_ENOTFOUND / GITCHAT_EMODIFIED / GITCHAT_EEXISTS where libgit2's
 * code says so. */
int gitchat_error_from_git(int git_code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Allocation failure. */
int gitchat_error_oom(void);

#define GITCHAT_ALLOC_CHECK(p) do { if (!(p)) return gitchat_error_oom(); } while (0)

#endif
