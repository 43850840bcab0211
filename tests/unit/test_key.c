/*
 * Identity keys: `git chat keygen` writes what ssh-keygen reads and the
 * other way round, files are created safely, and every bad key file gets a
 * specific error and a non-zero exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <criterion/criterion.h>

#include "testchat.h"

static t_run chat(const char *const *args)
{
	return t_chat(NULL, NULL, args);
}

static char *first_line(const char *s, int n)
{
	const char *p = s;
	while (n-- > 0 && p && (p = strchr(p, '\n')))
		p++;
	cr_assert(p && *p, "no line %d in '%s'", n, s);
	return t_strndup(p, strcspn(p, "\n"));
}

/* The first line printed by `ssh-keygen OPT -f KEY`. */
static char *sshkeygen(const char *opt, const char *key)
{
	t_run r = t_sh("ssh-keygen %s -f '%s'", opt, key);
	char *out;
	cr_assert_eq(r.status, 0, "ssh-keygen %s %s: %s", opt, key, r.err);
	out = t_strndup(r.out, strcspn(r.out, "\n"));
	t_run_free(&r);
	return out;
}

/* whoami --key KEY agrees with ssh-keygen -y and ssh-keygen -l, line by line. */
static void assert_whoami_matches_sshkeygen(const char *key)
{
	const char *args[] = { "whoami", "--key", key, NULL };
	t_run r = chat(args);
	char *l1, *l2, *y, *l;

	cr_assert_eq(r.status, 0, "whoami %s: %s", key, r.err);
	cr_assert_eq(t_count_lines(r.out), 2, "whoami printed:\n%s", r.out);
	l1 = first_line(r.out, 0);
	l2 = first_line(r.out, 1);
	y = sshkeygen("-y", key);
	l = sshkeygen("-l", key);
	cr_assert_str_eq(l1, y, "whoami line 1 vs ssh-keygen -y (%s)", key);
	cr_assert_str_eq(l2, l, "whoami line 2 vs ssh-keygen -l (%s)", key);
	free(l1); free(l2); free(y); free(l);
	t_run_free(&r);
}

Test(key, keygen_output_loads_in_sshkeygen)
{
	const char *dir = t_scratch();
	char *key = t_path(dir, "id"), *pub = t_path(dir, "id.pub");
	const char *args[] = { "keygen", "-f", key, "-C", "alice@example.org", NULL };
	t_run r = chat(args);
	char *y, *pubtext;

	cr_assert_eq(r.status, 0, "%s", r.err);
	y = sshkeygen("-y", key);
	cr_assert_str_eq(t_strndup(r.out, strcspn(r.out, "\n")), y, "keygen prints the public key");
	t_assert_contains(y, " alice@example.org");
	pubtext = t_read_file(pub, NULL);
	cr_assert_str_eq(t_strndup(pubtext, strcspn(pubtext, "\n")), y);
	t_run_free(&r);
	assert_whoami_matches_sshkeygen(key);
	/* Without the .pub ssh-keygen reads the private file alone. */
	cr_assert_eq(unlink(pub), 0);
	assert_whoami_matches_sshkeygen(key);
	/* ssh-keygen can sign with it (git's SSH signing does exactly this). */
	t_write_file(pub, "x", 1);
	r = t_sh("echo data | ssh-keygen -q -Y sign -n git -f '%s' > /dev/null", key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

Test(key, sshkeygen_keys_load)
{
	const char *dir = t_scratch();
	const char *comments[] = { "bob@example.org", "", "two words" };

	for (size_t i = 0; i < 3; i++) {
		char name[16], *key, *pub = NULL;
		snprintf(name, sizeof(name), "k%zu", i);
		key = t_path(dir, name);
		t_run r = t_sh("ssh-keygen -q -t ed25519 -N '' -C '%s' -f '%s'", comments[i], key);
		cr_assert_eq(r.status, 0, "%s", r.err);
		t_run_free(&r);
		assert_whoami_matches_sshkeygen(key);
		pub = t_fmt("%s.pub", key);
		cr_assert_eq(unlink(pub), 0);
		assert_whoami_matches_sshkeygen(key);
		free(pub);
	}
}

Test(key, files_are_private_and_load_in_the_library)
{
	const char *dir = t_scratch();
	char *key = t_keygen(dir, "id", 1), *pub = NULL, *hex;
	struct stat st;
	gitchat_key *k = NULL;

	pub = t_fmt("%s.pub", key);
	cr_assert_eq(lstat(key, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "key mode %o", st.st_mode & 07777);
	cr_assert_eq(lstat(pub, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644, "pub mode %o", st.st_mode & 07777);
	/* No temporary file is left next to the key. */
	t_run r = t_sh("ls -A '%s'", dir);
	cr_assert_str_eq(r.out, "id\nid.pub\n");
	t_run_free(&r);

	hex = t_key_hex(key);
	cr_assert_eq(strlen(hex), 64);
	cr_assert_eq(gitchat_key_load(&k, key), 0);
	cr_assert_str_neq(gitchat_key_comment(k), "");
	gitchat_key_free(k);
}

Test(key, default_location_and_search_order)
{
	const char *dir = t_scratch();
	const char *cfg = getenv("XDG_CONFIG_HOME");
	char *def = NULL, *gitdir = NULL;
	const char *keygen[] = { "keygen", NULL }, *whoami[] = { "whoami", NULL };
	struct stat st;
	t_run r;

	/* Default: $XDG_CONFIG_HOME/git-chat/id_ed25519 in a private directory. */
	def = t_fmt("%s/git-chat/id_ed25519", cfg);
	r = chat(keygen);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert_eq(stat(def, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	*strrchr(def, '/') = '\0';
	cr_assert_eq(stat(def, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "directory mode %o", st.st_mode & 0777);
	strcat(def, "/id_ed25519");
	char *want_default = sshkeygen("-y", def);
	r = chat(whoami);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(first_line(r.out, 0), want_default);
	t_run_free(&r);

	/* git config chat.key wins over the default, GIT_CHAT_KEY over the
	 * config, --key over everything. */
	char *store = t_store(dir, "store");
	char *k_cfg = t_keygen(dir, "cfg", 0), *k_env = t_keygen(dir, "env", 0);
	char *k_arg = t_keygen(dir, "arg", 0);
	char *w_cfg = sshkeygen("-y", k_cfg);
	char *w_env = sshkeygen("-y", k_env);
	char *w_arg = sshkeygen("-y", k_arg);
	free(t_git(store, "config chat.key '%s'", k_cfg));
	gitdir = t_fmt("GIT_DIR=%s", store);
	const char *argv[] = { GITCHAT_BIN, "whoami", NULL };
	const char *env1[] = { gitdir, NULL };
	r = t_run_argv(NULL, argv, NULL, 0, env1);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(first_line(r.out, 0), w_cfg);
	t_run_free(&r);
	char *envkey = NULL;
	envkey = t_fmt("GIT_CHAT_KEY=%s", k_env);
	const char *env2[] = { gitdir, envkey, NULL };
	r = t_run_argv(NULL, argv, NULL, 0, env2);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(first_line(r.out, 0), w_env);
	t_run_free(&r);
	const char *argv2[] = { GITCHAT_BIN, "whoami", "--key", k_arg, NULL };
	r = t_run_argv(NULL, argv2, NULL, 0, env2);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(first_line(r.out, 0), w_arg);
	t_run_free(&r);
}

Test(key, refuses_to_overwrite_without_force)
{
	const char *dir = t_scratch();
	char *key = t_keygen(dir, "id", 1), *pub = NULL;
	char *before = t_read_file(key, NULL), *pub_before, *after;
	const char *again[] = { "keygen", "-f", key, NULL };
	const char *force[] = { "keygen", "-f", key, "--force", NULL };
	t_run r;

	pub = t_fmt("%s.pub", key);
	pub_before = t_read_file(pub, NULL);
	r = chat(again);
	cr_assert_eq(r.status, 128, "status %d", r.status);
	t_assert_contains(r.err, "already exists");
	t_assert_contains(r.err, "--force");
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);
	cr_assert_str_eq(t_read_file(key, NULL), before, "the key was changed");
	cr_assert_str_eq(t_read_file(pub, NULL), pub_before);

	/* Only the .pub is there: still refused, and no private key appears. */
	char *lone = t_path(dir, "lone"), *lone_pub = t_path(dir, "lone.pub");
	t_write_file(lone_pub, "keep me\n", 8);
	const char *lone_args[] = { "keygen", "-f", lone, NULL };
	r = chat(lone_args);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "already exists");
	t_run_free(&r);
	cr_assert_eq(access(lone, F_OK), -1);
	cr_assert_str_eq(t_read_file(lone_pub, NULL), "keep me\n");

	/* --force replaces both files with a new key. */
	r = chat(force);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	after = t_read_file(key, NULL);
	cr_assert_str_neq(after, before);
	cr_assert_str_neq(t_read_file(pub, NULL), pub_before);
	struct stat st;
	cr_assert_eq(stat(key, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	assert_whoami_matches_sshkeygen(key);

	/* The library refuses as well, with GITCHAT_EEXISTS. */
	gitchat_key *k = NULL;
	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_key_generate(&k, "x"), 0);
	cr_assert_eq(gitchat_key_write(k, key, 0), GITCHAT_EEXISTS);
	cr_assert_str_eq(t_read_file(key, NULL), after);
	cr_assert_eq(gitchat_key_write(k, key, GITCHAT_KEY_WRITE_FORCE), 0);
	gitchat_key_free(k);
}

Test(key, refuses_to_write_through_a_symlink)
{
	const char *dir = t_scratch();
	char *target = t_path(dir, "target"), *link = t_path(dir, "link");
	char *existing = t_path(dir, "existing"), *link2 = t_path(dir, "link2");
	const char *a1[] = { "keygen", "-f", link, NULL };
	const char *a2[] = { "keygen", "-f", link2, "--force", NULL };
	t_run r;

	/* A dangling link: following it would create the target. */
	cr_assert_eq(symlink(target, link), 0);
	r = chat(a1);
	cr_assert_eq(r.status, 128, "status %d: %s", r.status, r.err);
	t_assert_contains(r.err, "symbolic link");
	t_run_free(&r);
	cr_assert_eq(access(target, F_OK), -1, "the link's target was created");

	/* A link to an existing file, even with --force. */
	t_write_file(existing, "precious\n", 9);
	cr_assert_eq(symlink(existing, link2), 0);
	r = chat(a2);
	cr_assert_eq(r.status, 128, "status %d", r.status);
	t_assert_contains(r.err, "symbolic link");
	t_run_free(&r);
	cr_assert_str_eq(t_read_file(existing, NULL), "precious\n");
	struct stat st;
	cr_assert_eq(lstat(link2, &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link was replaced");

	/* A dangling link in place of the .pub: refused before anything is written. */
	char *k3 = t_path(dir, "k3"), *k3pub = t_path(dir, "k3.pub"), *t3 = t_path(dir, "t3");
	const char *a3[] = { "keygen", "-f", k3, NULL };
	cr_assert_eq(symlink(t3, k3pub), 0);
	r = chat(a3);
	cr_assert_neq(r.status, 0, "keygen wrote through a .pub symlink");
	t_run_free(&r);
	cr_assert_eq(access(t3, F_OK), -1, "the .pub link's target was created");
	cr_assert_eq(access(k3, F_OK), -1, "a private key was left behind");
}

/* ---- bad key files ---- */

/* send with KEY fails with `want` and leaves `store` as `before`. */
static void assert_send_refused(const char *store, const char *key, const char *want,
                                const char *before)
{
	const char *send[] = { "send", "--key", key, "-m", "hello", NULL };
	t_run r = t_chat(store, NULL, send);

	cr_assert_eq(r.status, 128, "send with %s: status %d, %s", key, r.status, r.err);
	t_assert_contains(r.err, want);
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), before, "a failed send changed the store");
}

/* Runs whoami and send with KEY; both must fail with `want` in the message. */
static void assert_key_error(const char *dir, const char *key, const char *want)
{
	static char *store;     /* one per test (Criterion runs each in its own process) */
	if (!store)
		store = t_store(dir, "store");
	char *before = t_snapshot(store);
	const char *whoami[] = { "whoami", "--key", key, NULL };
	t_run r;

	r = chat(whoami);
	cr_assert_eq(r.status, 128, "whoami with %s: status %d, %s", key, r.status, r.err);
	t_assert_contains(r.err, want);
	t_assert_contains(r.err, key);
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);
	assert_send_refused(store, key, want, before);
}

/* A key that signs through ssh-agent, with no agent: whoami shows it and
 * says so; send refuses with what to do and writes nothing. (With a real
 * agent: tests/cli/test_agent.c.) */
static void assert_needs_agent(const char *dir, const char *key, const char *want)
{
	char *store = t_store(dir, "store"), *before = t_snapshot(store);
	const char *whoami[] = { "whoami", "--key", key, NULL };
	t_run r = chat(whoami);

	cr_assert_eq(r.status, 0, "whoami with %s: %s", key, r.err);
	t_assert_contains(r.out, "ssh-ed25519 AAAA");
	t_assert_contains(r.err, "signs: through ssh-agent, but cannot now");
	t_run_free(&r);
	assert_send_refused(store, key, want, before);
	assert_send_refused(store, key, "no agent is running (SSH_AUTH_SOCK is not set); "
	                    "start one and load the key: eval \"$(ssh-agent)\" && ssh-add", before);
}

Test(key, passphrase_protected)
{
	const char *dir = t_scratch();
	char *key = t_path(dir, "enc");
	/* Without its .pub: the file's public half is read from its clear part. */
	t_run r = t_sh("ssh-keygen -q -t ed25519 -N secret -f '%s' && rm '%s.pub'", key, key);
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	assert_needs_agent(dir, key, "protected by a passphrase");
	/* gitchat_key_load itself still wants the whole key. */
	gitchat_key *k = NULL;
	t_lib_init();
	cr_assert_eq(gitchat_key_load(&k, key), GITCHAT_EUNSUPPORTED);
	t_assert_contains(gitchat_error_last()->message, "passphrase");
}

Test(key, other_key_types)
{
	const char *dir = t_scratch();
	struct { const char *args, *name, *want; } kinds[] = {
		{ "-t rsa -b 2048", "rsa", "ssh-rsa" },
		{ "-t ecdsa -b 256", "ecdsa", "ecdsa-sha2-nistp256" },
		{ "-t rsa -b 2048 -m PEM", "pem", "PEM" },
	};
	for (size_t i = 0; i < 3; i++) {
		char *key = t_path(dir, kinds[i].name);
		t_run r = t_sh("ssh-keygen -q %s -N '' -f '%s'", kinds[i].args, key);
		cr_assert_eq(r.status, 0, "%s", r.err);
		t_run_free(&r);
		assert_key_error(dir, key, kinds[i].want);
		assert_key_error(dir, key, "ed25519");
	}
}

Test(key, public_key_instead)
{
	const char *dir = t_scratch();
	char *key = t_keygen(dir, "id", 0);
	assert_needs_agent(dir, t_fmt("%s.pub", key), "is a public key");
}

Test(key, missing_key)
{
	const char *dir = t_scratch();
	char *key = t_path(dir, "nope");
	assert_key_error(dir, key, "no key at");
	assert_key_error(dir, key, "git chat keygen");
	/* The default location, when nothing names a key. */
	char *store = t_store(dir, "s");
	const char *send[] = { "send", "-m", "hello", NULL };
	t_run r = t_chat(store, NULL, send);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "git-chat/id_ed25519");
	t_assert_contains(r.err, "git chat keygen");
	t_run_free(&r);
}

/* Decodes a key file, lets `damage` change the binary, writes it back. */
typedef struct {
	unsigned char *bin;
	size_t len;
	size_t priv;        /* offset of the private section */
	size_t seed;        /* offset of the 32-byte seed in it */
} keybin;

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static keybin decode_key(const char *path)
{
	char *text = t_read_file(path, NULL);
	const char *b = strstr(text, "-----\n") + 6, *e = strstr(text, "-----END");
	keybin k = { t_keep(malloc(4096)), 0, 0, 0 };
	size_t off;

	cr_assert_eq(sodium_base642bin(k.bin, 4096, b, (size_t)(e - b), "\n", &k.len, NULL,
	                               sodium_base64_VARIANT_ORIGINAL), 0);
	off = 15;                                   /* "openssh-key-v1\0" */
	for (int i = 0; i < 3; i++)                 /* cipher, kdf, kdf options */
		off += 4 + get_u32(k.bin + off);
	off += 4;                                   /* number of keys */
	off += 4 + get_u32(k.bin + off);            /* public blob */
	k.priv = off + 4;                           /* after its length */
	off = k.priv + 8;                           /* two check ints */
	off += 4 + get_u32(k.bin + off);            /* "ssh-ed25519" */
	off += 4 + get_u32(k.bin + off);            /* pk */
	k.seed = off + 4;                           /* sk = seed || pk */
	cr_assert_eq(get_u32(k.bin + off), 64);
	return k;
}

static void encode_key(const char *path, const keybin *k, size_t len)
{
	size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = t_keep(malloc(b64len)), *out = t_keep(malloc(b64len * 2 + 128)), *o = out;
	sodium_bin2base64(b64, b64len, k->bin, len, sodium_base64_VARIANT_ORIGINAL);
	o += sprintf(o, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	for (size_t i = 0; i < strlen(b64); i += 70)
		o += sprintf(o, "%.70s\n", b64 + i);
	o += sprintf(o, "-----END OPENSSH PRIVATE KEY-----\n");
	t_write_file(path, out, (size_t)(o - out));
	chmod(path, 0600);
	free(b64);
	free(out);
}

Test(key, corrupt_keys)
{
	const char *dir = t_scratch();
	char *orig = t_keygen(dir, "orig", 1), *bad = t_path(dir, "bad");
	size_t len;
	char *text = t_read_file(orig, &len);
	keybin k = decode_key(orig);

	/* Sanity: decode and encode give back the same file, which loads. */
	encode_key(bad, &k, k.len);
	cr_assert_str_eq(t_read_file(bad, NULL), text);
	free(t_key_hex(bad));

	/* The file cut in half, and the armor cut after its first line. */
	t_write_file(bad, text, len / 2);
	assert_key_error(dir, bad, "corrupt");
	t_write_file(bad, text, strlen("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
	assert_key_error(dir, bad, "corrupt");
	/* Whole armor around a truncated binary. */
	encode_key(bad, &k, k.len - 9);
	assert_key_error(dir, bad, "corrupt");
	encode_key(bad, &k, k.priv);
	assert_key_error(dir, bad, "corrupt");
	/* A flipped byte in the private part: the seed no longer gives the key. */
	k.bin[k.seed] ^= 0x40;
	encode_key(bad, &k, k.len);
	assert_key_error(dir, bad, "corrupt");
	k.bin[k.seed] ^= 0x40;
	/* ...in the private copy of the public key. */
	k.bin[k.seed + 40] ^= 0x01;
	encode_key(bad, &k, k.len);
	assert_key_error(dir, bad, "corrupt");
	k.bin[k.seed + 40] ^= 0x01;
	/* ...in the padding. */
	k.bin[k.len - 1] ^= 0x10;
	encode_key(bad, &k, k.len);
	assert_key_error(dir, bad, "corrupt");
	k.bin[k.len - 1] ^= 0x10;
	/* Mismatched check ints (what a wrong passphrase gives). */
	k.bin[k.priv + 7] ^= 0x01;
	encode_key(bad, &k, k.len);
	assert_key_error(dir, bad, "corrupt");
	k.bin[k.priv + 7] ^= 0x01;
	/* Not the magic. */
	k.bin[0] = 'X';
	encode_key(bad, &k, k.len);
	assert_key_error(dir, bad, "corrupt");
	k.bin[0] = 'o';
	/* An empty file, garbage, a directory. */
	t_write_file(bad, "", 0);
	assert_key_error(dir, bad, "not an OpenSSH private key");
	t_write_file(bad, "hello\n", 6);
	assert_key_error(dir, bad, "not an OpenSSH private key");
	char *d = t_path(dir, "adir");
	t_mkdir(d);
	assert_key_error(dir, d, "adir");
	/* After all that, the undamaged bytes still load. */
	encode_key(bad, &k, k.len);
	free(t_key_hex(bad));
}

/* libsodium 1.0.18 reads 0xAF as '/' and 0xAB as '+'; ssh-keygen does not:
 * such a key file is damaged (and is read on the constant-time path). */
Test(key, high_bit_bytes_are_not_base64)
{
	const char *dir = t_scratch();
	char *bad = t_path(dir, "bad"), *text = NULL, *at = NULL;

	/* About one key in a hundred has neither character: make another. */
	for (int tries = 0; !at && tries < 50; tries++) {
		char *orig = t_keygen(dir, t_fmt("orig%d", tries), 1), *body;
		text = t_read_file(orig, NULL);
		body = strstr(text, "-----\n") + 6;
		if ((at = strchr(body, '/')) != NULL)
			*at = '\xaf';
		else if ((at = strchr(body, '+')) != NULL)
			*at = '\xab';
	}
	cr_assert(at != NULL, "50 keys without '/' or '+':\n%s", text);
	t_write_file(bad, text, strlen(text));
	chmod(bad, 0600);
	assert_key_error(dir, bad, "corrupt");
}
