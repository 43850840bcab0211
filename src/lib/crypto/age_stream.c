/* The age payload: a 16-byte nonce, then STREAM (ChaCha20-Poly1305 over
 * 64 KiB chunks; the nonce is an 11-byte big-endian chunk counter and a
 * byte that marks the last chunk). */
#include <string.h>

#include "crypto/age_internal.h"
#include "util/buf.h"
#include "util/error.h"

#define ENC_CHUNK (AGE_CHUNK_SIZE + AGE_TAG_SIZE)

static void chunk_nonce(unsigned char nonce[12], uint64_t counter, int last)
{
	memset(nonce, 0, 12);
	for (int i = 0; i < 8; i++)
		nonce[10 - i] = (unsigned char)(counter >> (8 * i));
	nonce[11] = last ? 1 : 0;
}

static void payload_key(age_secrets *k, const unsigned char nonce[AGE_NONCE_SIZE])
{
	age_hkdf(k->payload_key, AGE_KEY_SIZE, nonce, AGE_NONCE_SIZE, k->file_key,
	         AGE_FILE_KEY_SIZE, "payload");
}

int age_stream_encrypt(gitchat_buf *out, age_secrets *k, const unsigned char *in, size_t len)
{
	size_t chunks = len ? (len + AGE_CHUNK_SIZE - 1) / AGE_CHUNK_SIZE : 1, i;
	unsigned char nonce[12], *p;
	int error;

	if (chunks > (SIZE_MAX - AGE_NONCE_SIZE - len) / AGE_TAG_SIZE)
		return gitchat_error_oom();
	if ((error = gitchat_buf_grow(out, AGE_NONCE_SIZE + len + chunks * AGE_TAG_SIZE)) < 0)
		return error;
	p = (unsigned char *)out->ptr + out->size;
	randombytes_buf(p, AGE_NONCE_SIZE);
	payload_key(k, p);
	p += AGE_NONCE_SIZE;
	for (i = 0; i < chunks; i++) {
		size_t n = i + 1 < chunks ? AGE_CHUNK_SIZE : len - i * AGE_CHUNK_SIZE;
		unsigned long long clen;

		/* A payload of a multiple of 64 KiB ends with a full last chunk. */
		chunk_nonce(nonce, i, i + 1 == chunks);
		crypto_aead_chacha20poly1305_ietf_encrypt(p, &clen, in + i * AGE_CHUNK_SIZE, n,
		                                          NULL, 0, NULL, nonce, k->payload_key);
		p += clen;
	}
	out->size = (size_t)(p - (unsigned char *)out->ptr);
	out->ptr[out->size] = '\0';
	return 0;
}

static int open_chunk(unsigned char *out, const unsigned char *in, size_t n,
                      uint64_t counter, int last, const age_secrets *k)
{
	unsigned char nonce[12];

	chunk_nonce(nonce, counter, last);
	return crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, n, NULL, 0,
	                                                 nonce, k->payload_key);
}

static int damaged(uint64_t chunk, const char *why)
{
	return gitchat_error_set(GITCHAT_EVERIFY,
		"the age payload is damaged: chunk %llu %s", (unsigned long long)chunk + 1, why);
}

int age_stream_decrypt(unsigned char *out, size_t *outlen, age_secrets *k,
                       const unsigned char *in, size_t len)
{
	size_t pos = AGE_NONCE_SIZE;
	uint64_t i;

	*outlen = 0;
	if (len < AGE_NONCE_SIZE)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid age file: it ends before the payload nonce (truncated?)");
	payload_key(k, in);
	for (i = 0;; i++) {
		size_t left = len - pos, n = left < ENC_CHUNK ? left : ENC_CHUNK;
		int last = left <= ENC_CHUNK;

		if (left == 0)
			return damaged(i, i ? "is missing: the file was cut after a full chunk"
			                    : "is missing: the payload is empty");
		if (left < ENC_CHUNK && i > 0 && left == AGE_TAG_SIZE)
			return damaged(i, "is empty, which only a wholly empty payload may be");
		if (left < AGE_TAG_SIZE)
			return damaged(i, "is shorter than its authentication tag (truncated?)");
		/* A full chunk is the last one only if it says so (its nonce). */
		if (left >= ENC_CHUNK)
			last = open_chunk(out + *outlen, in + pos, n, i, 0, k) != 0;
		if ((left < ENC_CHUNK || last) && open_chunk(out + *outlen, in + pos, n, i, 1, k) != 0)
			return damaged(i, "does not authenticate (tampered, or cut)");
		*outlen += n - AGE_TAG_SIZE;
		pos += n;
		if (last && pos < len)
			return damaged(i, "is marked last but data follows it");
		if (last)
			return 0;
	}
}
