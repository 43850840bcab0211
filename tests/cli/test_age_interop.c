/*
 * age interop (issue 11): stock `age` (Debian package `age`) decrypts what
 * git-chat encrypts, with an age identity file and with a git-chat or
 * ssh-keygen ed25519 key file (`age -d -i KEY`), and git-chat decrypts what
 * `age -r age1...` and `age -R key.pub` encrypt: armored and binary, empty,
 * one byte, exactly 64 KiB, one byte more, several chunks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define CHUNK (64 * 1024)

static const size_t sizes[] = { 0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 200000 };
#define NSIZES (sizeof(sizes) / sizeof(*sizes))

static char *pattern(size_t n)
{
	char *p = t_keep(malloc(n + 1));
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(i * 7 + (i >> 8));
	p[n] = '\0';
	return p;
}

static void run_ok(t_run r, const char *what)
{
	cr_assert_eq(r.status, 0, "%s failed (%d): %s", what, r.status, r.err);
	t_run_free(&r);
}

static void same_file(const char *path, const char *data, size_t len)
{
	size_t n;
	char *got = t_keep(t_read_file(path, &n));
	cr_assert(got, "%s missing", path);
	cr_assert_eq(n, len, "%s: %zu bytes, expected %zu", path, n, len);
	cr_assert(len == 0 || memcmp(got, data, len) == 0, "%s differs", path);
}

static void encrypt_file(const char *path, const gitchat_age_recipient *r, const char *data,
                         size_t len, unsigned int flags)
{
	gitchat_buf out = GITCHAT_BUF_INIT;
	const gitchat_age_recipient *rs[] = { r };
	cr_assert_eq(gitchat_age_encrypt(&out, rs, 1, data, len, flags), 0, "%s",
	             gitchat_error_last()->message);
	t_write_file(path, out.ptr, out.size);
	gitchat_buf_dispose(&out);
}

/* Encrypts every size, armored and not, with git-chat; `age -d -i KEY`
 * must give the plaintext back. */
static void age_decrypts_ours(const char *dir, const gitchat_age_recipient *r, const char *key)
{
	for (size_t i = 0; i < NSIZES; i++)
		for (int armor = 0; armor < 2; armor++) {
			char *data = pattern(sizes[i]);
			char *f = t_fmt("%s/ours-%zu-%d.age", dir, sizes[i], armor);
			char *o = t_fmt("%s/ours-%zu-%d.out", dir, sizes[i], armor);
			encrypt_file(f, r, data, sizes[i], armor ? GITCHAT_AGE_ARMOR : 0);
			/* a redirect: age -o creates no file for an empty plaintext */
			run_ok(t_sh("age -d -i '%s' '%s' > '%s'", key, f, o), "age -d");
			same_file(o, data, sizes[i]);
		}
}

/* `age ARGS` encrypts every size, armored and not; git-chat decrypts. */
static void ours_decrypts_age(const char *dir, const char *args, const gitchat_age_identity *id)
{
	for (size_t i = 0; i < NSIZES; i++)
		for (int armor = 0; armor < 2; armor++) {
			char *data = pattern(sizes[i]);
			char *p = t_fmt("%s/plain-%zu", dir, sizes[i]);
			char *f = t_fmt("%s/theirs-%zu-%d.age", dir, sizes[i], armor);
			const gitchat_age_identity *ids[] = { id };
			gitchat_buf out = GITCHAT_BUF_INIT;
			gitchat_age_failure failure;
			size_t len;
			char *enc;

			t_write_file(p, data, sizes[i]);
			run_ok(t_sh("age %s %s -o '%s' '%s'", args, armor ? "-a" : "", f, p), "age -e");
			enc = t_keep(t_read_file(f, &len));
			cr_assert_eq(armor, !strncmp(enc, "-----BEGIN AGE ENCRYPTED FILE-----", 34));
			cr_assert_eq(gitchat_age_decrypt(&out, &failure, ids, 1, enc, len, 0), 0,
			             "size %zu armor %d: %s", sizes[i], armor, gitchat_error_last()->message);
			cr_assert_eq(out.size, sizes[i]);
			cr_assert(sizes[i] == 0 || memcmp(out.ptr, data, sizes[i]) == 0);
			gitchat_buf_dispose(&out);
		}
}

static gitchat_age_identity *identity_of_key(const char *path, gitchat_age_recipient **r)
{
	gitchat_key *key;
	gitchat_age_identity *id;
	cr_assert_eq(gitchat_key_load(&key, path), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(gitchat_age_identity_from_key(&id, key), 0);
	if (r) {
		/* the recipient as `age -R` reads it: the .pub line */
		char *pub = t_keep(t_read_file(t_fmt("%s.pub", path), NULL));
		cr_assert_eq(gitchat_age_recipient_parse(r, pub, strlen(pub)), 0, "%s",
		             gitchat_error_last()->message);
		t_keep(*r);
	}
	gitchat_key_free(key);
	return t_keep(id);
}

/* The age identity file that age-keygen wrote, read by git-chat. */
static gitchat_age_identity *identity_of_file(const char *path)
{
	char *text = t_keep(t_read_file(path, NULL)), *line = strstr(text, "AGE-SECRET-KEY-1");
	gitchat_age_identity *id;
	cr_assert(line);
	cr_assert_eq(gitchat_age_identity_parse(&id, line, strcspn(line, "\n")), 0);
	return t_keep(id);
}

Test(age_interop, age_decrypts_git_chat_x25519)
{
	const char *dir = t_scratch();
	gitchat_age_identity *id;
	gitchat_age_recipient *r;
	gitchat_buf s = GITCHAT_BUF_INIT;
	char *keyfile = t_path(dir, "identity.txt");

	cr_assert(gitchat_init() == 0);
	cr_assert_eq(gitchat_age_identity_generate(&id), 0);
	t_keep(id);
	gitchat_buf_puts(&s, "# created by git-chat\n");
	cr_assert_eq(gitchat_age_identity_format(&s, id), 0);
	gitchat_buf_puts(&s, "\n");
	t_write_file(keyfile, s.ptr, s.size);
	gitchat_age_buf_wipe(&s);
	cr_assert_eq(gitchat_age_identity_recipient(&r, id), 0);
	t_keep(r);
	/* age-keygen -y agrees on the recipient string */
	{
		t_run y = t_sh("age-keygen -y '%s'", keyfile);
		gitchat_buf rs = GITCHAT_BUF_INIT;
		cr_assert_eq(y.status, 0, "%s", y.err);
		cr_assert_eq(gitchat_age_recipient_format(&rs, r), 0);
		cr_assert_eq(strncmp(y.out, rs.ptr, rs.size), 0, "%s vs %s", y.out, rs.ptr);
		gitchat_buf_dispose(&rs);
		t_run_free(&y);
	}
	age_decrypts_ours(dir, r, keyfile);
}

Test(age_interop, age_decrypts_git_chat_ssh_ed25519_with_the_key_file)
{
	const char *dir = t_scratch();
	char *ours = t_keygen(dir, "alice", 1), *theirs = t_keygen(dir, "bob", 0);
	gitchat_age_recipient *r;

	cr_assert(gitchat_init() == 0);
	identity_of_key(ours, &r);
	age_decrypts_ours(dir, r, ours);          /* git chat keygen's file */
	identity_of_key(theirs, &r);
	age_decrypts_ours(dir, r, theirs);        /* ssh-keygen's file */
}

Test(age_interop, git_chat_decrypts_age_x25519)
{
	const char *dir = t_scratch();
	char *keyfile = t_path(dir, "k.txt");
	gitchat_age_identity *id;
	gitchat_age_recipient *r;
	gitchat_buf rs = GITCHAT_BUF_INIT;
	t_run y;

	cr_assert(gitchat_init() == 0);
	run_ok(t_sh("age-keygen -o '%s' 2>/dev/null", keyfile), "age-keygen");
	id = identity_of_file(keyfile);
	y = t_sh("age-keygen -y '%s'", keyfile);
	cr_assert_eq(y.status, 0);
	y.out[strcspn(y.out, "\n")] = '\0';
	cr_assert_eq(gitchat_age_identity_recipient(&r, id), 0);
	t_keep(r);
	cr_assert_eq(gitchat_age_recipient_format(&rs, r), 0);
	cr_assert_str_eq(rs.ptr, y.out);
	ours_decrypts_age(dir, t_fmt("-r %s", y.out), id);
	gitchat_buf_dispose(&rs);
	t_run_free(&y);
}

Test(age_interop, git_chat_decrypts_age_ssh_ed25519)
{
	const char *dir = t_scratch();
	char *ours = t_keygen(dir, "alice", 1), *theirs = t_keygen(dir, "bob", 0);

	cr_assert(gitchat_init() == 0);
	ours_decrypts_age(dir, t_fmt("-R '%s.pub'", ours), identity_of_key(ours, NULL));
	ours_decrypts_age(dir, t_fmt("-R '%s.pub'", theirs), identity_of_key(theirs, NULL));
}

/* One file from age to an age1 key and two ssh keys: each opens it, a
 * stranger gets "no match"; and age refuses our file once altered. */
Test(age_interop, several_recipients_and_refusals_both_ways)
{
	const char *dir = t_scratch();
	char *a = t_keygen(dir, "alice", 1), *b = t_keygen(dir, "bob", 0), *c = t_keygen(dir, "carol", 1);
	char *x = t_path(dir, "x.txt"), *p = t_path(dir, "plain"), *f = t_path(dir, "f.age");
	gitchat_age_identity *ids[3], *stranger;
	gitchat_age_recipient *r;
	gitchat_buf out = GITCHAT_BUF_INIT;
	gitchat_age_failure failure;
	size_t len;
	char *enc;
	t_run y;

	cr_assert(gitchat_init() == 0);
	run_ok(t_sh("age-keygen -o '%s' 2>/dev/null", x), "age-keygen");
	y = t_sh("age-keygen -y '%s'", x);
	y.out[strcspn(y.out, "\n")] = '\0';
	t_write_file(p, "three of us\n", 12);
	run_ok(t_sh("age -a -r %s -R '%s.pub' -R '%s.pub' -o '%s' '%s'", y.out, a, b, f, p), "age");
	t_run_free(&y);
	ids[0] = identity_of_file(x);
	ids[1] = identity_of_key(a, NULL);
	ids[2] = identity_of_key(b, NULL);
	stranger = identity_of_key(c, &r);
	enc = t_keep(t_read_file(f, &len));
	for (int i = 0; i < 3; i++) {
		const gitchat_age_identity *one[] = { ids[i] };
		gitchat_buf_clear(&out);
		cr_assert_eq(gitchat_age_decrypt(&out, &failure, one, 1, enc, len, 0), 0);
		cr_assert_str_eq(out.ptr, "three of us\n");
	}
	const gitchat_age_identity *none[] = { stranger };
	gitchat_buf_clear(&out);
	cr_assert_eq(gitchat_age_decrypt(&out, &failure, none, 1, enc, len, 0), GITCHAT_ENOTFOUND);
	cr_assert_eq(failure, GITCHAT_AGE_FAIL_NO_MATCH);
	/* ours, with one payload byte changed: age refuses it too */
	{
		const gitchat_age_recipient *rs[] = { r };
		gitchat_buf_clear(&out);
		cr_assert_eq(gitchat_age_encrypt(&out, rs, 1, "tamper me", 9, 0), 0);
		out.ptr[out.size - 3] ^= 1;
		t_write_file(f, out.ptr, out.size);
		y = t_sh("age -d -i '%s' '%s'", c, f);
		cr_assert_neq(y.status, 0, "age accepted a tampered file");
		t_run_free(&y);
	}
	gitchat_buf_dispose(&out);
}
