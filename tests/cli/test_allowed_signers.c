/*
 * `git chat allowed-signers`: a warning for an email claimed by several
 * keys, and a misspelt -r room as an error.
 */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"


Test(allowed_signers, allowed_signers_warns_about_an_email_claimed_by_several_keys)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *alice = t_keygen(dir, "alice", 1), *mallory = t_keygen(dir, "mallory", 1);
	char *bob = t_keygen(dir, "bob", 0);
	const char *as_alice[] = { "GIT_AUTHOR_NAME=Alice", "GIT_AUTHOR_EMAIL=alice@example.org",
	                           NULL };
	const char *as_bob[] = { "GIT_AUTHOR_NAME=Bob", "GIT_AUTHOR_EMAIL=bob@example.org", NULL };
	char *signers = t_path(dir, "signers"), *forged;
	t_run r;

	free(t_send_env(store, alice, "general", "hi, I am Alice", as_alice));
	free(t_send_env(store, bob, "general", "hi, Bob here", as_bob));
	/* One key per email: no warning. */
	r = t_chatv(store, "allowed-signers");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	cr_assert_eq(strstr(r.err, "warning"), NULL, "%s", r.err);
	t_run_free(&r);

	/* Mallory claims Alice's email: stock git would call her commit Alice's. */
	forged = t_send_env(store, mallory, "general", "send me your password", as_alice);
	r = t_chatv(store, "allowed-signers");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* The file is unchanged in form: still one line per key and email. */
	cr_assert_eq(t_count_lines(r.out), 3, "%s", r.out);
	cr_assert_eq(t_count(r.out, "alice@example.org namespaces=\"git\" ssh-ed25519 "), 2, "%s",
	             r.out);
	t_assert_contains(r.err, "warning: 2 keys claim the email 'alice@example.org'");
	t_assert_contains(r.err, t_fingerprint(alice));
	t_assert_contains(r.err, t_fingerprint(mallory));
	cr_assert_eq(strstr(r.err, t_fingerprint(bob)), NULL, "%s", r.err);
	cr_assert_eq(strstr(r.err, "bob@example.org"), NULL, "%s", r.err);
	t_assert_contains(r.err, "git will accept a signature by any of these keys");
	t_assert_contains(r.err, "keep only the line of the key you know");
	t_assert_contains(r.err, "'git chat log'");
	t_write_file(signers, r.out, strlen(r.out));
	t_run_free(&r);
	/* What the warning is about: git's verdict names Alice for Mallory. */
	r = t_sh("git --git-dir='%s' -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='%s' "
	         "verify-commit %s", store, signers, forged);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "alice@example.org");
	t_run_free(&r);

	/* -r on one room only counts that room's authors. */
	free(t_send_env(store, bob, "random", "elsewhere", as_bob));
	r = t_chatv(store, "allowed-signers", "-r", "random");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 1, "%s", r.out);
	cr_assert_eq(strstr(r.err, "warning"), NULL, "%s", r.err);
	t_run_free(&r);

	/* The help says it. */
	r = t_chatv(store, "allowed-signers", "--help");
	t_assert_contains(r.out, "several keys claim the same one");
	t_run_free(&r);
}

Test(allowed_signers, allowed_signers_unknown_room_is_an_error)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	t_run r;

	free(t_send(store, key, "general", "hello"));
	free(t_send(store, key, "random", "elsewhere"));
	r = t_chatv(store, "allowed-signers", "-r", "genral");
	cr_assert_eq(r.status, 128, "%d %s", r.status, r.err);
	cr_assert_str_eq(r.out, "");
	t_assert_contains(r.err, "fatal: no room 'genral'");
	t_assert_contains(r.err, "general, random");
	t_assert_contains(r.err, "'git chat rooms'");
	t_run_free(&r);
	r = t_chatv(store, "allowed-signers", "-r", "general");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 1, "%s", r.out);
	t_run_free(&r);
}
