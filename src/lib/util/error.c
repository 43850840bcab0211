#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <git2.h>

#include "util/error.h"

/* One message per thread, like libgit2's git_error_last(). */
static _Thread_local char error_message[2048];
static _Thread_local gitchat_error last_error = { 0, "" };

/* What to do when the system said why: a full disk or a read-only store
 * is the user's to fix. Messages carry strerror()'s text (ours, and
 * libgit2's: the same function, so the match holds in any locale); the
 * advice is added once, at the end. */
static const char *what_to_do(const char *msg)
{
	if (strstr(msg, "; the disk is full") || strstr(msg, "; the store is on a read-only"))
		return "";
	if (strstr(msg, strerror(ENOSPC)) || strstr(msg, strerror(EDQUOT)))
		return "; the disk is full: free some space and try again (nothing was lost)";
	if (strstr(msg, strerror(EROFS)))
		return "; the store is on a read-only filesystem: reading works, writing needs it "
		       "mounted read-write";
	return "";
}

__attribute__((format(printf, 3, 0)))
static void error_vset(int code, const char *prefix, const char *fmt, va_list ap)
{
	char text[sizeof(error_message)];
	size_t n = 0;

	/* Format aside first: callers often wrap the previous message, which
	 * lives in error_message itself. */
	text[0] = '\0';
	if (fmt)
		vsnprintf(text, sizeof(text), fmt, ap);
	if (prefix) {
		n = strlen(text);
		snprintf(text + n, sizeof(text) - n, "%s", prefix);
	}
	n = strlen(text);
	snprintf(text + n, sizeof(text) - n, "%s", what_to_do(text));
	memcpy(error_message, text, sizeof(text));
	last_error.code = code;
	last_error.message = error_message;
}

int gitchat_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int gitchat_error_from_git(int git_code, const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	char detail[1024];
	int code = GITCHAT_EGIT;
	va_list ap;

	switch (git_code) {
	case GIT_ENOTFOUND: code = GITCHAT_ENOTFOUND; break;
	case GIT_EMODIFIED: case GIT_ELOCKED: code = GITCHAT_EMODIFIED; break;
	case GIT_EEXISTS: code = GITCHAT_EEXISTS; break;
	default: break;
	}
	snprintf(detail, sizeof(detail), ": %s",
	         ge && ge->message ? ge->message : "unknown libgit2 error");
	va_start(ap, fmt);
	error_vset(code, detail, fmt, ap);
	va_end(ap);
	return code;
}

int gitchat_error_oom(void)
{
	return gitchat_error_set(GITCHAT_ENOMEM, "out of memory");
}

const gitchat_error *gitchat_error_last(void)
{
	return &last_error;
}

void gitchat_error_clear(void)
{
	error_message[0] = '\0';
	last_error.code = 0;
	last_error.message = error_message;
}
