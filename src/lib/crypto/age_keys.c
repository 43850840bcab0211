/* age identities and recipients: X25519 keys as Bech32 strings, and
 * ssh-ed25519 keys converted to X25519 (libsodium's birational map). */
#include <stdlib.h>
#include <string.h>

#include "crypto/age_internal.h"
#include "crypto/key_internal.h"
#include "util/buf.h"
#include "util/base64.h"
#include "util/error.h"

#define IDENTITY_HRP "AGE-SECRET-KEY-"
#define RECIPIENT_HRP "age"
#define BLOB_PK_OFFSET (AGE_SSH_BLOB_SIZE - GITCHAT_PUBKEY_SIZE)

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **s, size_t *len)
{
	while (*len && is_space((*s)[0]))
		(*s)++, (*len)--;
	while (*len && is_space((*s)[*len - 1]))
		(*len)--;
}

static int starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

static int identity_alloc(gitchat_age_identity **out, gitchat_age_type type)
{
	gitchat_age_identity *id = calloc(1, sizeof(*id));

	*out = NULL;
	if (!id || !(id->secret = sodium_malloc(AGE_KEY_SIZE))) {
		free(id);
		return gitchat_error_oom();
	}
	id->type = type;
	*out = id;
	return 0;
}

void gitchat_age_identity_free(gitchat_age_identity *id)
{
	if (!id)
		return;
	sodium_free(id->secret);   /* wipes */
	free(id);
}

int gitchat_age_identity_generate(gitchat_age_identity **out)
{
	int error = identity_alloc(out, GITCHAT_AGE_X25519);

	if (error < 0)
		return error;
	randombytes_buf((*out)->secret, AGE_KEY_SIZE);
	crypto_scalarmult_base((*out)->public, (*out)->secret);
	return 0;
}

int gitchat_age_identity_parse(gitchat_age_identity **out, const char *str, size_t len)
{
	gitchat_age_identity *id = NULL;
	int error;

	*out = NULL;
	trim(&str, &len);
	if (starts_with(str, len, "AGE-PLUGIN-"))
		return gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"age plugin identities are not supported: use an AGE-SECRET-KEY-1... identity");
	if ((error = identity_alloc(&id, GITCHAT_AGE_X25519)) < 0)
		return error;
	if ((error = age_bech32_decode(id->secret, AGE_KEY_SIZE, IDENTITY_HRP, str, len,
	                               "age identity")) < 0) {
		gitchat_age_identity_free(id);
		return error;
	}
	crypto_scalarmult_base(id->public, id->secret);
	*out = id;
	return 0;
}

static int ssh_blob(unsigned char blob[AGE_SSH_BLOB_SIZE], const gitchat_pubkey *pk)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	int error = gitchat_pubkey_blob(&b, pk);

	if (error == 0 && b.size != AGE_SSH_BLOB_SIZE)
		error = gitchat_error_set(GITCHAT_ERROR, "unexpected ssh-ed25519 key blob");
	if (error == 0)
		memcpy(blob, b.ptr, AGE_SSH_BLOB_SIZE);
	gitchat_buf_dispose(&b);
	return error;
}

int gitchat_age_identity_from_key(gitchat_age_identity **out, const gitchat_key *key)
{
	gitchat_age_identity *id = NULL;
	int error;

	if (!key->sk)
		return gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"the key %s signs through ssh-agent, which cannot decrypt; unlock its "
			"key file first (gitchat_key_unlock), or use a key file without a passphrase",
			key->path ? key->path : "named by its public half");
	if ((error = identity_alloc(&id, GITCHAT_AGE_SSH_ED25519)) < 0)
		return error;
	/* The X25519 scalar is SHA-512(seed)'s first half, as age derives it. */
	if (crypto_sign_ed25519_sk_to_curve25519(id->secret, key->sk) != 0 ||
	    crypto_scalarmult_base(id->public, id->secret) != 0) {
		error = gitchat_error_set(GITCHAT_EINVALID, "this ed25519 key has no X25519 form");
		goto done;
	}
	error = ssh_blob(id->ssh_blob, &key->pk);
done:
	if (error < 0)
		gitchat_age_identity_free(id);
	else
		*out = id;
	return error;
}

size_t age_identity_string(char *out, size_t cap, const gitchat_age_identity *id)
{
	return age_bech32_encode(out, cap, IDENTITY_HRP, id->secret, AGE_KEY_SIZE, 1);
}

int gitchat_age_identity_format(gitchat_buf *out, const gitchat_age_identity *id)
{
	char *s;
	size_t n;
	int error;

	if (id->type != GITCHAT_AGE_X25519)
		return gitchat_error_set(GITCHAT_EINVALID,
			"an ssh-ed25519 identity is its key file: it has no AGE-SECRET-KEY form");
	if (!(s = sodium_malloc(AGE_IDENTITY_STRLEN + 1)))
		return gitchat_error_oom();
	n = age_identity_string(s, AGE_IDENTITY_STRLEN + 1, id);
	error = gitchat_buf_put(out, s, n);
	sodium_free(s);
	return error;
}

gitchat_age_type gitchat_age_identity_type(const gitchat_age_identity *id)
{
	return id->type;
}

int gitchat_age_identity_subkey(unsigned char *out, size_t out_len, const gitchat_age_identity *id,
                                const char *domain, const void *context, size_t context_len)
{
	crypto_generichash_state st;
	static const unsigned char nul;

	if (!out || !id || !domain || (!context && context_len) ||
	    out_len < crypto_generichash_BYTES_MIN || out_len > crypto_generichash_BYTES_MAX)
		return gitchat_error_set(GITCHAT_EINVALID, "gitchat_age_identity_subkey: invalid arguments");
	/* Keyed BLAKE2b is a PRF: the domain keeps this key apart from every
	 * other use of the secret (age's X25519 never hashes it this way). */
	crypto_generichash_init(&st, id->secret, AGE_KEY_SIZE, out_len);
	crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain));
	crypto_generichash_update(&st, &nul, 1);
	if (context_len)
		crypto_generichash_update(&st, context, context_len);
	crypto_generichash_final(&st, out, out_len);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

int gitchat_age_identity_recipient(gitchat_age_recipient **out, const gitchat_age_identity *id)
{
	gitchat_pubkey pk;
	gitchat_age_recipient *r;

	*out = NULL;
	if (id->type == GITCHAT_AGE_SSH_ED25519) {
		memcpy(pk.bytes, id->ssh_blob + BLOB_PK_OFFSET, GITCHAT_PUBKEY_SIZE);
		return gitchat_age_recipient_from_pubkey(out, &pk);
	}
	GITCHAT_ALLOC_CHECK(r = calloc(1, sizeof(*r)));
	r->type = GITCHAT_AGE_X25519;
	memcpy(r->public, id->public, AGE_KEY_SIZE);
	*out = r;
	return 0;
}

int gitchat_age_recipient_from_pubkey(gitchat_age_recipient **out, const gitchat_pubkey *pk)
{
	gitchat_age_recipient *r;
	int error;

	*out = NULL;
	GITCHAT_ALLOC_CHECK(r = calloc(1, sizeof(*r)));
	r->type = GITCHAT_AGE_SSH_ED25519;
	r->ed25519 = *pk;
	if (crypto_sign_ed25519_pk_to_curve25519(r->public, pk->bytes) != 0) {
		free(r);
		return gitchat_error_set(GITCHAT_EINVALID,
			"this ed25519 public key is not a valid curve point: it cannot be an age recipient");
	}
	if ((error = ssh_blob(r->ssh_blob, pk)) < 0) {
		free(r);
		return error;
	}
	*out = r;
	return 0;
}

/* "ssh-ed25519 AAAA...[ comment]", as in a .pub file or `age -R`. */
static int parse_ssh_line(gitchat_age_recipient **out, const char *s, size_t len)
{
	const char *b64 = s + strlen("ssh-ed25519 "), *end;
	unsigned char blob[AGE_SSH_BLOB_SIZE + 1];
	size_t n = 0;
	gitchat_pubkey pk;

	if (!starts_with(s, len, "ssh-ed25519 ")) {
		const char *sp = memchr(s, ' ', len);
		size_t tlen = sp ? (size_t)(sp - s) : len;
		return gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"only ssh-ed25519 keys can be age recipients here, not '%.*s'",
			(int)(tlen > 40 ? 40 : tlen), s);
	}
	end = memchr(b64, ' ', len - (size_t)(b64 - s));
	if (!end)
		end = s + len;
	if (gitchat_base64_decode(blob, sizeof(blob), &n, b64, (size_t)(end - b64),
	                          GITCHAT_BASE64_PADDED) < 0 ||
	    gitchat_pubkey_parse_blob(&pk, blob, n) < 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid ssh-ed25519 public key: the base64 key blob is damaged");
	return gitchat_age_recipient_from_pubkey(out, &pk);
}

int gitchat_age_recipient_parse(gitchat_age_recipient **out, const char *str, size_t len)
{
	gitchat_age_recipient *r;
	const char *last1;
	int error;

	*out = NULL;
	trim(&str, &len);
	if (starts_with(str, len, "ssh-"))
		return parse_ssh_line(out, str, len);
	last1 = len ? memrchr(str, '1', len) : NULL;
	if (starts_with(str, len, "age1") && last1 && last1 > str + 3)
		return gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"age plugin recipients (age1<name>1...) are not supported: use an age1... "
			"X25519 recipient or an ssh-ed25519 key");
	GITCHAT_ALLOC_CHECK(r = calloc(1, sizeof(*r)));
	r->type = GITCHAT_AGE_X25519;
	if ((error = age_bech32_decode(r->public, AGE_KEY_SIZE, RECIPIENT_HRP, str, len,
	                               "age recipient")) < 0) {
		free(r);
		return error;
	}
	*out = r;
	return 0;
}

int gitchat_age_recipient_format(gitchat_buf *out, const gitchat_age_recipient *r)
{
	if (r->type == GITCHAT_AGE_SSH_ED25519)
		return gitchat_pubkey_line(out, &r->ed25519, NULL);
	char s[AGE_BECH32_LEN(3, AGE_KEY_SIZE) + 1];

	age_bech32_encode(s, sizeof(s), RECIPIENT_HRP, r->public, AGE_KEY_SIZE, 0);
	return gitchat_buf_puts(out, s);
}

gitchat_age_type gitchat_age_recipient_type(const gitchat_age_recipient *r)
{
	return r->type;
}

int gitchat_age_recipient_cmp(const gitchat_age_recipient *a, const gitchat_age_recipient *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->type == GITCHAT_AGE_SSH_ED25519)
		return gitchat_pubkey_cmp(&a->ed25519, &b->ed25519);
	return memcmp(a->public, b->public, AGE_KEY_SIZE);
}

void gitchat_age_recipient_free(gitchat_age_recipient *r)
{
	free(r);
}
