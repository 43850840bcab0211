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
	if ((error = gitchat_key_sign_raw(raw, key, tosign.ptr, tosign.size)) < 0)
		goto done;
	error = GITCHAT_ENOMEM;
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

/* One signature, as read from its armor. */
typedef struct {
	gitchat_pubkey key;
	const unsigned char *ns; size_t nslen;
	char hashalg[8];
	const unsigned char *sig;   /* crypto_sign_BYTES */
} sshsig_parts;

/* The blob's head: magic, version, the signer's key. The key blob of an
 * ed25519 key is 51 bytes, so the head is the first SSHSIG_HEAD bytes. */
#define SSHSIG_HEAD (6 + 4 + 4 + 51)

static int parse_head(sshsig_parts *out, gitchat_reader *r)
{
	const unsigned char *magic, *pubblob;
	size_t publen;
	uint32_t version;

	if (gitchat_reader_bytes(r, &magic, 6) < 0 || memcmp(magic, SSHSIG_MAGIC, 6) != 0)
		return fail("the signature does not start with 'SSHSIG'");
	if (gitchat_reader_u32(r, &version) < 0 || version != SSHSIG_VERSION)
		return fail("the signature has an unknown SSHSIG version");
	if (gitchat_reader_string(r, &pubblob, &publen) < 0)
		return fail("the signature blob is truncated or has trailing data");
	if (gitchat_pubkey_parse_blob(&out->key, pubblob, publen) < 0)
		return fail("the signature is not made with an ed25519 key");
	return 0;
}

/* The rest of the blob: every field exactly as ssh-keygen writes it (a
 * byte changed in a field the signature does not cover, such as the
 * reserved string, would give a second encoding of the same signature). */
static int parse_rest(sshsig_parts *out, gitchat_reader *r)
{
	const unsigned char *reserved, *halg, *sigblob;
	size_t reslen, halglen, sigbloblen, siglen;
	gitchat_reader sr;

	if (gitchat_reader_string(r, &out->ns, &out->nslen) < 0 ||
	    gitchat_reader_string(r, &reserved, &reslen) < 0 ||
	    gitchat_reader_string(r, &halg, &halglen) < 0 ||
	    gitchat_reader_string(r, &sigblob, &sigbloblen) < 0 || r->left != 0)
		return fail("the signature blob is truncated or has trailing data");
	if (reslen != 0)
		return fail("the signature's reserved field is not empty");
	/* DESIGN.md: sha512 only. ssh-keygen can also sign with sha256 (-O
	 * hashalg=sha256): a second valid signature of one payload, so a second
	 * commit id for one message. */
	if (!(halglen == 6 && memcmp(halg, "sha512", 6) == 0))
		return fail("the signature's hash is not sha512");
	memcpy(out->hashalg, halg, 6);
	out->hashalg[6] = '\0';
	sr.p = sigblob;
	sr.left = sigbloblen;
	if (gitchat_reader_expect(&sr, GITCHAT_SSH_ED25519) < 0 ||
	    gitchat_reader_string(&sr, &out->sig, &siglen) < 0 ||
	    siglen != crypto_sign_BYTES || sr.left != 0)
		return fail("the signature value is not an ed25519 signature");
	return 0;
}

/* The one SSHSIG reader: verification and gitchat_sshsig_signer both go
 * through it, so that nothing reads a signature another way. Whole: the
 * armor and every field, *bin holds the blob the parts point into (the
 * caller frees it). Head only (bin NULL): the same check of the armor's
 * layout, then only the lines that hold the key are decoded, since the
 * merger reads the signers of many commits verified before. */
static int parse(sshsig_parts *out, unsigned char **bin, const char *armored, size_t len)
{
	unsigned char head[SSHSIG_HEAD];
	gitchat_reader r;
	size_t binlen = 0;
	int error;

	if (len > SSHSIG_ARMOR_MAX)
		return fail("the signature is too large to be an ed25519 SSH signature");
	error = bin ? gitchat_armor_decode(bin, &binlen, SSHSIG_LABEL, armored, len,
	                                   GITCHAT_ARMOR_EXACT)
	            : gitchat_armor_decode_head(head, sizeof(head), SSHSIG_LABEL, armored, len);
	if (error == GITCHAT_ENOMEM)
		return error;
	if (error < 0)
		return fail("the signature is not armored exactly as ssh-keygen writes it "
		            "('-----BEGIN SSH SIGNATURE-----', base64 in lines of 70 columns, "
		            "'-----END SSH SIGNATURE-----', nothing else)");
	r.p = bin ? *bin : head;
	r.left = bin ? binlen : sizeof(head);
	if ((error = parse_head(out, &r)) < 0 || !bin)
		return error;
	return parse_rest(out, &r);
}

int gitchat_sshsig_signer(gitchat_pubkey *signer, const char *armored, size_t armored_len)
{
	sshsig_parts parts;
	int error = parse(&parts, NULL, armored, armored_len);

	if (error == 0)
		*signer = parts.key;
	return error;
}

int gitchat_sshsig_verify(gitchat_pubkey *signer, const char *armored, size_t armored_len,
                          const char *ns, const void *data, size_t len)
{
	sshsig_parts parts;
	unsigned char *bin = NULL;
	gitchat_buf tosign = GITCHAT_BUF_INIT;
	int error;

	if ((error = parse(&parts, &bin, armored, armored_len)) < 0)
		goto done;
	if (parts.nslen != strlen(ns) || memcmp(parts.ns, ns, parts.nslen) != 0) {
		error = gitchat_error_set(GITCHAT_EVERIFY,
			"the signature is for another namespace than '%s'", ns);
		goto done;
	}
	if ((error = signed_data(&tosign, ns, parts.hashalg, data, len)) < 0)
		goto done;
	if (crypto_sign_verify_detached(parts.sig, (const unsigned char *)tosign.ptr, tosign.size,
	                                parts.key.bytes) != 0) {
		error = fail("the signature does not match the signed data (bad signature)");
		goto done;
	}
	if (signer)
		*signer = parts.key;
	error = 0;
done:
	gitchat_buf_dispose(&tosign);
	gitchat_armor_free(bin, 0);
	return error;
}
