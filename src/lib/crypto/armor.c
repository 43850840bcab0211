#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/armor.h"
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

static const char *find_mem(const char *hay, size_t haylen, const char *needle)
{
	size_t n = strlen(needle);
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

int gitchat_armor_decode(unsigned char **out, size_t *outlen, const char *label,
                         const char *text, size_t len, int secret)
{
	char begin[96], end[96];
	const char *b, *e, *body;
	unsigned char *bin = NULL;
	size_t maxlen, binlen = 0;
	const char *b64end = NULL;

	*out = NULL;
	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	snprintf(end, sizeof(end), "-----END %s-----", label);
	if (!(b = find_mem(text, len, begin)) || !only_space(text, b))
		return GITCHAT_EINVALID;
	body = b + strlen(begin);
	if (!(e = find_mem(body, (size_t)(text + len - body), end)))
		return GITCHAT_EINVALID;
	if (!only_space(e + strlen(end), text + len))
		return GITCHAT_EINVALID;
	maxlen = (size_t)(e - body) / 4 * 3 + 3;
	if (!(bin = secret ? sodium_malloc(maxlen ? maxlen : 1) : malloc(maxlen ? maxlen : 1)))
		return gitchat_error_oom();
	if (sodium_base642bin(bin, maxlen, body, (size_t)(e - body), " \t\r\n", &binlen,
	                      &b64end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    b64end != e || binlen == 0) {
		gitchat_armor_free(bin, secret);
		return GITCHAT_EINVALID;
	}
	*out = bin;
	*outlen = binlen;
	return 0;
}

void gitchat_armor_free(unsigned char *bin, int secret)
{
	if (secret)
		sodium_free(bin);
	else
		free(bin);
}
