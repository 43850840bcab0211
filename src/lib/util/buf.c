#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "util/buf.h"
#include "util/error.h"

int gitchat_buf_grow(gitchat_buf *buf, size_t extra)
{
	size_t need, asize;
	char *p;

	if (extra > SIZE_MAX - buf->size - 1)
		return gitchat_error_oom();
	need = buf->size + extra + 1;
	if (need <= buf->asize)
		return 0;
	asize = buf->asize ? buf->asize : 64;
	while (asize < need)
		asize = asize > SIZE_MAX / 2 ? need : asize * 2;
	if (!(p = realloc(buf->ptr, asize)))
		return gitchat_error_oom();
	buf->ptr = p;
	buf->asize = asize;
	return 0;
}

int gitchat_buf_put(gitchat_buf *buf, const void *data, size_t len)
{
	if (gitchat_buf_grow(buf, len) < 0)
		return GITCHAT_ENOMEM;
	if (len)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int gitchat_buf_puts(gitchat_buf *buf, const char *s)
{
	return gitchat_buf_put(buf, s, strlen(s));
}

int gitchat_buf_putc(gitchat_buf *buf, char c)
{
	return gitchat_buf_put(buf, &c, 1);
}

int gitchat_buf_printf(gitchat_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return gitchat_error_set(GITCHAT_ERROR, "cannot format text");
	if (gitchat_buf_grow(buf, (size_t)n) < 0)
		return GITCHAT_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->size += (size_t)n;
	return 0;
}

int gitchat_buf_put_u32(gitchat_buf *buf, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
	return gitchat_buf_put(buf, b, 4);
}

int gitchat_buf_put_string(gitchat_buf *buf, const void *data, size_t len)
{
	if (len > UINT32_MAX)
		return gitchat_error_set(GITCHAT_EINVALID, "string too long for the SSH wire format");
	if (gitchat_buf_put_u32(buf, (uint32_t)len) < 0)
		return GITCHAT_ENOMEM;
	return gitchat_buf_put(buf, data, len);
}

void gitchat_buf_clear(gitchat_buf *buf)
{
	buf->size = 0;
	if (buf->ptr)
		buf->ptr[0] = '\0';
}

void gitchat_buf_dispose(gitchat_buf *buf)
{
	if (!buf)
		return;
	free(buf->ptr);
	buf->ptr = NULL;
	buf->size = buf->asize = 0;
}

void gitchat_buf_dispose_secure(gitchat_buf *buf)
{
	if (buf && buf->ptr)
		sodium_memzero(buf->ptr, buf->asize);
	gitchat_buf_dispose(buf);
}

char *gitchat_buf_detach(gitchat_buf *buf)
{
	char *p = buf->ptr;
	buf->ptr = NULL;
	buf->size = buf->asize = 0;
	return p;
}

int gitchat_reader_bytes(gitchat_reader *r, const unsigned char **out, size_t len)
{
	if (len > r->left)
		return GITCHAT_EINVALID;
	*out = r->p;
	r->p += len;
	r->left -= len;
	return 0;
}

int gitchat_reader_u32(gitchat_reader *r, uint32_t *out)
{
	const unsigned char *b;
	if (gitchat_reader_bytes(r, &b, 4) < 0)
		return GITCHAT_EINVALID;
	*out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

int gitchat_reader_string(gitchat_reader *r, const unsigned char **out, size_t *len)
{
	uint32_t n;
	if (gitchat_reader_u32(r, &n) < 0 || gitchat_reader_bytes(r, out, n) < 0)
		return GITCHAT_EINVALID;
	*len = n;
	return 0;
}

int gitchat_reader_expect(gitchat_reader *r, const char *expect)
{
	const unsigned char *s;
	size_t n;
	if (gitchat_reader_string(r, &s, &n) < 0)
		return GITCHAT_EINVALID;
	if (n != strlen(expect) || memcmp(s, expect, n) != 0)
		return GITCHAT_EINVALID;
	return 0;
}

char *gitchat_memdup_str(const void *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}
