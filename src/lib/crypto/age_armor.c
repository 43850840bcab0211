/* age's ASCII armor, read as strictly as age reads it: the exact first and
 * last lines, padded base64 in lines of 64 columns and one shorter last
 * line, LF or CRLF line ends, whitespace only around the block. */
#include <stdlib.h>
#include <string.h>

#include "crypto/age_internal.h"
#include "util/buf.h"
#include "util/base64.h"
#include "util/error.h"

#define COLUMNS 64

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Ciphertext, not a secret: a plain table encoder, several times faster
 * than libsodium's constant-time one on large files. */
static char *encode_group(char *o, const unsigned char *d, size_t n)
{
	unsigned v = (unsigned)d[0] << 16 | (n > 1 ? (unsigned)d[1] << 8 : 0) | (n > 2 ? d[2] : 0);

	o[0] = alphabet[v >> 18];
	o[1] = alphabet[(v >> 12) & 63];
	o[2] = n > 1 ? alphabet[(v >> 6) & 63] : '=';
	o[3] = n > 2 ? alphabet[v & 63] : '=';
	return o + 4;
}

int age_armor_encode(gitchat_buf *out, const unsigned char *data, size_t len)
{
	size_t groups = (len + 2) / 3, lines = (groups * 4 + COLUMNS - 1) / COLUMNS, i;
	char *o;
	int error;

	if (groups > (SIZE_MAX - 128) / 5)
		return gitchat_error_oom();
	if ((error = gitchat_buf_grow(out, groups * 4 + lines + 128)) < 0)
		return error;
	o = out->ptr + out->size;
	memcpy(o, AGE_ARMOR_BEGIN "\n", strlen(AGE_ARMOR_BEGIN) + 1);
	o += strlen(AGE_ARMOR_BEGIN) + 1;
	for (i = 0; i < len; i += 3) {
		o = encode_group(o, data + i, len - i < 3 ? len - i : 3);
		if ((i / 3 + 1) % (COLUMNS / 4) == 0 || i + 3 >= len)
			*o++ = '\n';
	}
	memcpy(o, AGE_ARMOR_END "\n", strlen(AGE_ARMOR_END) + 1);
	o += strlen(AGE_ARMOR_END) + 1;
	out->size = (size_t)(o - out->ptr);
	out->ptr[out->size] = '\0';
	return 0;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_space(const unsigned char *in, size_t pos, size_t len)
{
	while (pos < len && is_space(in[pos]))
		pos++;
	return pos;
}

int age_armor_detect(const unsigned char *in, size_t len)
{
	size_t pos = skip_space(in, 0, len), n = strlen(AGE_ARMOR_BEGIN);
	return len - pos >= n && memcmp(in + pos, AGE_ARMOR_BEGIN, n) == 0;
}

static int bad_armor(size_t line, const char *why)
{
	return gitchat_error_set(GITCHAT_EINVALID, "invalid age armor: line %zu %s", line, why);
}

/* The next line without "\n" or "\r\n"; *eol tells whether it had one. */
static void next_line(const unsigned char **line, size_t *n, int *eol,
                      const unsigned char *in, size_t *pos, size_t len)
{
	const unsigned char *nl = memchr(in + *pos, '\n', len - *pos);
	size_t end = nl ? (size_t)(nl - in) : len;

	*line = in + *pos;
	*n = end - *pos;
	*eol = nl != NULL;
	*pos = nl ? end + 1 : len;
	if (*eol && *n && (*line)[*n - 1] == '\r')
		(*n)--;
}

static int line_is(const unsigned char *line, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(line, s, n) == 0;
}

static int decode_lines(gitchat_buf *bin, const unsigned char *in, size_t *pos,
                        size_t len, size_t *lineno)
{
	const unsigned char *line;
	size_t n, got;
	int eol, short_seen = 0;

	for (;; (*lineno)++) {
		if (*pos >= len)
			return bad_armor(*lineno, "is missing: no '" AGE_ARMOR_END "' line");
		next_line(&line, &n, &eol, in, pos, len);
		if (line_is(line, n, AGE_ARMOR_END))
			return 0;
		if (!eol)
			return bad_armor(*lineno, "has no end of line and is not the armor's last line");
		if (short_seen)
			return bad_armor(*lineno, "follows a short line: only the last line is short");
		if (n > COLUMNS)
			return bad_armor(*lineno, "is longer than 64 columns");
		if (n == 0 || n % 4 != 0)
			return bad_armor(*lineno, "is empty or not a whole number of base64 groups");
		short_seen = n < COLUMNS;
		if (gitchat_buf_grow(bin, n / 4 * 3) < 0)
			return GITCHAT_ENOMEM;
		/* Armor is ciphertext, not a secret: the fast table decoder. */
		if (gitchat_base64_decode((unsigned char *)bin->ptr + bin->size, n / 4 * 3, &got,
		                          (const char *)line, n, GITCHAT_BASE64_PADDED) < 0)
			return bad_armor(*lineno, "is not canonical padded base64");
		bin->size += got;
		if (got < n / 4 * 3)
			short_seen = 1;   /* padding: nothing may follow */
	}
}

int age_armor_decode(unsigned char **out, size_t *outlen, const unsigned char *in, size_t len)
{
	gitchat_buf bin = GITCHAT_BUF_INIT;
	const unsigned char *line;
	size_t pos = skip_space(in, 0, len), n, lineno = 1;
	int eol, error;

	*out = NULL;
	*outlen = 0;
	next_line(&line, &n, &eol, in, &pos, len);
	if (!line_is(line, n, AGE_ARMOR_BEGIN) || !eol) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"invalid age armor: the first line is not exactly '%s'", AGE_ARMOR_BEGIN);
		goto done;
	}
	lineno++;
	if ((error = decode_lines(&bin, in, &pos, len, &lineno)) < 0)
		goto done;
	if (skip_space(in, pos, len) != len) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"invalid age armor: something other than whitespace follows its last line");
		goto done;
	}
	if (!bin.ptr && (error = gitchat_buf_grow(&bin, 1)) < 0)
		goto done;
	*outlen = bin.size;
	*out = (unsigned char *)gitchat_buf_detach(&bin);
done:
	gitchat_buf_dispose(&bin);
	return error;
}
