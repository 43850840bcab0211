/* The age API: encrypt to recipients, decrypt with identities, and key
 * material through age without leaving sodium_malloc memory. */
#include <stdlib.h>
#include <string.h>

#include "crypto/age_internal.h"
#include "util/buf.h"
#include "util/error.h"

/* Where the plaintext goes: appended to a buffer, or (for key material)
 * into sodium_malloc memory. */
typedef struct {
	gitchat_buf *buf;
	unsigned char *secret;
	size_t len;
	age_secrets *scratch;   /* the caller's, or NULL: one of our own */
} age_sink;

struct gitchat_age_scratch {
	age_secrets *k;
};

static int write_file(gitchat_buf *out, const gitchat_age_recipient *const *recipients,
                      size_t n, const unsigned char *plain, size_t len)
{
	age_secrets *k = sodium_malloc(sizeof(age_secrets));
	size_t start = out->size, i;
	int error;

	if (!k)
		return gitchat_error_oom();
	randombytes_buf(k->file_key, AGE_FILE_KEY_SIZE);
	if ((error = gitchat_buf_puts(out, AGE_VERSION_LINE "\n")) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if ((error = age_stanza_wrap(out, recipients[i], k)) < 0)
			goto done;
	if ((error = age_header_finish(out, start, k)) == 0)
		error = age_stream_encrypt(out, k, plain, len);
done:
	sodium_free(k);
	return error;
}

int age_encrypt_bytes(gitchat_buf *out, const gitchat_age_recipient *const *recipients,
                         size_t n, const unsigned char *plain, size_t len, unsigned int flags)
{
	gitchat_buf bin = GITCHAT_BUF_INIT, *target = (flags & GITCHAT_AGE_ARMOR) ? &bin : out;
	size_t start = out->size, i;
	int error;

	if (!out || (!recipients && n) || (!plain && len) || (flags & ~GITCHAT_AGE_ARMOR))
		return gitchat_error_set(GITCHAT_EINVALID, "gitchat_age_encrypt: invalid arguments");
	if (n == 0)
		return gitchat_error_set(GITCHAT_EINVALID, "age: nothing to encrypt to (no recipient)");
	for (i = 0; i < n; i++)
		if (!recipients[i])
			return gitchat_error_set(GITCHAT_EINVALID, "age: recipient %zu is NULL", i + 1);
	if ((error = write_file(target, recipients, n, plain, len)) == 0 && target == &bin)
		error = age_armor_encode(out, (const unsigned char *)bin.ptr, bin.size);
	if (error < 0 && out->ptr) {
		out->size = start;
		out->ptr[start] = '\0';
	}
	gitchat_buf_dispose(&bin);
	return error;
}

int gitchat_age_encrypt(gitchat_buf *out, const gitchat_age_recipient *const *recipients,
                        size_t n, const void *plaintext, size_t len, unsigned int flags)
{
	return age_encrypt_bytes(out, recipients, n, plaintext, len, flags);
}

static int fail(gitchat_age_failure *failure, gitchat_age_failure kind, int error)
{
	if (failure)
		*failure = kind;
	return error;
}

static int has_scrypt(const age_header *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->stanzas[i].args[0], "scrypt") == 0)
			return 1;
	return 0;
}

/* The first identity that opens a stanza gives the file key. */
static int find_file_key(age_secrets *k, gitchat_age_failure *failure, const age_header *h,
                         const gitchat_age_identity *const *ids, size_t n)
{
	size_t i, j;
	int error;

	if (has_scrypt(h) && h->n > 1)
		return fail(failure, GITCHAT_AGE_FAIL_HEADER, gitchat_error_set(GITCHAT_EINVALID,
			"invalid age header: an scrypt stanza must be the only one"));
	for (i = 0; i < n; i++)
		for (j = 0; j < h->n; j++) {
			error = age_stanza_unwrap(k, ids[i], &h->stanzas[j]);
			if (error == 0)
				return 0;
			if (error != GITCHAT_ENOTFOUND)
				return fail(failure, GITCHAT_AGE_FAIL_HEADER, error);
		}
	if (has_scrypt(h))
		return fail(failure, GITCHAT_AGE_FAIL_UNSUPPORTED, gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"this age file is encrypted with a passphrase (scrypt), which git-chat does not "
			"support: decrypt it with `age -d`"));
	return fail(failure, GITCHAT_AGE_FAIL_NO_MATCH, gitchat_error_set(GITCHAT_ENOTFOUND,
		"none of the %zu given identities can decrypt this age file (encrypted to %zu "
		"recipient%s): is it meant for another key?", n, h->n, h->n == 1 ? "" : "s"));
}

static int payload_into(age_sink *sink, gitchat_age_failure *failure, age_secrets *k,
                        const unsigned char *in, size_t len, unsigned int flags)
{
	unsigned char *dst;
	size_t got = 0;
	int error;

	if (sink->buf) {
		if ((error = gitchat_buf_grow(sink->buf, len)) < 0)
			return fail(failure, GITCHAT_AGE_FAIL_OTHER, error);
		dst = (unsigned char *)sink->buf->ptr + sink->buf->size;
	} else if (!(dst = sink->secret = sodium_malloc(len ? len : 1))) {
		return fail(failure, GITCHAT_AGE_FAIL_OTHER, gitchat_error_oom());
	}
	error = age_stream_decrypt(dst, &got, k, in, len);
	if (error < 0 && !(flags & GITCHAT_AGE_KEEP_PARTIAL))
		got = 0;
	if (error < 0)   /* what is not handed out does not stay behind either */
		sodium_memzero(dst + got, len - got);
	if (sink->buf) {
		sink->buf->size += got;
		sink->buf->ptr[sink->buf->size] = '\0';
	}
	sink->len = got;
	if (error == GITCHAT_EINVALID)
		return fail(failure, GITCHAT_AGE_FAIL_HEADER, error);
	return error < 0 ? fail(failure, GITCHAT_AGE_FAIL_PAYLOAD, error) : 0;
}

static int decrypt_binary(age_sink *sink, gitchat_age_failure *failure,
                          const gitchat_age_identity *const *ids, size_t n,
                          const unsigned char *in, size_t len, unsigned int flags)
{
	age_header h;
	age_secrets *k = NULL;
	unsigned char mac[AGE_MAC_SIZE];
	int error;

	if ((error = age_header_parse(&h, in, len)) < 0) {
		error = fail(failure, GITCHAT_AGE_FAIL_HEADER, error);
		goto done;
	}
	if (!(k = sink->scratch) && !(k = sodium_malloc(sizeof(*k)))) {
		error = fail(failure, GITCHAT_AGE_FAIL_OTHER, gitchat_error_oom());
		goto done;
	}
	if ((error = find_file_key(k, failure, &h, ids, n)) < 0)
		goto done;
	age_header_mac(mac, k, in, h.mac_offset);
	if (sodium_memcmp(mac, h.mac, AGE_MAC_SIZE) != 0) {
		error = fail(failure, GITCHAT_AGE_FAIL_HMAC, gitchat_error_set(GITCHAT_EVERIFY,
			"the age header's MAC does not match: the header was altered"));
		goto done;
	}
	error = payload_into(sink, failure, k, in + h.len, len - h.len, flags);
done:
	if (k && k == sink->scratch)
		sodium_memzero(k, sizeof(*k));
	else
		sodium_free(k);
	age_header_dispose(&h);
	return error;
}

static int decrypt_any(age_sink *sink, gitchat_age_failure *failure,
                       const gitchat_age_identity *const *ids, size_t n,
                       const void *in, size_t len, unsigned int flags)
{
	unsigned char *bin = NULL;
	size_t binlen, i;
	int armored, error;

	if (failure)
		*failure = GITCHAT_AGE_OK;
	if ((!ids && n) || (!in && len) || (flags & ~(GITCHAT_AGE_ARMOR | GITCHAT_AGE_BINARY |
	                                              GITCHAT_AGE_KEEP_PARTIAL)))
		return fail(failure, GITCHAT_AGE_FAIL_OTHER,
		            gitchat_error_set(GITCHAT_EINVALID, "gitchat_age_decrypt: invalid arguments"));
	for (i = 0; i < n; i++)
		if (!ids[i])
			return fail(failure, GITCHAT_AGE_FAIL_OTHER, gitchat_error_set(GITCHAT_EINVALID,
				"age: identity %zu is NULL", i + 1));
	armored = (flags & GITCHAT_AGE_ARMOR) ||
	          (!(flags & GITCHAT_AGE_BINARY) && age_armor_detect(in, len));
	if (!armored)
		return decrypt_binary(sink, failure, ids, n, in, len, flags);
	if ((error = age_armor_decode(&bin, &binlen, in, len)) < 0)
		return fail(failure, GITCHAT_AGE_FAIL_ARMOR, error);
	error = decrypt_binary(sink, failure, ids, n, bin, binlen, flags);
	free(bin);
	return error;
}

int gitchat_age_decrypt(gitchat_buf *out, gitchat_age_failure *failure,
                        const gitchat_age_identity *const *identities, size_t n,
                        const void *in, size_t len, unsigned int flags)
{
	return gitchat_age_decrypt_with(out, failure, NULL, identities, n, in, len, flags);
}

int gitchat_age_scratch_new(gitchat_age_scratch **out)
{
	gitchat_age_scratch *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->k = sodium_malloc(sizeof(*s->k)))) {
		free(s);
		return gitchat_error_oom();
	}
	*out = s;
	return 0;
}

void gitchat_age_scratch_free(gitchat_age_scratch *s)
{
	if (!s)
		return;
	sodium_free(s->k);
	free(s);
}

int gitchat_age_decrypt_with(gitchat_buf *out, gitchat_age_failure *failure,
                             gitchat_age_scratch *scratch,
                             const gitchat_age_identity *const *identities, size_t n,
                             const void *in, size_t len, unsigned int flags)
{
	age_sink sink = { out, NULL, 0, scratch ? scratch->k : NULL };

	if (!out)
		return fail(failure, GITCHAT_AGE_FAIL_OTHER,
		            gitchat_error_set(GITCHAT_EINVALID, "gitchat_age_decrypt: no output buffer"));
	return decrypt_any(&sink, failure, identities, n, in, len, flags);
}

int age_decrypt_secret(unsigned char **plain, size_t *plain_len,
                       const gitchat_age_identity *const *identities, size_t n,
                       const void *in, size_t len, unsigned int flags)
{
	age_sink sink = { NULL, NULL, 0, NULL };
	int error = decrypt_any(&sink, NULL, identities, n, in, len,
	                        flags & ~GITCHAT_AGE_KEEP_PARTIAL);

	if (error < 0) {
		sodium_free(sink.secret);
		return error;
	}
	*plain = sink.secret;
	*plain_len = sink.len;
	return 0;
}

void gitchat_age_buf_wipe(gitchat_buf *buf)
{
	gitchat_buf_dispose_secure(buf);
}
