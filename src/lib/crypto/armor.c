#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/armor.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/error.h"

#define ARMOR_COLUMNS 70

int gitchat_armor_encode(gitchat_buf *out, const char *label,
                         const unsigned char *data, size_t len, int secret)
{
	size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	/* sodium_malloc costs several system calls: only for key material. */
	char *b64 = secret ? sodium_malloc(b64len) : malloc(b64len);
	size_t n, i;
	int error = GITCHAT_ENOMEM;

	if (!b64)
		return gitchat_error_oom();
	sodium_bin2base64(b64, b64len, data, len, sodium_base64_VARIANT_ORIGINAL);
	n = strlen(b64);
	if (gitchat_buf_printf(out, "-----BEGIN %s-----\n", label) < 0)
		goto done;
	for (i = 0; i < n; i += ARMOR_COLUMNS) {
		size_t chunk = n - i < ARMOR_COLUMNS ? n - i : ARMOR_COLUMNS;
		if (gitchat_buf_put(out, b64 + i, chunk) < 0 || gitchat_buf_putc(out, '\n') < 0)
			goto done;
	}
	if (gitchat_buf_printf(out, "-----END %s-----\n", label) < 0)
		goto done;
	error = 0;
done:
	if (secret)
		sodium_free(b64);
	else
		free(b64);
	return error;
}

static const char *find_mem(const char *hay, size_t haylen, const char *needle, size_t n)
{
	const char *end = hay + haylen;
	for (; hay + n <= end; hay++)
		if (*hay == *needle && memcmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

static int only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return 0;
	return 1;
}

/* The layout gitchat_armor_encode writes between the BEGIN and END lines:
 * lines of ARMOR_COLUMNS characters, the last one 1 to ARMOR_COLUMNS, each
 * ended by "\n". (Which characters: gitchat_base64_decode checks that,
 * the high-bit bytes libsodium 1.0.18 reads as '/' and '+' too.) */
static int exact_lines(const char *p, size_t len)
{
	const char *end = p + len, *nl;

	while (p < end) {
		size_t left = (size_t)(end - p);
		nl = memchr(p, '\n', left < ARMOR_COLUMNS + 1 ? left : ARMOR_COLUMNS + 1);
		/* A full line, or a shorter (non-empty) last one. */
		if (!nl || nl == p || (nl - p != ARMOR_COLUMNS && nl + 1 != end))
			return 0;
		p = nl + 1;
	}
	return len != 0;
}

/* Does the line "-----<word> <label>-----\n" start at p (p < end)? */
static int is_line(const char *p, const char *end, const char *word, const char *label)
{
	size_t w = strlen(word), l = strlen(label);

	if ((size_t)(end - p) < 5 + w + 1 + l + 6)
		return 0;
	return memcmp(p, "-----", 5) == 0 && memcmp(p + 5, word, w) == 0 && p[5 + w] == ' ' &&
	       memcmp(p + 6 + w, label, l) == 0 && memcmp(p + 6 + w + l, "-----\n", 6) == 0;
}

/* Where the base64 lies: [*body, *bodyend). Exact: the block is the whole
 * text, lines as encoded (checked without formatting strings: the merger
 * reads the signers of many commits through here). Else: only whitespace
 * around the block. */
static int find_block(const char **body, const char **bodyend, const char *label,
                      const char *text, size_t len, int exact)
{
	char begin[96], end[96];
	const char *b, *e, *tend = text + len;
	size_t blen, elen;

	if (exact) {
		blen = strlen("-----BEGIN ") + strlen(label) + strlen("-----\n");
		elen = blen - 2;
		if (len < blen + elen || !is_line(text, tend, "BEGIN", label) ||
		    !is_line(tend - elen, tend, "END", label) ||
		    !exact_lines(text + blen, len - blen - elen))
			return -1;
		*body = text + blen;
		*bodyend = tend - elen;
		return 0;
	}
	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	snprintf(end, sizeof(end), "-----END %s-----", label);
	blen = strlen(begin);
	elen = strlen(end);
	if (!(b = find_mem(text, len, begin, blen)) || !only_space(text, b))
		return -1;
	*body = b + blen;
	if (!(e = find_mem(*body, (size_t)(tend - *body), end, elen)) || !only_space(e + elen, tend))
		return -1;
	*bodyend = e;
	return 0;
}

int gitchat_armor_decode(unsigned char **out, size_t *outlen, const char *label,
                         const char *text, size_t len, unsigned int flags)
{
	int secret = (flags & GITCHAT_ARMOR_SECRET) != 0, exact = (flags & GITCHAT_ARMOR_EXACT) != 0;
	unsigned int b64 = GITCHAT_BASE64_PADDED | (exact ? GITCHAT_BASE64_SKIP_NL : GITCHAT_BASE64_SKIP_WS) |
	                   (secret ? GITCHAT_BASE64_SECRET : 0);
	const char *body, *e;
	unsigned char *bin = NULL;
	size_t maxlen, binlen = 0;

	*out = NULL;
	if (find_block(&body, &e, label, text, len, exact) < 0)
		return GITCHAT_EINVALID;
	maxlen = (size_t)(e - body) / 4 * 3 + 3;
	if (!(bin = secret ? sodium_malloc(maxlen) : malloc(maxlen)))
		return gitchat_error_oom();
	/* The decoder refuses anything but canonical base64: with the line
	 * layout checked, one encoding per byte string. */
	if (gitchat_base64_decode(bin, maxlen, &binlen, body, (size_t)(e - body), b64) < 0 ||
	    binlen == 0) {
		gitchat_armor_free(bin, secret);
		return GITCHAT_EINVALID;
	}
	*out = bin;
	*outlen = binlen;
	return 0;
}

int gitchat_armor_decode_head(unsigned char *out, size_t want, const char *label,
                              const char *text, size_t len)
{
	const char *body, *e;
	unsigned char buf[GITCHAT_ARMOR_HEAD_MAX / 4 * 3];
	size_t binlen = 0;

	/* All of it is decoded, not only the lines of the head: a reader that
	 * looked at less could accept a text the whole reader refuses. The
	 * table decoder makes this as fast as libsodium on the head alone. */
	if (want == 0 || find_block(&body, &e, label, text, len, 1) < 0 ||
	    gitchat_base64_decode(buf, sizeof(buf), &binlen, body, (size_t)(e - body),
	                          GITCHAT_BASE64_PADDED | GITCHAT_BASE64_SKIP_NL) < 0 ||
	    binlen < want)
		return GITCHAT_EINVALID;
	memcpy(out, buf, want);
	return 0;
}

void gitchat_armor_free(unsigned char *bin, int secret)
{
	if (secret)
		sodium_free(bin);
	else
		free(bin);
}
