/*
 * SSHSIG (issue 2, "What it must show" 1): our signatures are byte-identical
 * to ssh-keygen's, ssh-keygen and stock git accept ours, we accept theirs,
 * and we reject every kind of forgery or damage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

typedef struct {
	const char *name;
	const char *data;
	size_t len;
} payload_case;

static char *big_text(size_t n)
{
	char *s = t_keep(malloc(n + 1));
	for (size_t i = 0; i < n; i++)
		s[i] = (i % 71 == 70) ? '\n' : (char)('a' + i % 26);
	s[n] = '\0';
	return s;
}

/* Empty, short, a commit, binary with NUL and 0xff, and 200 KB. */
static size_t payloads(payload_case out[5])
{
	static char *big;
	static const char binary[] = "\0\xff\x01zz\0\n\x80";

	if (!big)
		big = big_text(200 * 1024);
	out[0] = (payload_case){ "empty", "", 0 };
	out[1] = (payload_case){ "short", "hello\n", 6 };
	out[2] = (payload_case){ "commit",
		"tree " EMPTY_TREE "\nauthor A <a@example.org> 1764150000 +0000\n"
		"committer A <a@example.org> 1764150000 +0000\nchat-room general\n\nhi\n", 0 };
	out[2].len = strlen(out[2].data);
	out[3] = (payload_case){ "binary", binary, sizeof(binary) - 1 };
	out[4] = (payload_case){ "200k", big, strlen(big) };
	return 5;
}

static gitchat_key *load(const char *path)
{
	gitchat_key *k = NULL;
	cr_assert(gitchat_init() == 0);
	cr_assert_eq(gitchat_key_load(&k, path), 0, "load %s: %s", path,
	             gitchat_error_last()->message);
	return t_keep(k);
}

static char *sign(const gitchat_key *k, const char *ns, const void *data, size_t len)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	char *out;
	cr_assert_eq(gitchat_sshsig_sign(&b, k, ns, data, len), 0);
	out = t_strndup(b.ptr, b.size);
	gitchat_buf_dispose(&b);
	return out;
}

static void assert_same_as_sshkeygen(const char *keypath)
{
	gitchat_key *k = load(keypath);
	payload_case p[5];
	size_t n = payloads(p);

	for (size_t i = 0; i < n; i++) {
		char *ours = sign(k, "git", p[i].data, p[i].len);
		char *theirs = t_sign_sshkeygen(keypath, "git", p[i].data, p[i].len);
		cr_assert_str_eq(ours, theirs, "payload %s, key %s:\nours:\n%s\nssh-keygen:\n%s",
		                 p[i].name, keypath, ours, theirs);
		free(ours);
		free(theirs);
	}
	gitchat_key_free(k);
}

Test(sshsig, byte_identical_with_sshkeygen_keys)
{
	const char *dir = t_scratch();
	char *k1 = t_keygen(dir, "k1", 0);
	char *k2 = t_path(dir, "nocomment");
	t_run r = t_sh("ssh-keygen -q -t ed25519 -N '' -C '' -f '%s'", k2);

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	assert_same_as_sshkeygen(k1);
	assert_same_as_sshkeygen(k2);
}

Test(sshsig, byte_identical_with_our_keys)
{
	const char *dir = t_scratch();
	char *cli_key = t_keygen(dir, "cli", 1);
	char *lib_key = t_path(dir, "lib");
	gitchat_key *k = NULL;

	cr_assert(gitchat_init() == 0);
	cr_assert_eq(gitchat_key_generate(&k, "lib@test"), 0);
	cr_assert_eq(gitchat_key_write(k, lib_key, 0), 0, "%s", gitchat_error_last()->message);
	gitchat_key_free(k);
	assert_same_as_sshkeygen(cli_key);
	assert_same_as_sshkeygen(lib_key);
}

static void write_allowed(const char *path, const char *principal, const gitchat_key *k)
{
	gitchat_buf line = GITCHAT_BUF_INIT;
	cr_assert(gitchat_buf_printf(&line, "%s namespaces=\"git\" ", principal) == 0);
	cr_assert(gitchat_pubkey_line(&line, gitchat_key_public(k), NULL) == 0);
	cr_assert(gitchat_buf_puts(&line, "\n") == 0);
	t_write_file(path, line.ptr, line.size);
	gitchat_buf_dispose(&line);
}

Test(sshsig, sshkeygen_verify_accepts_ours)
{
	const char *dir = t_scratch();
	char *keypath = t_keygen(dir, "k", 1);
	char *allowed = t_path(dir, "allowed"), *data = t_path(dir, "data");
	char *sigf = t_path(dir, "data.sig"), *other = t_path(dir, "other");
	gitchat_key *k = load(keypath);
	payload_case p[5];
	size_t n = payloads(p);
	t_run r;

	write_allowed(allowed, "me@example.org", k);
	for (size_t i = 0; i < n; i++) {
		char *ours = sign(k, "git", p[i].data, p[i].len);
		t_write_file(data, p[i].data, p[i].len);
		t_write_file(sigf, ours, strlen(ours));
		r = t_sh("ssh-keygen -Y verify -f '%s' -I me@example.org -n git -s '%s' < '%s'",
		         allowed, sigf, data);
		cr_assert_eq(r.status, 0, "payload %s: %s%s", p[i].name, r.out, r.err);
		t_assert_contains(r.out, "Good \"git\" signature for me@example.org");
		t_run_free(&r);
		/* The same signature over other bytes: ssh-keygen must refuse. */
		t_write_file(other, "tampered", 8);
		r = t_sh("ssh-keygen -Y verify -f '%s' -I me@example.org -n git -s '%s' < '%s'",
		         allowed, sigf, other);
		cr_assert_neq(r.status, 0, "ssh-keygen accepted a signature over other data");
		t_run_free(&r);
		/* ...and the wrong namespace. */
		r = t_sh("ssh-keygen -Y verify -f '%s' -I me@example.org -n file -s '%s' < '%s'",
		         allowed, sigf, data);
		cr_assert_neq(r.status, 0, "ssh-keygen accepted namespace 'file'");
		t_run_free(&r);
		free(ours);
	}
	gitchat_key_free(k);
}

Test(sshsig, we_verify_sshkeygen_signatures)
{
	const char *dir = t_scratch();
	char *keypath = t_keygen(dir, "k", 0);
	gitchat_key *k = load(keypath);
	payload_case p[5];
	size_t n = payloads(p);

	for (size_t i = 0; i < n; i++) {
		char *theirs = t_sign_sshkeygen(keypath, "git", p[i].data, p[i].len);
		gitchat_pubkey signer;
		memset(&signer, 0, sizeof(signer));
		cr_assert_eq(gitchat_sshsig_verify(&signer, theirs, strlen(theirs), "git",
		                                   p[i].data, p[i].len), 0,
		             "payload %s: %s", p[i].name, gitchat_error_last()->message);
		cr_assert_eq(gitchat_pubkey_cmp(&signer, gitchat_key_public(k)), 0);
		free(theirs);
	}
	gitchat_key_free(k);
}

/* A commit signed by stock git: commit-tree -S with gpg.format=ssh. */
static char *stock_commit(const char *store, const char *key, const char *parent,
                          const char *msg)
{
	char *p = NULL;
	char *oid;
	if (parent)
		p = t_fmt("-p %s", parent);
	oid = t_git(store, "-c gpg.format=ssh -c user.signingkey='%s' commit-tree -S %s -m '%s' "
	            EMPTY_TREE, key, p ? p : "", msg);
	free(p);
	cr_assert_eq(strlen(oid), 40, "commit-tree printed '%s'", oid);
	return oid;
}

static void check_stock_commit(const char *store, const char *oid, const char *keypath)
{
	gitchat_key *k = load(keypath);
	char *payload = t_commit_payload(store, oid);
	char *sig = t_commit_signature(store, oid);
	char *ours;
	gitchat_pubkey signer;

	cr_assert(sig != NULL, "stock git wrote no gpgsig header");
	cr_assert_eq(gitchat_sshsig_verify(&signer, sig, strlen(sig), "git", payload,
	                                   strlen(payload)), 0,
	             "%s", gitchat_error_last()->message);
	cr_assert_eq(gitchat_pubkey_cmp(&signer, gitchat_key_public(k)), 0);
	/* ...and ours over the same payload is what git stored. */
	ours = sign(k, "git", payload, strlen(payload));
	cr_assert_str_eq(ours, sig);
	free(ours);
	free(payload);
	free(sig);
	gitchat_key_free(k);
}

Test(sshsig, accepts_commits_signed_by_stock_git)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *sk = t_keygen(dir, "sshkeygen", 0), *ours = t_keygen(dir, "ours", 1);
	char *c1 = stock_commit(store, sk, NULL, "first");
	char *c2 = stock_commit(store, ours, c1, "second");
	gitchat_store *s = NULL;
	gitchat_message *m = NULL;
	git_oid id;

	check_stock_commit(store, c1, sk);
	check_stock_commit(store, c2, ours);

	/* Through the store: the signature is good, so what fails is the chat
	 * rule (no chat-room header), not the signature. */
	cr_assert_eq(gitchat_store_open(&s, store), 0);
	cr_assert_eq(git_oid_fromstr(&id, c2), 0);
	cr_assert_eq(gitchat_message_read(&m, s, &id, NULL), GITCHAT_EVERIFY);
	t_assert_contains(gitchat_error_last()->message, "chat-room");
	gitchat_store_free(s);
}

Test(sshsig, accepts_chat_commit_signed_by_sshkeygen)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *key = t_keygen(dir, "k", 0);
	char *ref = t_ref("general", key);
	const char *payload =
		"tree " EMPTY_TREE "\n"
		"author Sam <sam@example.org> 1764150000 +0000\n"
		"committer Sam <sam@example.org> 1764150000 +0000\n"
		"chat-room general\n"
		"\n"
		"signed by ssh-keygen\n";
	char *sig = t_sign_sshkeygen(key, "git", payload, strlen(payload));
	char *ours = t_sign_ours(key, payload, strlen(payload));
	char *text = t_commit_with_signature(payload, sig);
	char *oid = t_write_commit(store, text), *signers, *second, *parents;
	const char *verify_args[] = { "verify", NULL };
	const char *log_args[] = { "log", "--format=json", NULL };
	const char *as_args[] = { "allowed-signers", NULL };
	gitchat_store *s = NULL;
	git_oid id;
	t_run r;

	cr_assert_str_eq(ours, sig);
	free(t_git(store, "update-ref %s %s", ref, oid));

	r = t_chat(store, NULL, as_args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	signers = t_path(dir, "signers");
	t_write_file(signers, r.out, r.out_len);
	t_run_free(&r);
	r = t_sh("git --git-dir='%s' -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='%s' "
	         "verify-commit %s", store, signers, oid);
	cr_assert_eq(r.status, 0, "verify-commit: %s", r.err);
	t_assert_contains(r.err, "Good \"git\" signature for sam@example.org");
	t_run_free(&r);

	cr_assert_eq(gitchat_store_open(&s, store), 0);
	cr_assert_eq(git_oid_fromstr(&id, oid), 0);
	cr_assert_eq(gitchat_verify_commit(s, &id, "general", NULL), 0, "%s",
	             gitchat_error_last()->message);
	cr_assert_eq(gitchat_verify_commit(s, &id, "other", NULL), GITCHAT_EVERIFY);
	gitchat_store_free(s);

	r = t_chat(store, NULL, verify_args);
	cr_assert_eq(r.status, 0, "verify: %s%s", r.out, r.err);
	t_run_free(&r);
	r = t_chat(store, NULL, log_args);
	cr_assert_eq(r.status, 0, "log: %s", r.err);
	t_assert_contains(r.out, "\"text\":\"signed by ssh-keygen\"");
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);

	/* git-chat continues the log that ssh-keygen started. */
	second = t_send(store, key, "general", "and by git-chat");
	parents = t_git(store, "rev-list --parents -n 1 %s", second);
	cr_assert_str_eq(parents + 41, oid);
	free(parents);
}

/* ---- rejections ---- */

static unsigned char *unarmor(const char *armored, size_t *len)
{
	const char *b = strstr(armored, "-----\n"), *e = strstr(armored, "-----END");
	unsigned char *bin = t_keep(malloc(4096));
	cr_assert(b && e);
	b += 6;
	cr_assert_eq(sodium_base642bin(bin, 4096, b, (size_t)(e - b), "\n", len, NULL,
	                               sodium_base64_VARIANT_ORIGINAL), 0);
	return bin;
}

static char *armor(const unsigned char *bin, size_t len)
{
	size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = t_keep(malloc(b64len)), *out = t_keep(malloc(b64len * 2 + 128)), *o = out;
	size_t n;

	sodium_bin2base64(b64, b64len, bin, len, sodium_base64_VARIANT_ORIGINAL);
	n = strlen(b64);
	o += sprintf(o, "-----BEGIN SSH SIGNATURE-----\n");
	for (size_t i = 0; i < n; i += 70)
		o += sprintf(o, "%.70s\n", b64 + i);
	sprintf(o, "-----END SSH SIGNATURE-----\n");
	free(b64);
	return out;
}

static void assert_rejected(const char *armored, const char *ns, const void *data, size_t len,
                            const char *why)
{
	gitchat_pubkey signer;
	memset(&signer, 0xaa, sizeof(signer));
	cr_assert_eq(gitchat_sshsig_verify(&signer, armored, strlen(armored), ns, data, len),
	             GITCHAT_EVERIFY, "accepted:\n%s", armored);
	if (why)
		t_assert_contains(gitchat_error_last()->message, why);
	for (size_t i = 0; i < sizeof(signer.bytes); i++)
		cr_assert_eq(signer.bytes[i], 0xaa, "a rejected signature set the signer");
}

typedef struct {
	char *keypath;
	gitchat_key *key;
	const char *data;
	size_t len;
	char *sig;
	unsigned char *blob;
	size_t bloblen;
} fixture;

static void setup(fixture *f)
{
	const char *dir = t_scratch();
	f->keypath = t_keygen(dir, "k", 1);
	f->key = load(f->keypath);
	f->data = "tree " EMPTY_TREE "\nchat-room general\n\nhello\n";
	f->len = strlen(f->data);
	f->sig = sign(f->key, "git", f->data, f->len);
	f->blob = unarmor(f->sig, &f->bloblen);
	/* Sanity: the untouched signature verifies, and re-armoring is exact. */
	cr_assert_eq(gitchat_sshsig_verify(NULL, f->sig, strlen(f->sig), "git", f->data, f->len), 0);
	char *again = armor(f->blob, f->bloblen);
	cr_assert_str_eq(again, f->sig);
	free(again);
}

Test(sshsig, rejects_changed_payload)
{
	fixture f;
	setup(&f);
	char *changed = t_replace(f.data, "hello", "hellO");
	assert_rejected(f.sig, "git", changed, strlen(changed), "bad signature");
	assert_rejected(f.sig, "git", f.data, f.len - 1, "bad signature");
	assert_rejected(f.sig, "git", "", 0, "bad signature");
}

Test(sshsig, rejects_changed_signature_byte)
{
	fixture f;
	setup(&f);
	/* The last 64 bytes are the ed25519 signature value: flip one bit of
	 * the first, a middle and the last byte. */
	size_t at[] = { f.bloblen - 64, f.bloblen - 32, f.bloblen - 1 };
	for (size_t i = 0; i < 3; i++) {
		f.blob[at[i]] ^= 0x01;
		char *bad = armor(f.blob, f.bloblen);
		assert_rejected(bad, "git", f.data, f.len, "bad signature");
		f.blob[at[i]] ^= 0x01;
		free(bad);
	}
}

Test(sshsig, rejects_another_key)
{
	fixture f;
	setup(&f);
	const char *dir = t_scratch();
	gitchat_key *other = load(t_keygen(dir, "other", 0));
	gitchat_pubkey signer;

	/* The blob names the signer: put another key in it. Layout:
	 * "SSHSIG" u32 version, u32 51, u32 11 "ssh-ed25519", u32 32, pk32. */
	memcpy(f.blob + 6 + 4 + 4 + 4 + 11 + 4, gitchat_key_public(other)->bytes, 32);
	char *swapped = armor(f.blob, f.bloblen);
	assert_rejected(swapped, "git", f.data, f.len, "bad signature");

	/* A good signature by another key is reported as that key's. */
	char *by_other = sign(other, "git", f.data, f.len);
	cr_assert_eq(gitchat_sshsig_verify(&signer, by_other, strlen(by_other), "git", f.data,
	                                   f.len), 0);
	cr_assert_eq(gitchat_pubkey_cmp(&signer, gitchat_key_public(other)), 0);
	cr_assert_neq(gitchat_pubkey_cmp(&signer, gitchat_key_public(f.key)), 0);
	gitchat_key_free(other);
}

Test(sshsig, rejects_wrong_namespace)
{
	fixture f;
	setup(&f);
	char *file_ns = sign(f.key, "file", f.data, f.len);
	char *theirs = t_sign_sshkeygen(f.keypath, "file", f.data, f.len);

	assert_rejected(file_ns, "git", f.data, f.len, "namespace");
	assert_rejected(theirs, "git", f.data, f.len, "namespace");
	assert_rejected(f.sig, "file", f.data, f.len, "namespace");
	assert_rejected(f.sig, "gi", f.data, f.len, "namespace");
	assert_rejected(f.sig, "", f.data, f.len, "namespace");
	/* The namespace is also inside the signed data: rewriting it in the
	 * blob does not help. */
	unsigned char *b = unarmor(file_ns, &f.bloblen);
	size_t ns_at = 6 + 4 + 4 + 51;          /* u32 len then "file" */
	cr_assert_eq(b[ns_at + 3], 4);
	cr_assert_eq(memcmp(b + ns_at + 4, "file", 4), 0);
	memcpy(b + ns_at + 4, "gitx", 4);
	b[ns_at + 3] = 3;                       /* "git" and a stray byte */
	/* Lengths no longer add up: this must be refused without reading past the end. */
	char *forged = armor(b, f.bloblen);
	assert_rejected(forged, "git", f.data, f.len, NULL);
}

Test(sshsig, rejects_unknown_version)
{
	fixture f;
	setup(&f);
	uint32_t versions[] = { 0, 2, 0x01000000u, 0xffffffffu };
	for (size_t i = 0; i < 4; i++) {
		f.blob[6] = (unsigned char)(versions[i] >> 24);
		f.blob[7] = (unsigned char)(versions[i] >> 16);
		f.blob[8] = (unsigned char)(versions[i] >> 8);
		f.blob[9] = (unsigned char)versions[i];
		char *bad = armor(f.blob, f.bloblen);
		assert_rejected(bad, "git", f.data, f.len, "version");
		free(bad);
	}
}

Test(sshsig, rejects_garbage_armor)
{
	fixture f;
	setup(&f);
	const char *dir = t_scratch();
	char *rsa = t_path(dir, "rsa");
	t_run r = t_sh("ssh-keygen -q -t rsa -b 2048 -N '' -f '%s'", rsa);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);

	const char *garbage[] = {
		"",
		"hello",
		"-----BEGIN SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\n!!!!not base64!!!!\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN PGP SIGNATURE-----\nU1NIU0lH\n-----END PGP SIGNATURE-----\n",
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(*garbage); i++)
		assert_rejected(garbage[i], "git", f.data, f.len, NULL);

	/* The right armor around the wrong thing. */
	char *s = t_replace(f.sig, "-----END", "AAAA\n-----END");
	assert_rejected(s, "git", f.data, f.len, NULL);
	s = t_replace(f.sig, "-----END SSH SIGNATURE-----\n", "-----END SSH SIGNATURE-----\ntrailing\n");
	assert_rejected(s, "git", f.data, f.len, NULL);
	s = t_replace(f.sig, "-----BEGIN", "junk\n-----BEGIN");
	assert_rejected(s, "git", f.data, f.len, NULL);
	/* Every truncation of the blob. */
	for (size_t n = 0; n < f.bloblen; n++) {
		char *t = armor(f.blob, n);
		assert_rejected(t, "git", f.data, f.len, NULL);
		free(t);
	}
	/* Not "SSHSIG". */
	f.blob[0] = 'X';
	s = armor(f.blob, f.bloblen);
	assert_rejected(s, "git", f.data, f.len, "SSHSIG");
	f.blob[0] = 'S';
	/* A good signature, but RSA: not an identity git-chat knows. */
	s = t_sign_sshkeygen(rsa, "git", f.data, f.len);
	assert_rejected(s, "git", f.data, f.len, "ed25519");
}

/* One encoding per signature (issue 9): nothing but the exact bytes
 * ssh-keygen writes verifies, and gitchat_sshsig_signer, which the order
 * index reads keys with, refuses the same armor layouts (one reader; the
 * blob past the key is verification's to check). */
static void assert_not_canonical(const char *armored, const fixture *f, const char *why)
{
	gitchat_pubkey k;
	assert_rejected(armored, "git", f->data, f->len, why);
	cr_assert_eq(gitchat_sshsig_signer(&k, armored, strlen(armored)), GITCHAT_EVERIFY,
	             "the signer reader accepted:\n%s", armored);
}

Test(sshsig, one_encoding_per_signature)
{
	fixture f;
	gitchat_pubkey k;
	setup(&f);
	cr_assert_eq(gitchat_sshsig_signer(&k, f.sig, strlen(f.sig)), 0);
	cr_assert_eq(gitchat_pubkey_cmp(&k, gitchat_key_public(f.key)), 0);
	cr_assert_str_eq(t_rewrap_armor(f.sig, 70, "\n"), f.sig);

	const char *exact = "armored exactly as ssh-keygen writes it";
	assert_not_canonical(t_rewrap_armor(f.sig, 64, "\n"), &f, exact);
	assert_not_canonical(t_rewrap_armor(f.sig, 76, "\n"), &f, exact);
	assert_not_canonical(t_rewrap_armor(f.sig, 69, "\n"), &f, exact);
	assert_not_canonical(t_rewrap_armor(f.sig, 70, "\r\n"), &f, exact);
	assert_not_canonical(t_rewrap_armor(f.sig, 70, " \n"), &f, exact);
	assert_not_canonical(t_rewrap_armor(f.sig, 70, "\t\n"), &f, exact);
	assert_not_canonical(t_rewrap_armor(f.sig, 70, "\n\n"), &f, exact);
	assert_not_canonical(t_replace(f.sig, "-----\n", "-----\n "), &f, exact);
	assert_not_canonical(t_replace(f.sig, "-----\n", "-----\n\t"), &f, exact);
	assert_not_canonical(t_replace(f.sig, "-----BEGIN", "\n-----BEGIN"), &f, exact);
	assert_not_canonical(t_replace(f.sig, "-----BEGIN", " -----BEGIN"), &f, exact);
	assert_not_canonical(t_replace(f.sig, "\n-----END", "\n\n-----END"), &f, exact);
	assert_not_canonical(t_strndup(f.sig, strlen(f.sig) - 1), &f, exact);  /* no final "\n" */
	assert_not_canonical(t_fmt("%s\n", f.sig), &f, exact);
	assert_not_canonical(t_fmt("%s ", f.sig), &f, exact);

	/* Padding bits that are not zero: another base64 text of the same blob. */
	char *bits = t_strndup(f.sig, strlen(f.sig));
	char *pad = strchr(bits, '=');
	cr_assert(pad != NULL, "the blob length is a multiple of 3: no padding to test");
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	pad[-1] = b64[(strchr(b64, pad[-1]) - b64) ^ 1];
	assert_not_canonical(bits, &f, exact);   /* the signer reader too */

	/* Bytes outside base64's alphabet that libsodium 1.0.18 decodes as '/'
	 * and '+' (0xaf, 0xab): each signature that has one of those is tried. */
	int tried = 0;
	for (int i = 0; i < 64 && tried < 4; i++) {
		char *data = t_fmt("message %d\n", i), *sig = sign(f.key, "git", data, strlen(data));
		char *end = strstr(sig, "-----END"), *c;
		for (c = strchr(sig, '\n'); c < end && *c != '/' && *c != '+'; c++)
			;
		if (c == end)
			continue;
		*c = *c == '/' ? (char)0xaf : (char)0xab;
		assert_rejected(sig, "git", data, strlen(data), exact);
		cr_assert_eq(gitchat_sshsig_signer(&k, sig, strlen(sig)), GITCHAT_EVERIFY);
		tried++;
	}
	cr_assert_eq(tried, 4);

	/* The reserved string is not signed (OpenSSH ignores it): a byte there
	 * would make a second blob over the same signature. */
	size_t at = 6 + 4 + 4 + 51 + 4 + 3;   /* magic, version, pubkey, "git" */
	unsigned char *blob = t_keep(malloc(f.bloblen + 1));
	cr_assert_eq(f.blob[at + 3], 0, "not the reserved string");
	memcpy(blob, f.blob, at);
	memcpy(blob + at, "\0\0\0\1x", 5);
	memcpy(blob + at + 5, f.blob + at + 4, f.bloblen - at - 4);
	assert_rejected(armor(blob, f.bloblen + 1), "git", f.data, f.len, "reserved");
}

static int armor_has(const char *sig, char c)
{
	const char *body = strchr(sig, '\n') + 1, *end = strstr(sig, "-----END");
	const char *p = memchr(body, c, (size_t)(end - body));
	return p != NULL;
}

/* libsodium 1.0.18 reads base64 as signed chars: 0xAF decodes as '/' and
 * 0xAB as '+'. An armor with such a byte is another text of the same blob
 * (another commit id over the same signed message): refused, by both
 * readers, at every place a '/' or '+' stands. The armor of a fresh key's
 * signature may lack either (on CI one lacked both, and this test failed):
 * ed25519 signs deterministically, so other messages are signed until the
 * armor has both. */
Test(sshsig, high_bit_bytes_are_not_base64)
{
	static const struct { char from, to; } subst[] = { { '/', '\xaf' }, { '+', '\xab' } };
	fixture f;
	size_t tried[2] = { 0, 0 };
	setup(&f);
	for (int k = 0; k < 256 && !(armor_has(f.sig, '/') && armor_has(f.sig, '+')); k++) {
		f.data = t_fmt("tree " EMPTY_TREE "\nchat-room general\n\nhello %d\n", k);
		f.len = strlen(f.data);
		f.sig = sign(f.key, "git", f.data, f.len);
		f.blob = unarmor(f.sig, &f.bloblen);
	}
	const char *body = strchr(f.sig, '\n') + 1, *end = strstr(f.sig, "-----END");

	for (size_t s = 0; s < sizeof(subst) / sizeof(*subst); s++)
		for (const char *p = body; p < end; p++) {
			if (*p != subst[s].from)
				continue;
			char *bad = t_strndup(f.sig, strlen(f.sig));
			bad[p - f.sig] = subst[s].to;
			assert_not_canonical(bad, &f, "armored exactly as ssh-keygen writes it");
			tried[s]++;
		}
	cr_assert(tried[0] > 0 && tried[1] > 0, "the signature lacks a '/' or a '+' to replace:\n%s",
	          f.sig);
}
