/*
 * ed25519 identities in the OpenSSH private key format (PROTOCOL.key):
 *
 *   "openssh-key-v1\0" string(cipher "none") string(kdf "none") string("")
 *   u32(1) string(public blob) string(private section)
 *   private section = u32 check u32 check string("ssh-ed25519") string(pk32)
 *                     string(seed32 || pk32) string(comment) pad 1,2,3...
 *
 * The public blob is string("ssh-ed25519") string(pk32).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "gitchat/key.h"
#include "crypto/agent.h"
#include "crypto/armor.h"
#include "crypto/key_internal.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#define KEY_MAGIC "openssh-key-v1"
#define KEY_LABEL "OPENSSH PRIVATE KEY"
#define KEY_FILE_MAX (64 * 1024)
#define KEY_BLOCKSIZE 8
#define KEY_PAD_MAX 16

static gitchat_key *key_alloc(void)
{
	gitchat_key *key = calloc(1, sizeof(*key));
	if (!key)
		return NULL;
	if (!(key->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES))) {
		free(key);
		return NULL;
	}
	return key;
}

void gitchat_key_free(gitchat_key *key)
{
	if (!key)
		return;
	sodium_free(key->sk); /* wipes before freeing */
	free(key->comment);
	free(key->agent_sock);
	free(key->path);
	free(key);
}

int gitchat_key_sign_raw(unsigned char sig[64], const gitchat_key *key, const void *data,
                         size_t len)
{
	char *sock = NULL;
	int error;

	if (key->sk) {
		crypto_sign_detached(sig, NULL, data, len, key->sk);
		return 0;
	}
	if ((error = gitchat_agent_socket(&sock, key->agent_sock, &key->pk, key->path,
	                                   key->encrypted)) == 0)
		error = gitchat_agent_sign(sig, sock, &key->pk, key->path, data, len);
	free(sock);
	return error;
}

int gitchat_key_generate(gitchat_key **out, const char *comment)
{
	gitchat_key *key = key_alloc();

	*out = NULL;
	if (!key || !(key->comment = strdup(comment ? comment : ""))) {
		gitchat_key_free(key);
		return gitchat_error_oom();
	}
	crypto_sign_keypair(key->pk.bytes, key->sk);
	*out = key;
	return 0;
}

const gitchat_pubkey *gitchat_key_public(const gitchat_key *key)
{
	return &key->pk;
}

const char *gitchat_key_comment(const gitchat_key *key)
{
	return key->comment ? key->comment : "";
}

int gitchat_pubkey_blob(gitchat_buf *out, const gitchat_pubkey *pk)
{
	if (gitchat_buf_put_string(out, GITCHAT_SSH_ED25519, strlen(GITCHAT_SSH_ED25519)) < 0 ||
	    gitchat_buf_put_string(out, pk->bytes, GITCHAT_PUBKEY_SIZE) < 0)
		return GITCHAT_ENOMEM;
	return 0;
}

int gitchat_pubkey_parse_blob(gitchat_pubkey *out, const unsigned char *blob, size_t len)
{
	gitchat_reader r = { blob, len };
	const unsigned char *pk;
	size_t pklen;

	if (gitchat_reader_expect(&r, GITCHAT_SSH_ED25519) < 0 ||
	    gitchat_reader_string(&r, &pk, &pklen) < 0 ||
	    pklen != GITCHAT_PUBKEY_SIZE || r.left != 0)
		return GITCHAT_EINVALID;
	memcpy(out->bytes, pk, GITCHAT_PUBKEY_SIZE);
	return 0;
}

/* The key type named at the start of a public blob, for error messages. */
static void blob_type(char *out, size_t outlen, const unsigned char *blob, size_t len)
{
	gitchat_reader r = { blob, len };
	const unsigned char *t;
	size_t tlen;
	size_t i;

	snprintf(out, outlen, "unknown");
	if (gitchat_reader_string(&r, &t, &tlen) < 0 || tlen == 0 || tlen >= outlen)
		return;
	for (i = 0; i < tlen; i++)
		if (t[i] < 0x21 || t[i] > 0x7e)
			return;
	memcpy(out, t, tlen);
	out[tlen] = '\0';
}

static int parse_private(gitchat_key *key, gitchat_reader *r, const unsigned char *outer_pk,
                         const char *label)
{
	uint32_t check1, check2;
	const unsigned char *pk, *sk, *comment, *pad;
	size_t pklen, sklen, clen, i;
	unsigned char derived_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char *derived_sk = NULL;
	int error = GITCHAT_EINVALID;

	if (gitchat_reader_u32(r, &check1) < 0 || gitchat_reader_u32(r, &check2) < 0)
		goto corrupt;
	if (check1 != check2)
		goto corrupt;
	if (gitchat_reader_expect(r, GITCHAT_SSH_ED25519) < 0 ||
	    gitchat_reader_string(r, &pk, &pklen) < 0 || pklen != 32 ||
	    gitchat_reader_string(r, &sk, &sklen) < 0 || sklen != 64 ||
	    gitchat_reader_string(r, &comment, &clen) < 0)
		goto corrupt;
	/* Padding is 1, 2, 3, ... short of a cipher block: 8 bytes for
	 * "none" as ssh-keygen writes it, 16 as libssh pads it (an AES block;
	 * crypto/unlock.c reads libssh's export). */
	if (r->left >= KEY_PAD_MAX)
		goto corrupt;
	for (i = 0; i < r->left; i++)
		if (r->p[i] != i + 1)
			goto corrupt;
	(void)pad;
	/* The secret half must really belong to the public half. */
	if (!(derived_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)))
		return gitchat_error_oom();
	crypto_sign_seed_keypair(derived_pk, derived_sk, sk);
	if (sodium_memcmp(derived_pk, pk, 32) != 0 || sodium_memcmp(sk + 32, pk, 32) != 0)
		goto corrupt;
	/* And to the public key the file shows in the clear (ssh-keygen
	 * refuses a file whose halves disagree, and so do we). */
	if (sodium_memcmp(outer_pk, pk, 32) != 0) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"key '%s' is corrupt: its public and private halves are different keys; "
			"restore it from a backup or create a new one with 'git chat keygen'", label);
		goto done;
	}
	memcpy(key->pk.bytes, pk, 32);
	memcpy(key->sk, sk, 64);
	if (!(key->comment = strndup((const char *)comment, clen))) {
		error = gitchat_error_oom();
		goto done;
	}
	error = 0;
	goto done;
corrupt:
	error = gitchat_error_set(GITCHAT_EINVALID,
		"key '%s' is corrupt: its private section does not decode to a consistent "
		"ed25519 key; restore it from a backup or create a new one with 'git chat keygen'",
		label);
done:
	sodium_free(derived_sk);
	return error;
}

/* The key file's contents: the whole key into *out, or with `out` NULL only
 * the public half the file shows in the clear (also when a passphrase
 * protects the rest) into *pub_only, and whether it is so protected. */
static int parse_file(gitchat_key **out, gitchat_pubkey *pub_only, int *encrypted,
                      const char *data, size_t len, const char *label)
{
	gitchat_key *key = NULL;
	unsigned char *bin = NULL;
	size_t binlen = 0;
	gitchat_reader r, pub;
	const unsigned char *magic, *cipher, *kdf, *kdfopts, *pubblob, *priv, *outer_pk;
	size_t cipherlen, kdflen, kdfoptslen, publen, privlen, outer_pklen;
	uint32_t nkeys;
	char type[64];
	int error;

	if (out)
		*out = NULL;
	if (len > KEY_FILE_MAX)
		return gitchat_error_set(GITCHAT_EINVALID,
			"key '%s' is larger than %d bytes: it is not an ed25519 private key",
			label, KEY_FILE_MAX);
	if (gitchat_armor_decode(&bin, &binlen, KEY_LABEL, data, len, GITCHAT_ARMOR_SECRET) < 0) {
		if (memmem(data, len, "-----BEGIN " KEY_LABEL "-----", strlen("-----BEGIN " KEY_LABEL "-----")))
			return gitchat_error_set(GITCHAT_EINVALID,
				"key '%s' is corrupt: its '-----BEGIN %s-----' block is truncated or "
				"damaged; restore it from a backup or create a new one with 'git chat keygen'",
				label, KEY_LABEL);
		if (memmem(data, len, "-----BEGIN ", 11) && memmem(data, len, "PRIVATE KEY-----", 16))
			return gitchat_error_set(GITCHAT_EUNSUPPORTED,
				"key '%s' is a PEM private key, not an ed25519 key in OpenSSH format; "
				"create one with 'git chat keygen' or 'ssh-keygen -t ed25519'", label);
		if (len > 12 && (memcmp(data, "ssh-", 4) == 0 || memcmp(data, "ecdsa-", 6) == 0))
			return gitchat_error_set(GITCHAT_EINVALID,
				"key '%s' is a public key; give the private key file instead "
				"(the same path without '.pub')", label);
		return gitchat_error_set(GITCHAT_EINVALID,
			"key '%s' is not an OpenSSH private key (no valid '-----BEGIN %s-----' "
			"block); create one with 'git chat keygen'", label, KEY_LABEL);
	}
	r.p = bin;
	r.left = binlen;
	if (gitchat_reader_bytes(&r, &magic, sizeof(KEY_MAGIC)) < 0 ||
	    memcmp(magic, KEY_MAGIC, sizeof(KEY_MAGIC)) != 0 ||
	    gitchat_reader_string(&r, &cipher, &cipherlen) < 0 ||
	    gitchat_reader_string(&r, &kdf, &kdflen) < 0 ||
	    gitchat_reader_string(&r, &kdfopts, &kdfoptslen) < 0 ||
	    gitchat_reader_u32(&r, &nkeys) < 0) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"key '%s' is corrupt: its header is not 'openssh-key-v1'; "
			"restore it from a backup or create a new one with 'git chat keygen'", label);
		goto done;
	}
	if (nkeys != 1 || gitchat_reader_string(&r, &pubblob, &publen) < 0) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"key '%s' is corrupt: it must hold exactly one key", label);
		goto done;
	}
	pub.p = pubblob;
	pub.left = publen;
	if (gitchat_reader_expect(&pub, GITCHAT_SSH_ED25519) < 0) {
		blob_type(type, sizeof(type), pubblob, publen);
		error = gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"key '%s' is an %s key; git-chat identities are ed25519 keys "
			"(create one with 'git chat keygen' or 'ssh-keygen -t ed25519')", label, type);
		goto done;
	}
	if (gitchat_reader_string(&pub, &outer_pk, &outer_pklen) < 0 || outer_pklen != 32 ||
	    pub.left != 0) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"key '%s' is corrupt: its public key is damaged", label);
		goto done;
	}
	if (!out) {
		memcpy(pub_only->bytes, outer_pk, 32);
		*encrypted = cipherlen != 4 || memcmp(cipher, "none", 4) != 0;
		error = 0;
		goto done;
	}
	if (cipherlen != 4 || memcmp(cipher, "none", 4) != 0 ||
	    kdflen != 4 || memcmp(kdf, "none", 4) != 0) {
		error = gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"key '%s' is protected by a passphrase: git-chat signs with it through "
			"ssh-agent (load it with 'ssh-add %s'), and decrypts it only to read "
			"private rooms", label, label);
		goto done;
	}
	if (gitchat_reader_string(&r, &priv, &privlen) < 0 || r.left != 0 ||
	    privlen % KEY_BLOCKSIZE != 0) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"key '%s' is corrupt: truncated or trailing data", label);
		goto done;
	}
	if (!(key = key_alloc())) {
		error = gitchat_error_oom();
		goto done;
	}
	r.p = priv;
	r.left = privlen;
	if ((error = parse_private(key, &r, outer_pk, label)) < 0)
		goto done;
	*out = key;
	key = NULL;
done:
	gitchat_key_free(key);
	if (bin)
		gitchat_armor_free(bin, 1);
	return error;
}

int gitchat_key_parse(gitchat_key **out, const char *data, size_t len, const char *label)
{
	return parse_file(out, NULL, NULL, data, len, label);
}

static int read_key_file(gitchat_buf *data, const char *path)
{
	int error;

	/* Never blocks (a FIFO is refused, not waited on); the limit is the
	 * parser's own. */
	if ((error = gitchat_fs_read(data, path, KEY_FILE_MAX)) < 0) {
		if (error == GITCHAT_ENOTFOUND)
			gitchat_error_set(error,
				"no key at '%s': create one with 'git chat keygen', or name an "
				"existing one with --key, GIT_CHAT_KEY, git config chat.key, or git's "
				"user.signingKey with gpg.format=ssh", path);
		else if (error == GITCHAT_EINVALID)
			gitchat_error_set(error, "cannot use key '%s': %s; it is not an ed25519 "
			                  "private key", path, gitchat_error_last()->message);
	}
	return error;
}

int gitchat_key_load(gitchat_key **out, const char *path)
{
	gitchat_buf data = GITCHAT_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = read_key_file(&data, path)) == 0)
		error = gitchat_key_parse(out, data.ptr, data.size, path);
	gitchat_buf_dispose_secure(&data);
	return error;
}

/* A key that signs through ssh-agent: the public half only. */
static int agent_key(gitchat_key **out, const gitchat_pubkey *pk, const char *comment,
                     const char *path, int encrypted)
{
	gitchat_key *key = calloc(1, sizeof(*key));

	if (!key || !(key->comment = strdup(comment ? comment : "")) ||
	    (path && !(key->path = strdup(path)))) {
		gitchat_key_free(key);
		return gitchat_error_oom();
	}
	key->pk = *pk;
	key->agent = 1;
	key->encrypted = encrypted;
	*out = key;
	return 0;
}

static int is_public_line(const char *data, size_t len)
{
	return (len > 4 && !memcmp(data, "ssh-", 4)) || (len > 6 && !memcmp(data, "ecdsa-", 6)) ||
	       (len > 3 && !memcmp(data, "sk-", 3));
}

/* A public key file: the agent signs; `ssh-add` wants the private key's
 * path, which is the .pub's without its suffix. */
static int open_public_file(gitchat_key **out, const char *path, const gitchat_buf *data)
{
	gitchat_buf comment = GITCHAT_BUF_INIT, label = GITCHAT_BUF_INIT;
	gitchat_buf priv = GITCHAT_BUF_INIT;
	size_t n = strlen(path);
	gitchat_pubkey pk;
	int error;

	if ((error = gitchat_buf_printf(&label, "'%s'", path)) < 0 ||
	    (error = gitchat_pubkey_parse_line(&pk, &comment, data->ptr, strcspn(data->ptr, "\n"),
	                                       label.ptr)) < 0)
		goto done;
	if (n > 4 && !strcmp(path + n - 4, ".pub") &&
	    (error = gitchat_buf_put(&priv, path, n - 4)) < 0)
		goto done;
	error = agent_key(out, &pk, comment.ptr, priv.size ? priv.ptr : NULL, 0);
done:
	gitchat_buf_dispose(&comment);
	gitchat_buf_dispose(&label);
	gitchat_buf_dispose(&priv);
	return error;
}

/* A private key file protected by a passphrase: the agent signs with it,
 * named by the public half the file shows in the clear; the comment comes
 * from the .pub beside it when that holds the same key. */
static int open_encrypted_file(gitchat_key **out, const char *path, const gitchat_pubkey *pk)
{
	gitchat_buf comment = GITCHAT_BUF_INIT, pub = GITCHAT_BUF_INIT;
	gitchat_pubkey beside;
	int error;

	if ((error = gitchat_buf_printf(&pub, "%s.pub", path)) < 0)
		goto done;
	if (gitchat_pubkey_load_file(&beside, &comment, pub.ptr) < 0 ||
	    gitchat_pubkey_cmp(&beside, pk) != 0)
		gitchat_buf_clear(&comment);
	gitchat_error_clear();
	error = agent_key(out, pk, comment.ptr, path, 1);
done:
	gitchat_buf_dispose(&comment);
	gitchat_buf_dispose(&pub);
	return error;
}

int gitchat_key_open(gitchat_key **out, const char *location)
{
	gitchat_buf data = GITCHAT_BUF_INIT, comment = GITCHAT_BUF_INIT;
	gitchat_pubkey pk;
	int error, encrypted = 0;

	*out = NULL;
	if (!strncmp(location, "key::", 5)) {
		if ((error = gitchat_pubkey_parse_line(&pk, &comment, location + 5, strlen(location + 5),
		                                       "the key:: literal")) == 0)
			error = agent_key(out, &pk, comment.ptr, NULL, 0);
		goto done;
	}
	if ((error = read_key_file(&data, location)) < 0)
		goto done;
	if (is_public_line(data.ptr, data.size)) {
		error = open_public_file(out, location, &data);
		goto done;
	}
	if ((error = parse_file(NULL, &pk, &encrypted, data.ptr, data.size, location)) < 0)
		goto done;
	error = encrypted ? open_encrypted_file(out, location, &pk)
	                  : gitchat_key_parse(out, data.ptr, data.size, location);
done:
	gitchat_buf_dispose_secure(&data);
	gitchat_buf_dispose(&comment);
	return error;
}

int gitchat_key_agent_signs(const gitchat_key *key)
{
	return key->agent && !key->sk;
}

const char *gitchat_key_path(const gitchat_key *key)
{
	return key->path;
}

int gitchat_key_agent_check(const gitchat_key *key)
{
	char *sock = NULL;
	int error;

	if (!gitchat_key_agent_signs(key))
		return 0;
	if ((error = gitchat_agent_socket(&sock, key->agent_sock, &key->pk, key->path,
	                                   key->encrypted)) == 0)
		error = gitchat_agent_check(sock, &key->pk, key->path);
	free(sock);
	return error;
}

static int serialize_private(gitchat_buf *out, const gitchat_key *key)
{
	gitchat_buf priv = GITCHAT_BUF_INIT, pub = GITCHAT_BUF_INIT;
	uint32_t check = randombytes_random();
	const char *comment = gitchat_key_comment(key);
	unsigned char pad = 1;
	int error = GITCHAT_ENOMEM;

	if (gitchat_pubkey_blob(&pub, &key->pk) < 0)
		goto done;
	if (gitchat_buf_put_u32(&priv, check) < 0 || gitchat_buf_put_u32(&priv, check) < 0 ||
	    gitchat_buf_put_string(&priv, GITCHAT_SSH_ED25519, strlen(GITCHAT_SSH_ED25519)) < 0 ||
	    gitchat_buf_put_string(&priv, key->pk.bytes, 32) < 0 ||
	    gitchat_buf_put_string(&priv, key->sk, 64) < 0 ||
	    gitchat_buf_put_string(&priv, comment, strlen(comment)) < 0)
		goto done;
	while (priv.size % KEY_BLOCKSIZE)
		if (gitchat_buf_put(&priv, &pad, 1) < 0)
			goto done;
		else
			pad++;
	if (gitchat_buf_put(out, KEY_MAGIC, sizeof(KEY_MAGIC)) < 0 ||
	    gitchat_buf_put_string(out, "none", 4) < 0 ||
	    gitchat_buf_put_string(out, "none", 4) < 0 ||
	    gitchat_buf_put_string(out, "", 0) < 0 ||
	    gitchat_buf_put_u32(out, 1) < 0 ||
	    gitchat_buf_put_string(out, pub.ptr, pub.size) < 0 ||
	    gitchat_buf_put_string(out, priv.ptr, priv.size) < 0)
		goto done;
	error = 0;
done:
	gitchat_buf_dispose_secure(&priv);
	gitchat_buf_dispose(&pub);
	return error;
}

int gitchat_key_write(const gitchat_key *key, const char *path, unsigned int flags)
{
	gitchat_buf raw = GITCHAT_BUF_INIT, armored = GITCHAT_BUF_INIT;
	gitchat_buf publine = GITCHAT_BUF_INIT, pubpath = GITCHAT_BUF_INIT;
	int force = (flags & GITCHAT_KEY_WRITE_FORCE) != 0;
	struct stat st;
	int error;

	if ((error = serialize_private(&raw, key)) < 0 ||
	    (error = gitchat_armor_encode(&armored, KEY_LABEL,
	                                  (const unsigned char *)raw.ptr, raw.size, 1)) < 0)
		goto done;
	if ((error = gitchat_pubkey_line(&publine, &key->pk, gitchat_key_comment(key))) < 0 ||
	    (error = gitchat_buf_putc(&publine, '\n')) < 0 ||
	    (error = gitchat_buf_printf(&pubpath, "%s.pub", path)) < 0)
		goto done;
	/* Check the .pub before writing anything, so that a refusal leaves no
	 * private key without its public half. lstat: a dangling link counts. */
	if (lstat(pubpath.ptr, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			error = gitchat_error_set(GITCHAT_EINVALID,
				"'%s' is a symbolic link; refusing to write a key through it", pubpath.ptr);
			goto done;
		}
		if (!force) {
			error = gitchat_error_set(GITCHAT_EEXISTS,
				"'%s' already exists; use --force to replace it", pubpath.ptr);
			goto done;
		}
	}
	if ((error = gitchat_fs_write_new(path, armored.ptr, armored.size, 0600, force)) < 0)
		goto done;
	error = gitchat_fs_write_new(pubpath.ptr, publine.ptr, publine.size, 0644, 1);
done:
	gitchat_buf_dispose_secure(&raw);
	gitchat_buf_dispose_secure(&armored);
	gitchat_buf_dispose(&publine);
	gitchat_buf_dispose(&pubpath);
	return error;
}

void gitchat_pubkey_hex(char out[GITCHAT_PUBKEY_HEXSIZE], const gitchat_pubkey *pk)
{
	sodium_bin2hex(out, GITCHAT_PUBKEY_HEXSIZE, pk->bytes, GITCHAT_PUBKEY_SIZE);
}

int gitchat_pubkey_from_hex(gitchat_pubkey *out, const char *hex)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return GITCHAT_EINVALID;
	if (hex[64] != '\0')
		return GITCHAT_EINVALID;
	if (sodium_hex2bin(out->bytes, 32, hex, 64, NULL, NULL, NULL) != 0)
		return GITCHAT_EINVALID;
	return 0;
}

void gitchat_pubkey_fingerprint(char out[GITCHAT_FINGERPRINT_SIZE], const gitchat_pubkey *pk)
{
	unsigned char blob[4 + 11 + 4 + 32];
	unsigned char digest[crypto_hash_sha256_BYTES];

	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memcpy(blob + 19, pk->bytes, 32);
	crypto_hash_sha256(digest, blob, sizeof(blob));
	memcpy(out, "SHA256:", 7);
	sodium_bin2base64(out + 7, GITCHAT_FINGERPRINT_SIZE - 7, digest, sizeof(digest),
	                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

int gitchat_pubkey_line(gitchat_buf *out, const gitchat_pubkey *pk, const char *comment)
{
	gitchat_buf blob = GITCHAT_BUF_INIT;
	char b64[sodium_base64_ENCODED_LEN(51, sodium_base64_VARIANT_ORIGINAL)];
	int error;

	if ((error = gitchat_pubkey_blob(&blob, pk)) < 0)
		goto done;
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)blob.ptr, blob.size,
	                  sodium_base64_VARIANT_ORIGINAL);
	error = gitchat_buf_printf(out, "%s %s%s%s", GITCHAT_SSH_ED25519, b64,
	                           comment && *comment ? " " : "", comment ? comment : "");
done:
	gitchat_buf_dispose(&blob);
	return error;
}

int gitchat_pubkey_cmp(const gitchat_pubkey *a, const gitchat_pubkey *b)
{
	return memcmp(a->bytes, b->bytes, GITCHAT_PUBKEY_SIZE);
}

/* The key type a public key line names ("ssh-rsa", "ecdsa-sha2-nistp256"),
 * printable and short, for the error that refuses it. */
static void line_type(char *out, size_t outlen, const char *line, size_t len)
{
	size_t n = 0;

	while (n < len && n + 1 < outlen && line[n] > 0x20 && line[n] < 0x7f)
		n++;
	memcpy(out, line, n);
	out[n] = '\0';
}

/* Bounded: the fuzzer found a 6-byte compare on a 5-byte line. */
static int has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len > n && !memcmp(s, prefix, n);
}

int gitchat_pubkey_parse_line(gitchat_pubkey *out, gitchat_buf *comment, const char *line,
                              size_t len, const char *label)
{
	const size_t tlen = strlen(GITCHAT_SSH_ED25519);
	unsigned char blob[128];
	size_t bloblen, n, rest;
	const char *b64, *c;
	char type[64];

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > tlen + 1 && !memcmp(line, GITCHAT_SSH_ED25519, tlen) &&
	    (line[tlen] == ' ' || line[tlen] == '\t')) {
		b64 = line + tlen + 1;
		rest = len - tlen - 1;
		for (n = 0; n < rest && b64[n] != ' ' && b64[n] != '\t'; n++)
			if (b64[n] == '\n' || b64[n] == '\r' || b64[n] == '\0')
				goto invalid;
		if (n == 0 || gitchat_base64_decode(blob, sizeof(blob), &bloblen, b64, n,
		                                    GITCHAT_BASE64_PADDED) < 0 ||
		    gitchat_pubkey_parse_blob(out, blob, bloblen) < 0)
			goto invalid;
		if (!comment)
			return 0;
		for (c = b64 + n; c < line + len && (*c == ' ' || *c == '\t'); c++)
			;
		gitchat_buf_clear(comment);
		return gitchat_buf_put(comment, c, (size_t)(line + len - c)) < 0 ? GITCHAT_ENOMEM : 0;
	}
	if (has_prefix(line, len, "ssh-") || has_prefix(line, len, "ecdsa-") ||
	    has_prefix(line, len, "sk-")) {
		line_type(type, sizeof(type), line, len);
		return gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"%s is an %s key; git-chat identities are ed25519 keys (create one with "
			"'git chat keygen' or 'ssh-keygen -t ed25519')", label, type);
	}
invalid:
	return gitchat_error_set(GITCHAT_EINVALID,
		"%s is not an ed25519 public key line ('ssh-ed25519 AAAA...')", label);
}

int gitchat_pubkey_load_file(gitchat_pubkey *out, gitchat_buf *comment, const char *path)
{
	gitchat_buf data = GITCHAT_BUF_INIT, label = GITCHAT_BUF_INIT;
	size_t n;
	int error;

	if ((error = gitchat_fs_read(&data, path, 16 * 1024)) < 0) {
		if (error == GITCHAT_ENOTFOUND)
			gitchat_error_set(error, "no public key at '%s'", path);
		goto done;
	}
	/* The first line: ssh-keygen writes one, authorized_keys style. */
	n = strcspn(data.ptr, "\n");
	if ((error = gitchat_buf_printf(&label, "'%s'", path)) == 0)
		error = gitchat_pubkey_parse_line(out, comment, data.ptr, n, label.ptr);
done:
	gitchat_buf_dispose(&data);
	gitchat_buf_dispose(&label);
	return error;
}

int gitchat_pubkey_load(gitchat_pubkey *out, const char *keypath)
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	int error;

	if ((error = gitchat_buf_printf(&path, "%s.pub", keypath)) == 0)
		error = gitchat_pubkey_load_file(out, NULL, path.ptr);
	gitchat_buf_dispose(&path);
	return error;
}
