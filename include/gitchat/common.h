/*
 * Common definitions of libgitchat: export macro, error codes, buffers.
 *
 * Convention (as libgit2): every function that can fail returns 0 on
 * success or one of the negative GITCHAT_E* codes below; the message that
 * explains the failure is then in gitchat_error_last(). Out-parameters come
 * first and are owned by the caller, who frees them with the type's _free
 * (or gitchat_buf_dispose for buffers). The library never prints and never
 * exits.
 */
#ifndef GITCHAT_COMMON_H
#define GITCHAT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(GITCHAT_BUILDING_LIBRARY)
# define GITCHAT_EXTERN(type) __attribute__((visibility("default"))) type
#else
# define GITCHAT_EXTERN(type) extern type
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	GITCHAT_OK = 0,
	GITCHAT_ERROR = -1,        /* generic failure */
	GITCHAT_ENOTFOUND = -3,    /* a file, key, ref, room or object is missing */
	GITCHAT_EEXISTS = -4,      /* refusing to overwrite */
	GITCHAT_EINVALID = -5,     /* bad input: name, text, option, file format */
	GITCHAT_EVERIFY = -6,      /* a signature or a validity rule failed */
	GITCHAT_EMODIFIED = -7,    /* a compare-and-swap lost the race */
	GITCHAT_ENOMEM = -8,       /* allocation failure */
	GITCHAT_EIO = -9,          /* operating-system level failure */
	GITCHAT_EUNSUPPORTED = -10,/* valid but not supported (e.g. encrypted key) */
	GITCHAT_EGIT = -11,        /* libgit2 failed; its message is copied */
	GITCHAT_ENETWORK = -12     /* a remote could not be reached or failed */
} gitchat_error_code;

typedef struct {
	int code;            /* the gitchat_error_code of the last failure */
	const char *message; /* what, where, why, and what to do next */
} gitchat_error;

/* The last error of this thread; never NULL (message "" when none). */
GITCHAT_EXTERN(const gitchat_error *) gitchat_error_last(void);
GITCHAT_EXTERN(void) gitchat_error_clear(void);

/* A growable byte buffer, always NUL-terminated when ptr != NULL. */
typedef struct {
	char *ptr;
	size_t size;
	size_t asize;
} gitchat_buf;

#define GITCHAT_BUF_INIT { NULL, 0, 0 }

GITCHAT_EXTERN(void) gitchat_buf_dispose(gitchat_buf *buf);
GITCHAT_EXTERN(int) gitchat_buf_put(gitchat_buf *buf, const void *data, size_t len);
GITCHAT_EXTERN(int) gitchat_buf_puts(gitchat_buf *buf, const char *s);
GITCHAT_EXTERN(int) gitchat_buf_printf(gitchat_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
GITCHAT_EXTERN(void) gitchat_buf_clear(gitchat_buf *buf);

/* Initialise libgit2 and libsodium; call once before anything else. */
GITCHAT_EXTERN(int) gitchat_init(void);
GITCHAT_EXTERN(void) gitchat_shutdown(void);

/* Splits `time` into calendar fields, local (1) or UTC (0), every result
 * checked: a time outside the years 0000..9999 (which no valid message
 * has: they are within 1970..9999) is clamped to them and GITCHAT_EINVALID
 * returned, *out filled all the same. */
struct tm;
GITCHAT_EXTERN(int) gitchat_time_split(struct tm *out, int64_t time, int local);

#ifdef __cplusplus
}
#endif
#endif
