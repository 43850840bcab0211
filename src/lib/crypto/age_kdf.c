/* HKDF-SHA-256 and age's unpadded base64, on libsodium. */
#include <string.h>

#include "crypto/age_internal.h"
#include "util/buf.h"
#include "util/error.h"

void age_hkdf(unsigned char *out, size_t out_len, const unsigned char *salt,
              size_t salt_len, const unsigned char *ikm, size_t ikm_len,
              const char *info)
{
	/* An empty salt is HashLen zeros (RFC 5869), which HMAC pads to the
	 * same block as an empty key. */
	unsigned char prk[crypto_auth_hmacsha256_BYTES], t[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	static const unsigned char none[1];
	const unsigned char one = 1;

	/* libsodium's pointers are non-null even for empty inputs. */
	if (!salt)
		salt = none;
	if (!ikm)
		ikm = none;
	crypto_auth_hmacsha256_init(&st, salt, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	/* Every age key is at most one block: T(1) = HMAC(PRK, info || 1). */
	crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)info, strlen(info));
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, t);
	memcpy(out, t, out_len < sizeof(t) ? out_len : sizeof(t));
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
	sodium_memzero(&st, sizeof(st));
}

int age_b64_put(gitchat_buf *out, const unsigned char *data, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	int error;

	if ((error = gitchat_buf_grow(out, n)) < 0)
		return error;
	sodium_bin2base64(out->ptr + out->size, n, data, len,
	                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	out->size += n - 1;
	return 0;
}

/* Each byte's base64 value, 255 for bytes outside the alphabet. */
static const unsigned char b64_table[256] = {
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
	255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
	255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

static unsigned char b64_value(unsigned char c)
{
	return b64_table[c];
}

int age_b64_alphabet(const char *s, size_t n, int padding)
{
	/* libsodium 1.0.18 reads each byte as a signed char, so a byte with the
	 * high bit set can decode as '+' or '/': a second encoding of the same
	 * bytes. Only the alphabet itself gets to its decoder. */
	for (size_t i = 0; i < n; i++)
		if (b64_value((unsigned char)s[i]) == 0xff && !(padding && s[i] == '='))
			return 0;
	return 1;
}

int age_b64_decode_padded(unsigned char *out, size_t *got, const char *s, size_t n)
{
	/* Armor is ciphertext, not a secret: a table lookup is fine, and
	 * several times faster than libsodium's constant-time decoder. */
	size_t pad = 0, i, o = 0;
	unsigned v[4];

	if (n % 4 != 0)
		return GITCHAT_EINVALID;
	if (n && s[n - 1] == '=')
		pad = (n >= 2 && s[n - 2] == '=') ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		int last = i + 4 == n;
		for (int j = 0; j < 4; j++) {
			if (last && j >= 4 - (int)pad) {
				v[j] = 0;
				continue;
			}
			if ((v[j] = b64_value((unsigned char)s[i + j])) == 0xff)
				return GITCHAT_EINVALID;
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (last && pad == 2) {
			if (v[1] & 0x0f)
				return GITCHAT_EINVALID;   /* not canonical */
			break;
		}
		out[o++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
		if (last && pad == 1) {
			if (v[2] & 0x03)
				return GITCHAT_EINVALID;
			break;
		}
		out[o++] = (unsigned char)(v[2] << 6 | v[3]);
	}
	*got = o;
	return 0;
}

int age_b64_decode(unsigned char *out, size_t len, size_t *got, const char *s, size_t slen)
{
	const char *end = NULL;
	size_t n = 0;

	/* libsodium refuses padding in this variant and non-zero trailing
	 * bits, so one string decodes from one encoding only. */
	if (!age_b64_alphabet(s, slen, 0) ||
	    sodium_base642bin(out, len, s, slen, NULL, &n, &end,
	                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
	    end != s + slen || (got ? n > len : n != len))
		return GITCHAT_EINVALID;
	if (got)
		*got = n;
	return 0;
}
