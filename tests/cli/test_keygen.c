/*
 * Private keys: keygen's messages (a missing directory, a key already
 * there) and the warning about a private key open to other users.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"


static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

Test(keygen, keygen_names_the_missing_directory)
{
	const char *dir = t_scratch();
	char *path = t_path(dir, "missing/key");
	t_run r = t_chatv(NULL, "keygen", "-f", path);

	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, t_fmt("'%s'", path));
	t_assert_contains(r.err, t_fmt("the directory '%s/missing' does not exist", dir));
	t_assert_contains(r.err, "create it first");
	cr_assert_eq(strstr(r.err, ".tmp-"), NULL, "names a temporary file: %s", r.err);
	cr_assert(!exists(t_path(dir, "missing")));
	t_run_free(&r);

	/* A file where the directory should be. */
	t_write_file(t_path(dir, "plain"), "x", 1);
	r = t_chatv(NULL, "keygen", "-f", t_path(dir, "plain/key"));
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "is not a directory");
	t_run_free(&r);
}

Test(keygen, keygen_again_names_the_existing_private_key)
{
	const char *dir = t_scratch();
	char *path = t_path(dir, "key"), *before, *after;
	t_run r = t_chatv(NULL, "keygen", "-f", path);

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	before = t_read_file(path, NULL);
	r = t_chatv(NULL, "keygen", "-f", path);
	cr_assert_eq(r.status, 128);
	cr_assert_str_eq(r.err, t_fmt("fatal: '%s' already exists; use --force to replace it "
	                              "(the old key is lost)\n", path));
	t_run_free(&r);
	after = t_read_file(path, NULL);
	cr_assert_str_eq(before, after, "the key changed");

	/* Only the public half left: that is the file named. */
	unlink(path);
	r = t_chatv(NULL, "keygen", "-f", path);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, t_fmt("'%s.pub' already exists", path));
	t_assert_contains(r.err, "--force");
	t_run_free(&r);

	r = t_chatv(NULL, "keygen", "-f", path, "--force");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

Test(keygen, a_private_key_open_to_others_is_warned_about)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *id = t_send(store, key, "general", "hello");
	const char *want = "is open to other users (mode 0644)";
	t_run r;

	cr_assert_eq(chmod(key, 0644), 0);
	r = t_chatv(store, "send", "--key", key, "-m", "still works");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strlen(r.out), 41, "%s", r.out);
	t_assert_contains(r.err, t_fmt("warning: the private key '%s' %s", key, want));
	t_assert_contains(r.err, t_fmt("chmod 600 '%s'", key));
	cr_assert_eq(t_count_lines(r.err), 1, "%s", r.err);
	t_run_free(&r);
	/* The same for the commands that sign a change, and whoami. */
	r = t_chatv(store, "react", "--key", key, id, "+1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, want);
	t_run_free(&r);
	r = t_chatv(store, "whoami", "--key", key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, want);
	t_run_free(&r);
	/* Group-readable only is open too. */
	cr_assert_eq(chmod(key, 0640), 0);
	r = t_chatv(store, "send", "--key", key, "-m", "group");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "(mode 0640)");
	t_run_free(&r);

	cr_assert_eq(chmod(key, 0600), 0);
	r = t_chatv(store, "send", "--key", key, "-m", "quiet now");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);
	/* 0400 is private too. */
	cr_assert_eq(chmod(key, 0400), 0);
	r = t_chatv(store, "send", "--key", key, "-m", "read-only key");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);
}
