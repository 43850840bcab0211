/*
 * What a new user's trial found (issue 10, item 9): whoami on a key with a
 * passphrase, a missing name and email, a room name with a non-ASCII
 * character, 'git chat rooms' on an empty store. (The hook note once per
 * repository: tests/cli/test_sync_blocked.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

Test(first_run, whoami_shows_the_pub_of_a_key_with_a_passphrase)
{
	const char *dir = t_scratch();
	char *key = t_path(dir, "id_ed25519"), *pub;
	t_run r = t_sh("ssh-keygen -q -t ed25519 -N 'secret words' -C 'me@laptop' -f '%s'", key), want;

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	want = t_sh("ssh-keygen -l -f '%s.pub'", key);
	r = t_chatv(NULL, "whoami", "--key", key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* As ssh-keygen -y would print it (from the .pub), and -l. */
	pub = t_read_file(t_fmt("%s.pub", key), NULL);
	cr_assert_str_eq(r.out, t_fmt("%s%s", pub, want.out));
	/* It signs through ssh-agent (issue 12), and there is none here. */
	t_assert_contains(r.err, "protected by a passphrase");
	t_assert_contains(r.err, "signs: through ssh-agent");
	t_run_free(&r);
	t_run_free(&want);

	/* Without its .pub, the public half the file shows in the clear, as
	 * ssh-keygen -l reads it. */
	want = t_sh("ssh-keygen -l -f '%s'", key);
	r = t_sh("rm '%s.pub'", key);
	t_run_free(&r);
	r = t_chatv(NULL, "whoami", "--key", key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strncmp(r.out, pub, strlen("ssh-ed25519 ") + 68), 0, "%s", r.out);
	t_assert_contains(r.out, t_strndup(want.out, strlen("256 SHA256:") + 43));
	t_run_free(&r);
	t_run_free(&want);
}

Test(first_run, a_missing_name_and_email_are_one_error)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1), *before = t_snapshot(store);
	const char *unset = "env -u GIT_AUTHOR_NAME -u GIT_AUTHOR_EMAIL -u GIT_COMMITTER_NAME "
	                    "-u GIT_COMMITTER_EMAIL";
	t_run r = t_sh("%s GIT_DIR='%s' '%s' send --key '%s' -m hi", unset, store, GITCHAT_BIN, key);

	cr_assert_eq(r.status, 128, "%s", r.err);
	cr_assert_eq(t_count_lines(r.err), 1, "%s", r.err);
	t_assert_contains(r.err, "the author name and email are unknown");
	t_assert_contains(r.err, "git config --global user.name");
	t_assert_contains(r.err, "git config --global user.email");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), before);

	/* Only the email missing: only the email named. */
	r = t_sh("%s GIT_AUTHOR_NAME=Ann GIT_DIR='%s' '%s' send --key '%s' -m hi", unset, store,
	         GITCHAT_BIN, key);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "the author email is unknown");
	cr_assert_null(strstr(r.err, "user.name"), "%s", r.err);
	t_run_free(&r);
}

Test(first_run, a_bad_room_name_shows_the_character_whole)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	t_run r = t_chatv(store, "log", "-r", "café");

	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "has the character 'é' at position 4");
	t_run_free(&r);
	/* A control character is shown escaped, never raw. */
	r = t_chatv(store, "log", "-r", "a\033b");
	t_assert_contains(r.err, "has the character '\\x1b' at position 2");
	t_run_free(&r);
	/* Invalid UTF-8: its first byte, escaped. */
	r = t_chatv(store, "log", "-r", "a\xc3(");
	t_assert_contains(r.err, "has the character '\\xc3' at position 2");
	t_run_free(&r);
}

Test(first_run, rooms_on_an_empty_store_says_so)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	t_run r = t_chatv(store, "rooms");

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	t_assert_contains(r.err, "no rooms in this store yet");
	t_assert_contains(r.err, "git chat send");
	t_run_free(&r);
	r = t_chatv(store, "rooms", "--format=json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);
}
