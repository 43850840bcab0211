/* Recipient stanzas: the file key wrapped for one X25519 or ssh-ed25519
 * recipient (age-encryption.org/v1, "X25519" and "ssh-ed25519"). */
#include <string.h>

#include "crypto/age_internal.h"
#include "util/buf.h"
#include "util/error.h"

#define X25519_LABEL "age-encryption.org/v1/X25519"
#define SSH_LABEL "age-encryption.org/v1/ssh-ed25519"
#define BODY_COLUMNS 64
#define WRAPPED_SIZE (AGE_FILE_KEY_SIZE + AGE_TAG_SIZE)

static const unsigned char zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

/* The 4-byte tag of an ssh key: which key a stanza is for. */
static int ssh_tag(gitchat_buf *out, const unsigned char blob[AGE_SSH_BLOB_SIZE])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, blob, AGE_SSH_BLOB_SIZE);
	return age_b64_put(out, h, AGE_SSH_TAG_SIZE);
}

/* ssh-ed25519 multiplies the shared point by a tweak bound to the whole
 * ssh key, so that a stanza names one ssh key and not only its X25519 half. */
static int ssh_tweak(age_stanza_secrets *k, const unsigned char blob[AGE_SSH_BLOB_SIZE])
{
	unsigned char tweaked[AGE_KEY_SIZE];
	int ok;

	age_hkdf(k->tweak, AGE_KEY_SIZE, blob, AGE_SSH_BLOB_SIZE, NULL, 0, SSH_LABEL);
	ok = crypto_scalarmult(tweaked, k->tweak, k->shared) == 0;
	memcpy(k->shared, tweaked, AGE_KEY_SIZE);
	sodium_memzero(tweaked, sizeof(tweaked));
	return ok ? 0 : -1;
}

/* Base64 lines of 64 columns, ending with a short (maybe empty) line. */
static int put_body(gitchat_buf *out, const unsigned char *body, size_t len)
{
	size_t i;
	int error = 0;

	for (i = 0; error == 0 && i + BODY_COLUMNS / 4 * 3 <= len; i += BODY_COLUMNS / 4 * 3)
		if ((error = age_b64_put(out, body + i, BODY_COLUMNS / 4 * 3)) == 0)
			error = gitchat_buf_putc(out, '\n');
	if (error == 0 && (error = age_b64_put(out, body + i, len - i)) == 0)
		error = gitchat_buf_putc(out, '\n');
	return error;
}

int age_stanza_wrap(gitchat_buf *header, const gitchat_age_recipient *r, age_secrets *secrets)
{
	age_stanza_secrets *k = &secrets->stanza;
	unsigned char share[AGE_KEY_SIZE], body[WRAPPED_SIZE];
	int ssh = r->type == GITCHAT_AGE_SSH_ED25519, error;

	randombytes_buf(k->ephemeral, AGE_KEY_SIZE);
	crypto_scalarmult_base(share, k->ephemeral);
	if (crypto_scalarmult(k->shared, k->ephemeral, r->public) != 0 ||
	    (ssh && ssh_tweak(k, r->ssh_blob) != 0)) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"this age recipient is a low-order point: nothing can be encrypted to it");
		goto done;
	}
	memcpy(k->salt, share, AGE_KEY_SIZE);
	memcpy(k->salt + AGE_KEY_SIZE, r->public, AGE_KEY_SIZE);
	age_hkdf(k->wrap_key, AGE_KEY_SIZE, k->salt, sizeof(k->salt), k->shared, AGE_KEY_SIZE,
	         ssh ? SSH_LABEL : X25519_LABEL);
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, secrets->file_key, AGE_FILE_KEY_SIZE,
	                                          NULL, 0, NULL, zero_nonce, k->wrap_key);
	if ((error = gitchat_buf_puts(header, ssh ? "-> ssh-ed25519 " : "-> X25519 ")) < 0 ||
	    (ssh && ((error = ssh_tag(header, r->ssh_blob)) < 0 ||
	             (error = gitchat_buf_putc(header, ' ')) < 0)) ||
	    (error = age_b64_put(header, share, AGE_KEY_SIZE)) < 0 ||
	    (error = gitchat_buf_putc(header, '\n')) < 0)
		goto done;
	error = put_body(header, body, sizeof(body));
done:
	sodium_memzero(k, sizeof(*k));
	return error;
}

/* The checks every recipient type shares: arguments, the share. */
static int read_share(unsigned char share[AGE_KEY_SIZE], const age_stanza *s,
                      size_t nargs, const char *type)
{
	if (s->nargs != nargs)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid age header: a %s stanza has %zu arguments, expected %zu",
			type, s->nargs - 1, nargs - 1);
	if (age_b64_decode(share, AGE_KEY_SIZE, NULL, s->args[nargs - 1],
	                   strlen(s->args[nargs - 1])) < 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid age header: the share of a %s stanza is not 32 bytes of canonical base64",
			type);
	if (s->body_len != WRAPPED_SIZE)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid age header: a %s stanza wraps %zu bytes, not a 16-byte file key",
			type, s->body_len);
	return 0;
}

static int tag_matches(const age_stanza *s, const gitchat_age_identity *id)
{
	gitchat_buf tag = GITCHAT_BUF_INIT;
	int match = ssh_tag(&tag, id->ssh_blob) == 0 && strcmp(tag.ptr, s->args[1]) == 0;

	gitchat_buf_dispose(&tag);
	return match;
}

int age_stanza_unwrap(age_secrets *secrets, const gitchat_age_identity *id, const age_stanza *s)
{
	int ssh = id->type == GITCHAT_AGE_SSH_ED25519, error;
	const char *type = ssh ? "ssh-ed25519" : "X25519";
	unsigned char share[AGE_KEY_SIZE];
	age_stanza_secrets *k = &secrets->stanza;

	if (strcmp(s->args[0], type) != 0)
		return GITCHAT_ENOTFOUND;
	if ((error = read_share(share, s, ssh ? 3 : 2, type)) < 0)
		return error;
	if (ssh && !tag_matches(s, id))
		return GITCHAT_ENOTFOUND;
	if (crypto_scalarmult(k->shared, id->secret, share) != 0 ||
	    (ssh && ssh_tweak(k, id->ssh_blob) != 0)) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"invalid age header: the share of a %s stanza is a low-order point", type);
		goto done;
	}
	memcpy(k->salt, share, AGE_KEY_SIZE);
	memcpy(k->salt + AGE_KEY_SIZE, id->public, AGE_KEY_SIZE);
	age_hkdf(k->wrap_key, AGE_KEY_SIZE, k->salt, sizeof(k->salt), k->shared, AGE_KEY_SIZE,
	         ssh ? SSH_LABEL : X25519_LABEL);
	error = crypto_aead_chacha20poly1305_ietf_decrypt(secrets->file_key, NULL, NULL, s->body,
	                                                  s->body_len, NULL, 0, zero_nonce,
	                                                  k->wrap_key) == 0
		? 0 : GITCHAT_ENOTFOUND;   /* sealed to another key */
done:
	sodium_memzero(k, sizeof(*k));
	return error;
}
