/* Bech32 strings of age: `age1...` recipients and `AGE-SECRET-KEY-1...`
 * identities (BIP 173's checksum; age lifts its 90-character limit). */
#include <string.h>

#include "crypto/age_internal.h"
#include "util/buf.h"
#include "util/error.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, unsigned v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
	                                 0x3d4233dd, 0x2a1462b3 };
	uint32_t top = chk >> 25;
	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The checksum state after the human-readable part (always in lower case:
 * an upper-case string has the checksum of its lower-case form). */
static uint32_t hrp_state(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned char)lower(hrp[i]) >> 5);
	chk = polymod_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned char)lower(hrp[i]) & 31);
	return chk;
}

size_t age_bech32_encode(char *out, size_t cap, const char *hrp, const unsigned char *data,
                         size_t len, int upper)
{
	size_t hlen = strlen(hrp), n = 0, i;
	uint32_t chk = hrp_state(hrp, hlen), acc = 0, final;
	unsigned bits = 0;

	if (cap < AGE_BECH32_LEN(hlen, len) + 1)
		return 0;
	memcpy(out, hrp, hlen);
	n = hlen;
	out[n++] = '1';
	for (i = 0; i <= len; i++) {
		/* One more round after the data flushes the last bits, padded. */
		if (i < len) {
			acc = (acc << 8) | data[i];
			bits += 8;
		} else if (bits) {
			acc <<= 5 - bits;
			bits = 5;
		}
		while (bits >= 5) {
			unsigned v = (acc >> (bits - 5)) & 31;
			bits -= 5;
			chk = polymod_step(chk, v);
			out[n++] = charset[v];
		}
	}
	for (final = chk, i = 0; i < 6; i++)
		final = polymod_step(final, 0);
	final ^= 1;
	for (i = 0; i < 6; i++)
		out[n++] = charset[(final >> (5 * (5 - i))) & 31];
	for (i = hlen; upper && i < n; i++)
		if (out[i] >= 'a' && out[i] <= 'z')
			out[i] = (char)(out[i] - 'a' + 'A');
	out[n] = '\0';
	sodium_memzero(&acc, sizeof(acc));
	return n;
}

static int value_of(char c)
{
	const char *p = c ? strchr(charset, lower(c)) : NULL;
	return p ? (int)(p - charset) : -1;
}

int age_bech32_decode(unsigned char *data, size_t len, const char *hrp,
                      const char *s, size_t slen, const char *what)
{
	size_t hlen = strlen(hrp), i, n = 0, sep;
	int has_lower = 0, has_upper = 0, v;
	uint32_t chk, acc = 0;
	unsigned bits = 0;

	for (i = 0; i < slen; i++) {
		if (s[i] < 33 || s[i] > 126)
			return gitchat_error_set(GITCHAT_EINVALID,
				"invalid %s: character %zu is not printable ASCII", what, i + 1);
		has_lower |= s[i] >= 'a' && s[i] <= 'z';
		has_upper |= s[i] >= 'A' && s[i] <= 'Z';
	}
	if (has_lower && has_upper)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid %s: it mixes upper and lower case", what);
	if (slen < hlen + 1 + 6 || memcmp(s, hrp, hlen) != 0 || s[hlen] != '1')
		return gitchat_error_set(GITCHAT_EINVALID, "invalid %s: it must start with '%s1'",
		                         what, hrp);
	sep = hlen;
	if ((slen - sep - 1 - 6) * 5 / 8 != len || (slen - sep - 1 - 6) * 5 - len * 8 >= 5)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid %s: %zu characters, expected %zu", what, slen,
			hlen + 1 + (len * 8 + 4) / 5 + 6);
	chk = hrp_state(hrp, hlen);
	for (i = sep + 1; i < slen; i++) {
		if ((v = value_of(s[i])) < 0)
			return gitchat_error_set(GITCHAT_EINVALID,
				"invalid %s: '%c' is not a Bech32 character", what, s[i]);
		chk = polymod_step(chk, (unsigned)v);
		if (i >= slen - 6)
			continue;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			data[n++] = (unsigned char)(acc >> bits);
		}
	}
	v = (int)(acc & ((1u << bits) - 1));
	sodium_memzero(&acc, sizeof(acc));
	if (chk != 1) {
		sodium_memzero(data, len);
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid %s: wrong checksum (a typo or a truncated copy?)", what);
	}
	if (v != 0 || n != len) {
		sodium_memzero(data, len);
		return gitchat_error_set(GITCHAT_EINVALID, "invalid %s: not canonical padding", what);
	}
	return 0;
}
