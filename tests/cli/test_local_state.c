/*
 * Local state and local input that is not what it should be, through the
 * real binary: a FIFO (or any file that is not a regular one) where the
 * order index, the verification cache, the message cache or the key
 * should be never hangs a command, and the caches are rebuilt; `log` never
 * opens the private key; a key whose halves disagree, or one too large, is
 * refused as ssh-keygen refuses it; dates outside 1970..9999 are refused,
 * not clamped; a name that is not UTF-8 still gives valid JSON; thousands
 * of invalid commits are summarised, not listed.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "testgolden.h"
#include "testchat.h"

#define ROOM "general"

/* git chat ARGS on STORE, killed after 60 s: a command that blocks fails
 * the test instead of hanging it. */
static t_run bounded(const char *store, const char *const *args)
{
	const char *argv[32] = { "timeout", "-k", "5", "60", GITCHAT_BIN };
	char *gitdir = NULL;
	const char *env[2] = { NULL, NULL };
	size_t i = 5;
	t_run r;

	for (; *args && i < 31; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	cr_assert(asprintf(&gitdir, "GIT_DIR=%s", store) > 0);
	env[0] = gitdir;
	r = t_run_argv(NULL, argv, NULL, 0, env);
	free(gitdir);
	cr_assert_neq(r.status, 124, "git chat %s hung (killed after 60 s)", args[-1]);
	return r;
}

static void make_fifo(const char *path)
{
	unlink(path);
	cr_assert_eq(mkfifo(path, 0644), 0, "mkfifo %s", path);
}

static int is_regular(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The message cache of the room: chat/index/general.text-<id>. */
static char *message_cache(const char *store)
{
	char *dir = t_path(store, "chat/index"), *found = NULL;
	DIR *d = opendir(dir);
	struct dirent *e;

	cr_assert(d != NULL);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, ROOM ".text-", strlen(ROOM ".text-")))
			found = t_path(dir, e->d_name);
	closedir(d);
	free(dir);
	cr_assert(found != NULL, "no message cache");
	return found;
}

static void expect_log(const char *store, const char *key, const char *what)
{
	const char *args[] = { "log", "-r", ROOM, "--key", key, NULL };
	t_run r = bounded(store, args);
	cr_assert_eq(r.status, 0, "%s: log: %s", what, r.err);
	t_assert_contains(r.out, "first words");
	t_assert_contains(r.out, "second words");
	t_run_free(&r);
}

Test(local_state, fifos_in_place_of_local_state_never_hang)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *key = t_golden_key(dir, "alice"), *pub = t_fmt("%s.pub", key);
	char *index = t_path(store, "chat/index/" ROOM);
	char *verified = t_path(store, "chat/verified/" ROOM);
	char *cache;

	t_set_time(T_GOLDEN_T0);
	free(t_chat_expect(store, 0, NULL, "send", "-r", ROOM, "--key", key, "-m", "first words", NULL).out);
	t_set_time(T_GOLDEN_T0 + 60);
	free(t_chat_expect(store, 0, NULL, "send", "-r", ROOM, "--key", key, "-m", "second words", NULL).out);
	expect_log(store, key, "warm");
	cache = message_cache(store);
	cr_assert(is_regular(index) && is_regular(verified) && is_regular(cache));

	/* Each cache a FIFO: read around, then rebuilt as a file. */
	make_fifo(index);
	expect_log(store, key, "index");
	cr_assert(is_regular(index), "the order index was rebuilt");
	make_fifo(verified);
	unlink(index);                 /* so that the room is verified again */
	expect_log(store, key, "verification cache");
	cr_assert(is_regular(verified), "the verification cache was rebuilt");
	cache = message_cache(store);
	make_fifo(cache);
	expect_log(store, key, "message cache");

	/* The key a FIFO: log only reads, and never opens it (its .pub says
	 * who we are); whoami and send refuse it at once. */
	char *saved = t_read_file(key, NULL);
	make_fifo(key);
	expect_log(store, key, "key");
	const char *whoami[] = { "whoami", "--key", key, NULL };
	t_run r = bounded(store, whoami);
	cr_assert_eq(r.status, 128, "whoami: %d %s", r.status, r.err);
	t_assert_contains(r.err, "not a regular file");
	t_run_free(&r);
	const char *send[] = { "send", "-r", ROOM, "--key", key, "-m", "never", NULL };
	r = bounded(store, send);
	cr_assert_eq(r.status, 128, "send: %d %s", r.status, r.err);
	t_assert_contains(r.err, "not a regular file");
	t_run_free(&r);

	/* The .pub a FIFO: log goes without knowing who we are, whoami without
	 * the comment. */
	unlink(key);
	t_write_file(key, saved, strlen(saved));
	cr_assert_eq(chmod(key, 0600), 0);
	make_fifo(pub);
	expect_log(store, key, ".pub");
	r = bounded(store, whoami);
	cr_assert_eq(r.status, 0, "whoami: %d %s", r.status, r.err);
	t_assert_contains(r.out, "ssh-ed25519 ");
	t_run_free(&r);
	free(saved);
}

/* A key file whose clear public key is another key than its private
 * section: ssh-keygen refuses it, and so do whoami and send. */
Test(local_state, a_key_whose_halves_disagree_is_refused)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *alice = t_golden_key(dir, "alice"), *bob = t_golden_key(dir, "bob");
	char *mixed = t_path(dir, "mixed");
	/* Bob's public key in Alice's file: after "openssh-key-v1\0" (15),
	 * "none" twice (16), no kdf options (4), one key (4) comes the public
	 * blob (4): string("ssh-ed25519") (15), then string(pk32) at 58 + 4. */
	t_run r = t_sh("set -e; dec() { sed '1d;$d' \"$1\" | tr -d '\\n' | base64 -d; }; "
	               "dec '%s' > '%s.a'; dec '%s' > '%s.b'; "
	               "off=62; "
	               "{ head -c $off '%s.a'; tail -c +$((off + 1)) '%s.b' | head -c 32; "
	               "  tail -c +$((off + 33)) '%s.a'; } > '%s.m'; "
	               "{ echo '-----BEGIN OPENSSH PRIVATE KEY-----'; base64 -w 70 '%s.m'; "
	               "  echo '-----END OPENSSH PRIVATE KEY-----'; } > '%s'; chmod 600 '%s'",
	               alice, mixed, bob, mixed, mixed, mixed, mixed, mixed, mixed, mixed, mixed);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	/* The file differs from Alice's only there, and ssh-keygen says no. */
	r = t_sh("ssh-keygen -y -f '%s'", mixed);
	cr_assert_neq(r.status, 0, "ssh-keygen accepted the mixed key: %s", r.out);
	t_run_free(&r);
	r = t_sh("ssh-keygen -y -f '%s'", alice);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);

	const char *whoami[] = { "whoami", "--key", mixed, NULL };
	r = bounded(store, whoami);
	cr_assert_eq(r.status, 128, "whoami: %d %s %s", r.status, r.out, r.err);
	t_assert_contains(r.err, "public and private halves are different keys");
	t_run_free(&r);
	char *before = t_snapshot(store);
	const char *send[] = { "send", "-r", ROOM, "--key", mixed, "-m", "forged?", NULL };
	r = bounded(store, send);
	cr_assert_eq(r.status, 128, "send: %d %s", r.status, r.err);
	t_assert_contains(r.err, "different keys");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), before, "send wrote something");
}

/* The size limit the error states is the real one, whatever the size. */
Test(local_state, the_key_size_error_states_the_limit)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *big = t_path(dir, "big");
	const size_t sizes[] = { 65537, 65538, 200000 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		char *data = malloc(sizes[i]);
		memset(data, 'x', sizes[i]);
		t_write_file(big, data, sizes[i]);
		free(data);
		const char *whoami[] = { "whoami", "--key", big, NULL };
		t_run r = bounded(store, whoami);
		cr_assert_eq(r.status, 128);
		t_assert_contains(r.err, "larger than 65536 bytes");
		cr_assert(!strstr(r.err, "65537"), "%zu bytes: %s", sizes[i], r.err);
		t_run_free(&r);
	}
}

/* Dates are refused, not clamped, outside the calendar. */
Test(local_state, dates_outside_the_calendar_are_refused)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *key = t_golden_key(dir, "alice");
	const char *bad[] = { "99999999999999999999", "@99999999999999999999", "@253402300800",
	                      "10000-01-01T00:00:00Z", "1 Jan 99999999999 00:00 +0000",
	                      "9999999999999999999 days ago", "0001-01-01" };
	t_run r;

	t_set_time(T_GOLDEN_T0);
	free(t_chat_expect(store, 0, NULL, "send", "-r", ROOM, "--key", key, "-m", "now", NULL).out);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *since[] = { "log", "-r", ROOM, "--since", bad[i], NULL };
		r = bounded(store, since);
		cr_assert_neq(r.status, 0, "--since '%s' was taken", bad[i]);
		t_assert_contains(r.err, "cannot read the date");
		t_run_free(&r);
	}
	/* The last second of 9999 is a date. */
	const char *last[] = { "log", "-r", ROOM, "--since", "@253402300799", NULL };
	r = bounded(store, last);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);

	/* A commit time past 9999 is never written. */
	char *before = t_snapshot(store);
	setenv("GIT_AUTHOR_DATE", "@253402300800 +0000", 1);
	r = t_chat_expect(store, -1, NULL, "send", "-r", ROOM, "--key", key, "-m", "future", NULL);
	cr_assert_neq(r.status, 0, "a message from the year 10000 was sent");
	t_assert_contains(r.err, "cannot read the date");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), before);
	unsetenv("GIT_AUTHOR_DATE");
}

/* A name that is not UTF-8 is valid (git fsck takes it) and shown with
 * U+FFFD everywhere: in JSON too, which stays valid. */
Test(local_state, a_name_that_is_not_utf8_still_gives_json)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *key = t_golden_key(dir, "alice");

	t_set_time(T_GOLDEN_T0);
	setenv("GIT_AUTHOR_NAME", "Al\xff\xfe" "ce \xc3", 1);
	free(t_chat_expect(store, 0, NULL, "send", "-r", ROOM, "--key", key, "-m", "hi", NULL).out);
	unsetenv("GIT_AUTHOR_NAME");
	t_run r = t_chat_expect(store, 0, NULL, "log", "-r", ROOM, "--format=json", NULL);
	t_assert_contains(r.out, "\"name\":\"Al\\ufffd\\ufffdce \\ufffd\"");
	const char *py[] = { "python3", "-c", "import json, sys\n"
		"for l in sys.stdin.buffer.read().decode('utf-8').splitlines(): json.loads(l)\n", NULL };
	t_run j = t_run_argv(NULL, py, r.out, r.out_len, NULL);
	cr_assert_eq(j.status, 0, "not JSON: %s", j.err);
	t_run_free(&j);
	t_run_free(&r);
	r = t_chat_expect(store, 0, NULL, "log", "-r", ROOM, NULL);
	t_assert_contains(r.out, "Al<U+FFFD><U+FFFD>ce <U+FFFD>");
	t_run_free(&r);
}

/* Thousands of invalid commits (here unsigned ones, under one chat ref,
 * written by git fast-import): readers warn about the first few and sum up
 * the rest; verify lists them all. */
Test(local_state, many_invalid_commits_are_summarised)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *key = t_golden_key(dir, "alice");
	const size_t n = 5000;
	gitchat_buf in = GITCHAT_BUF_INIT;
	const char *fi[] = { "git", "--git-dir", store, "fast-import", "--quiet", NULL };
	struct timespec t0, t1;
	t_run r;

	t_set_time(T_GOLDEN_T0);
	free(t_chat_expect(store, 0, NULL, "send", "-r", ROOM, "--key", key, "-m", "first words", NULL).out);
	for (size_t i = 0; i < n; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "m%zu\n", i);
		cr_assert_eq(gitchat_buf_printf(&in, "commit refs/chat/" ROOM "/%064d\nmark :%zu\n"
		             "committer M <m@example.org> %lld +0000\ndata %d\n%s", 0, i + 1,
		             T_GOLDEN_T0 + (long long)i, len, msg), 0);
		if (i)
			cr_assert_eq(gitchat_buf_printf(&in, "from :%zu\n", i), 0);
		cr_assert_eq(gitchat_buf_puts(&in, "\n"), 0);
	}
	r = t_run_argv(NULL, fi, in.ptr, in.size, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	gitchat_buf_dispose(&in);

	const char *log[] = { "log", "-r", ROOM, NULL };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = bounded(store, log);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "first words");
	cr_assert_leq(t_count_lines(r.err), 11, "%zu lines of warnings", t_count_lines(r.err));
	t_assert_contains(r.err, "... and 4990 more invalid commits in 'general'; "
	                         "run 'git chat verify -r general' for all");
	cr_assert_lt((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, 30.0);
	t_run_free(&r);

	const char *verify[] = { "verify", "-r", ROOM, NULL };
	r = bounded(store, verify);
	cr_assert_neq(r.status, 0);
	t_run_free(&r);
}

/* `log` in the two formats whose bytes the message cache must not change. */
static const char *const cache_formats[] = { "--format=json", "--format=text" };

static void logs(char *out[2], const char *store, const char *key)
{
	for (int i = 0; i < 2; i++)
		out[i] = t_chat_expect(store, 0, NULL, "log", "-r", ROOM, "--key", key, cache_formats[i],
		                       NULL).out;
}

/* Removes the cache, then `log` must give `with` again, from git. */
static void same_without_cache(char *with[2], const char *store, const char *key, const char *what)
{
	char *cache = message_cache(store), *without[2];

	cr_assert_eq(unlink(cache), 0);
	free(cache);
	logs(without, store, key);
	for (int i = 0; i < 2; i++) {
		cr_assert_str_eq(without[i], with[i], "%s: %s without the cache", what, cache_formats[i]);
		free(without[i]);
		free(with[i]);
	}
}

/* The message cache is a copy: `log` gives the same bytes with it, without
 * it (every message read from git) and with it made again; replies,
 * reactions and attachments included. */
Test(local_state, the_message_cache_changes_no_byte_of_the_output)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *key = t_golden_key(dir, "alice");
	char *att = t_path(dir, "notes.txt"), *first, *with[2];

	t_write_file(att, "attached bytes\n", 15);
	t_set_time(T_GOLDEN_T0);
	first = t_chat_expect(store, 0, NULL, "send", "-r", ROOM, "--key", key, "-m",
	                      "first words, **bold** and \xc3\xa9", NULL).out;
	first[strcspn(first, "\n")] = '\0';
	t_set_time(T_GOLDEN_T0 + 60);
	free(t_chat_expect(store, 0, NULL, "send", "-r", ROOM, "--key", key, "--reply", first, "-m",
	                   "second words\n\nin two paragraphs", "--attach", att, NULL).out);
	t_set_time(T_GOLDEN_T0 + 120);
	free(t_chat_expect(store, 0, NULL, "react", "-r", ROOM, "--key", key, first, "+1", NULL).out);
	logs(with, store, key);
	same_without_cache(with, store, key, "first");
	/* the next update makes the cache again, for every message */
	t_set_time(T_GOLDEN_T0 + 180);
	free(t_chat_expect(store, 0, NULL, "send", "-r", ROOM, "--key", key, "-m", "third", NULL).out);
	logs(with, store, key);
	t_assert_contains(with[0], "third");
	same_without_cache(with, store, key, "made again");
	free(first);
	free(att);
	free(key);
	free(store);
}
