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

int age_b64_alphabet(const char *s, size_t n, int padding)
{
	/* libsodium 1.0.18 reads each byte as a signed char, so a byte with the
	 * high bit set can decode as '+' or '/': a second encoding of the same
	 * bytes. Only the alphabet itself gets to the decoder. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || (padding && c == '=')))
			return 0;
	}
	return 1;
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
