/*
 * SSHSIG, as fixed by DESIGN.md and OpenSSH's PROTOCOL.sshsig:
 *
 *   signed = "SSHSIG" string(ns) string("") string("sha512") string(H(data))
 *   blob   = "SSHSIG" u32(1) string(pubkey blob) string(ns) string("")
 *            string("sha512") string(string("ssh-ed25519") string(sig64))
 *
 * ed25519 is deterministic, so our armor is byte-identical to ssh-keygen's.
 */
#include <string.h>
#include <sodium.h>

#include "gitchat/sshsig.h"
#include "crypto/armor.h"
#include "crypto/key_internal.h"
#include "util/buf.h"
#include "util/error.h"

#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_LABEL "SSH SIGNATURE"
#define SSHSIG_VERSION 1
#define SSHSIG_ARMOR_MAX 4096

static int signed_data(gitchat_buf *out, const char *ns, const char *hashalg,
                       const void *data, size_t len)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	size_t hlen;

	if (strcmp(hashalg, "sha512") == 0) {
		crypto_hash_sha512(h, data, len);
		hlen = crypto_hash_sha512_BYTES;
	} else {
		crypto_hash_sha256(h, data, len);
		hlen = crypto_hash_sha256_BYTES;
	}
	if (gitchat_buf_put(out, SSHSIG_MAGIC, 6) < 0 ||
	    gitchat_buf_put_string(out, ns, strlen(ns)) < 0 ||
	    gitchat_buf_put_string(out, "", 0) < 0 ||
	    gitchat_buf_put_string(out, hashalg, strlen(hashalg)) < 0 ||
	    gitchat_buf_put_string(out, h, hlen) < 0)
		return GITCHAT_ENOMEM;
	return 0;
}

int gitchat_sshsig_sign(gitchat_buf *out, const gitchat_key *key, const char *ns,
                        const void *data, size_t len)
{
	gitchat_buf tosign = GITCHAT_BUF_INIT, blob = GITCHAT_BUF_INIT;
	gitchat_buf pub = GITCHAT_BUF_INIT, sig = GITCHAT_BUF_INIT;
	unsigned char raw[crypto_sign_BYTES];
	int error = GITCHAT_ENOMEM;

	if (signed_data(&tosign, ns, "sha512", data, len) < 0)
		goto done;
	crypto_sign_detached(raw, NULL, (const unsigned char *)tosign.ptr, tosign.size, key->sk);
	if (gitchat_pubkey_blob(&pub, &key->pk) < 0 ||
	    gitchat_buf_put_string(&sig, GITCHAT_SSH_ED25519, strlen(GITCHAT_SSH_ED25519)) < 0 ||
	    gitchat_buf_put_string(&sig, raw, sizeof(raw)) < 0)
		goto done;
	if (gitchat_buf_put(&blob, SSHSIG_MAGIC, 6) < 0 ||
	    gitchat_buf_put_u32(&blob, SSHSIG_VERSION) < 0 ||
	    gitchat_buf_put_string(&blob, pub.ptr, pub.size) < 0 ||
	    gitchat_buf_put_string(&blob, ns, strlen(ns)) < 0 ||
	    gitchat_buf_put_string(&blob, "", 0) < 0 ||
	    gitchat_buf_put_string(&blob, "sha512", 6) < 0 ||
	    gitchat_buf_put_string(&blob, sig.ptr, sig.size) < 0)
		goto done;
	error = gitchat_armor_encode(out, SSHSIG_LABEL, (const unsigned char *)blob.ptr, blob.size, 0);
done:
	gitchat_buf_dispose(&tosign);
	gitchat_buf_dispose(&blob);
	gitchat_buf_dispose(&pub);
	gitchat_buf_dispose(&sig);
	return error;
}

static int fail(const char *why)
{
	return gitchat_error_set(GITCHAT_EVERIFY, "%s", why);
}

int gitchat_sshsig_verify(gitchat_pubkey *signer, const char *armored, size_t armored_len,
                          const char *ns, const void *data, size_t len)
{
	unsigned char *bin = NULL;
	size_t binlen = 0;
	gitchat_reader r, sr;
	const unsigned char *magic, *pubblob, *sns, *reserved, *halg, *sigblob, *sig;
	size_t publen, snslen, reslen, halglen, sigbloblen, siglen;
	uint32_t version;
	gitchat_pubkey pk;
	gitchat_buf tosign = GITCHAT_BUF_INIT;
	char hashalg[8];
	int error;

	if (armored_len > SSHSIG_ARMOR_MAX)
		return fail("the signature is too large to be an ed25519 SSH signature");
	if (gitchat_armor_decode(&bin, &binlen, SSHSIG_LABEL, armored, armored_len, 0) < 0)
		return fail("the signature is not an armored SSH signature");
	r.p = bin;
	r.left = binlen;
	if (gitchat_reader_bytes(&r, &magic, 6) < 0 || memcmp(magic, SSHSIG_MAGIC, 6) != 0) {
		error = fail("the signature does not start with 'SSHSIG'");
		goto done;
	}
	if (gitchat_reader_u32(&r, &version) < 0 || version != SSHSIG_VERSION) {
		error = fail("the signature has an unknown SSHSIG version");
		goto done;
	}
	if (gitchat_reader_string(&r, &pubblob, &publen) < 0 ||
	    gitchat_reader_string(&r, &sns, &snslen) < 0 ||
	    gitchat_reader_string(&r, &reserved, &reslen) < 0 ||
	    gitchat_reader_string(&r, &halg, &halglen) < 0 ||
	    gitchat_reader_string(&r, &sigblob, &sigbloblen) < 0 || r.left != 0) {
		error = fail("the signature blob is truncated or has trailing data");
		goto done;
	}
	if (gitchat_pubkey_parse_blob(&pk, pubblob, publen) < 0) {
		error = fail("the signature is not made with an ed25519 key");
		goto done;
	}
	if (snslen != strlen(ns) || memcmp(sns, ns, snslen) != 0) {
		error = gitchat_error_set(GITCHAT_EVERIFY,
			"the signature is for another namespace than '%s'", ns);
		goto done;
	}
	/* DESIGN.md: sha512 only. ssh-keygen can also sign with sha256 (-O
	 * hashalg=sha256): a second valid signature of the same payload, so a
	 * second commit id for one message. */
	if (!(halglen == 6 && memcmp(halg, "sha512", 6) == 0)) {
		error = fail("the signature's hash is not sha512");
		goto done;
	}
	memcpy(hashalg, halg, 6);
	hashalg[6] = '\0';
	sr.p = sigblob;
	sr.left = sigbloblen;
	if (gitchat_reader_expect(&sr, GITCHAT_SSH_ED25519) < 0 ||
	    gitchat_reader_string(&sr, &sig, &siglen) < 0 ||
	    siglen != crypto_sign_BYTES || sr.left != 0) {
		error = fail("the signature value is not an ed25519 signature");
		goto done;
	}
	(void)reserved;
	if ((error = signed_data(&tosign, ns, hashalg, data, len)) < 0)
		goto done;
	if (crypto_sign_verify_detached(sig, (const unsigned char *)tosign.ptr, tosign.size,
	                                pk.bytes) != 0) {
		error = fail("the signature does not match the signed data (bad signature)");
		goto done;
	}
	if (signer)
		*signer = pk;
	error = 0;
done:
	gitchat_buf_dispose(&tosign);
	if (bin)
		gitchat_armor_free(bin, 0);
	return error;
}
