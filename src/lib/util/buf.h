/* Internal: gitchat_buf helpers and the SSH wire encoding primitives. */
#ifndef GITCHAT_UTIL_BUF_H
#define GITCHAT_UTIL_BUF_H

#include <stdarg.h>
#include "gitchat/common.h"

int gitchat_buf_grow(gitchat_buf *buf, size_t extra);
int gitchat_buf_putc(gitchat_buf *buf, char c);
/* u32 big endian, and an SSH "string": u32 length then the bytes. */
int gitchat_buf_put_u32(gitchat_buf *buf, uint32_t v);
int gitchat_buf_put_string(gitchat_buf *buf, const void *data, size_t len);
/* Like dispose, but zeroes the memory first (for buffers that held secrets). */
void gitchat_buf_dispose_secure(gitchat_buf *buf);
/* Hands ownership of the bytes to the caller; the buffer is reset. */
char *gitchat_buf_detach(gitchat_buf *buf);
/* A malloc'd copy of n bytes and a NUL after them (unlike strndup, NULs
 * inside are copied too); NULL when out of memory. */
char *gitchat_memdup_str(const void *s, size_t n);

/* A bounded reader over untrusted bytes: every get fails cleanly at the end. */
typedef struct {
	const unsigned char *p;
	size_t left;
} gitchat_reader;

int gitchat_reader_u32(gitchat_reader *r, uint32_t *out);
int gitchat_reader_string(gitchat_reader *r, const unsigned char **out, size_t *len);
int gitchat_reader_bytes(gitchat_reader *r, const unsigned char **out, size_t len);
/* The next string must equal `expect` exactly. */
int gitchat_reader_expect(gitchat_reader *r, const char *expect);

#endif
