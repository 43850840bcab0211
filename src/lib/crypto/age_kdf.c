/* HKDF-SHA-256 and age's unpadded base64, on libsodium. */
#include <string.h>

#include "crypto/age_internal.h"
#include "util/base64.h"
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

int age_b64_decode(unsigned char *out, size_t len, size_t *got, const char *s, size_t slen)
{
	size_t n = 0;

	/* Header text is public (the shares are public keys, the bodies
	 * ciphertext): the table decoder. */
	if (gitchat_base64_decode(out, len, &n, s, slen, 0) < 0 || (!got && n != len))
		return GITCHAT_EINVALID;
	if (got)
		*got = n;
	return 0;
}
