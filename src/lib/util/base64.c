/* The one base64 reader: a table for public text, libsodium for secrets. */
#include <sodium.h>

#include "util/base64.h"
#include "util/error.h"

enum { PAD = 64, NL = 65, WS = 66, BAD = 255 };

/* Each byte's base64 value, or what else it is. */
static const unsigned char table[256] = {
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,  WS,  NL, BAD, BAD,  WS, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	 WS, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,  62, BAD, BAD, BAD,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, BAD, BAD, BAD, PAD, BAD, BAD,
	BAD,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, BAD, BAD, BAD, BAD, BAD,
	BAD,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
};

static int skipped(unsigned char c, unsigned int flags)
{
	return (c == NL && (flags & (GITCHAT_BASE64_SKIP_NL | GITCHAT_BASE64_SKIP_WS))) ||
	       (c == WS && (flags & GITCHAT_BASE64_SKIP_WS));
}

static int invalid(const char *why, size_t at)
{
	return gitchat_error_set(GITCHAT_EINVALID, "invalid base64 at character %zu: %s", at + 1, why);
}

/* The last group of k (2 or 3) characters: its unused bits must be zero. */
static int last_group(unsigned char *out, size_t max, size_t *o, const unsigned v[4], size_t k,
                      size_t at)
{
	if ((k == 2 && (v[1] & 0x0f)) || (k == 3 && (v[2] & 0x03)))
		return invalid("the padding bits are not zero (not the canonical text)", at);
	if (max - *o < k - 1)
		return invalid("more bytes than expected", at);
	out[(*o)++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
	if (k == 3)
		out[(*o)++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
	return 0;
}

/* Public text: one table lookup per character, several times faster than
 * libsodium's constant-time decoder (it matters for large age armor and
 * for the signatures of a whole room). */
static int decode_table(unsigned char *out, size_t max, size_t *outlen, const char *s, size_t n,
                        unsigned int flags)
{
	unsigned v[4];
	size_t i, o = 0, k = 0, pad = 0;
	unsigned char c = BAD;

	for (i = 0; i < n; i++) {
		/* Whole groups of four in a row: the bulk of any text. */
		while (k == 0 && n - i >= 4 && max - o >= 3) {
			unsigned a = table[(unsigned char)s[i]], b = table[(unsigned char)s[i + 1]];
			unsigned d = table[(unsigned char)s[i + 2]], e = table[(unsigned char)s[i + 3]];
			if ((a | b | d | e) >= 64)
				break;
			out[o++] = (unsigned char)(a << 2 | b >> 4);
			out[o++] = (unsigned char)(b << 4 | d >> 2);
			out[o++] = (unsigned char)(d << 6 | e);
			i += 4;
		}
		if (i == n)
			break;
		if ((c = table[(unsigned char)s[i]]) < 64) {
			v[k++] = c;
			if (k < 4)
				continue;
			if (max - o < 3)
				return invalid("more bytes than expected", i);
			out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
			out[o++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
			out[o++] = (unsigned char)(v[2] << 6 | v[3]);
			k = 0;
		} else if (c == PAD) {
			break;
		} else if (!skipped(c, flags)) {
			return invalid("not a base64 character", i);
		}
	}
	if (c == PAD) {
		size_t at = i;
		if (!(flags & GITCHAT_BASE64_PADDED) || k < 2)
			return invalid("'=' where no padding belongs", i);
		for (; i < n; i++)
			if ((c = table[(unsigned char)s[i]]) == PAD)
				pad++;
			else if (!skipped(c, flags))
				return invalid("only padding may follow '='", i);
		if (pad != 4 - k)
			return invalid("the padding is not as long as the last group needs", at);
	} else if ((flags & GITCHAT_BASE64_PADDED) ? k != 0 : k == 1) {
		return invalid("the text ends inside a group of four", n ? n - 1 : 0);
	}
	if (k >= 2 && last_group(out, max, &o, v, k, n - 1) < 0)
		return GITCHAT_EINVALID;
	*outlen = o;
	return 0;
}

/* Secret text (key files): no table indexed by secret characters, whose
 * cache lines would tell which characters a key has. libsodium decodes in
 * constant time and is strict about padding and its bits; its faults are
 * refused first, in one pass over every byte: high-bit bytes, and NUL
 * bytes, which it skips as if they were in `ignore` (strchr finds the
 * string's own terminator), so that "AAAA\0\0" read as "AAAA". */
static int decode_secret(unsigned char *out, size_t max, size_t *outlen, const char *s, size_t n,
                         unsigned int flags)
{
	const char *ignore = (flags & GITCHAT_BASE64_SKIP_WS) ? " \t\r\n" :
	                     (flags & GITCHAT_BASE64_SKIP_NL) ? "\n" : NULL;
	int variant = (flags & GITCHAT_BASE64_PADDED) ? sodium_base64_VARIANT_ORIGINAL
	                                              : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
	const char *end = NULL;
	unsigned char high = 0, nul = 0;

	for (size_t i = 0; i < n; i++) {
		high |= (unsigned char)s[i];
		nul |= (unsigned char)((((unsigned)(unsigned char)s[i]) - 1u) >> 8);  /* 1 for 0 */
	}
	if (high & 0x80)
		return gitchat_error_set(GITCHAT_EINVALID, "invalid base64: a byte above 127");
	if (nul & 1)
		return gitchat_error_set(GITCHAT_EINVALID, "invalid base64: a NUL byte");
	if (sodium_base642bin(out, max, s, n, ignore, outlen, &end, variant) != 0 || end != s + n)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid base64: not the canonical text, or more bytes than expected");
	return 0;
}

int gitchat_base64_decode(unsigned char *out, size_t max, size_t *outlen,
                          const char *s, size_t n, unsigned int flags)
{
	*outlen = 0;
	if (flags & GITCHAT_BASE64_SECRET)
		return decode_secret(out, max, outlen, s, n, flags);
	return decode_table(out, max, outlen, s, n, flags);
}
