/*
 * Bad input: each case is a clear error that names the problem, a non-zero
 * exit (129 for usage errors), and a store left exactly as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

typedef struct {
	const char *dir;
	char *store, *key;
	char *snap;
} fixture;

static void setup(fixture *f)
{
	f->dir = t_scratch();
	f->store = t_store(f->dir, "store");
	f->key = t_keygen(f->dir, "k", 1);
	free(t_send(f->store, f->key, "general", "the only message"));
	f->snap = t_snapshot(f->store);
}

/* Runs git-chat with args (and stdin) on the store; asserts the exit code,
 * `want` in stderr, nothing on stdout, and an unchanged store. */
static void expect_fail_in(const fixture *f, const char *input, const char *const *args,
                           int status, const char *want)
{
	t_run r = t_chat(f->store, input, args);
	char *after;
	cr_assert_eq(r.status, status, "'%s %s': exit %d, want %d\n%s", args[0],
	             args[1] ? args[1] : "", r.status, status, r.err);
	t_assert_contains(r.err, want);
	cr_assert_str_eq(r.out, "", "'%s' printed to stdout", args[0]);
	if (status != 129) {
		/* One line, git style: "fatal: ..." */
		cr_assert_eq(strncmp(r.err, "fatal: ", 7), 0, "%s", r.err);
	}
	t_run_free(&r);
	after = t_snapshot(f->store);
	cr_assert_str_eq(after, f->snap, "the store changed after '%s'", args[0]);
	free(after);
}

#define expect_fail(f, input, status, want, ...) do { \
		const char *a_[] = { __VA_ARGS__, NULL }; \
		expect_fail_in((f), (input), a_, (status), (want)); \
	} while (0)

Test(bad_input, invalid_room_names)
{
	fixture f;
	setup(&f);
	char long_room[66];
	memset(long_room, 'a', 65);
	long_room[65] = '\0';
	struct { const char *room, *want; } rooms[] = {
		{ "../x", "'../x'" },
		{ "a..b", "'..'" },
		{ "x.lock", "'.lock'" },
		{ "", "empty" },
		{ long_room, "65 characters" },
		{ "General", "'G'" },
		{ "has space", "' '" },
		{ "a/b", "'/'" },
		{ ".hidden", "start with a letter or a digit" },
		{ "_x", "start with a letter or a digit" },
		{ "x.", "end in '.'" },
		{ "caf\xc3\xa9", "a-z 0-9" },
		{ "tab\there", "a-z 0-9" },
	};
	for (size_t i = 0; i < sizeof(rooms) / sizeof(*rooms); i++) {
		const char *r = rooms[i].room;
		expect_fail(&f, NULL, 128, rooms[i].want, "send", "--key", f.key, "-r", r, "-m", "hi");
		expect_fail(&f, NULL, 128, rooms[i].want, "log", "-r", r);
		expect_fail(&f, NULL, 128, rooms[i].want, "verify", "-r", r);
		expect_fail(&f, NULL, 128, rooms[i].want, "allowed-signers", "-r", r);
	}
	/* The longest valid name works. */
	char ok[65];
	memset(ok, 'a', 64);
	ok[64] = '\0';
	free(t_send(f.store, f.key, ok, "64 is fine"));
}

Test(bad_input, invalid_messages)
{
	fixture f;
	setup(&f);
	char *file = t_path(f.dir, "msg");
	size_t big = 64 * 1024 + 1;
	char *over = t_keep(malloc(big + 1));
	memset(over, 'x', big);
	over[big] = '\0';

	expect_fail(&f, NULL, 128, "empty", "send", "--key", f.key, "-m", "");
	expect_fail(&f, NULL, 128, "empty", "send", "--key", f.key, "-m", "  \n\t \r\n ");
	expect_fail(&f, "", 128, "empty", "send", "--key", f.key);
	expect_fail(&f, "\n\n", 128, "empty", "send", "--key", f.key);
	t_write_file(file, " \n", 2);
	expect_fail(&f, NULL, 128, "empty", "send", "--key", f.key, "-F", file);

	expect_fail(&f, NULL, 128, "limit", "send", "--key", f.key, "-m", over);
	expect_fail(&f, over, 128, "limit", "send", "--key", f.key);
	expect_fail(&f, over, 128, "limit", "send", "--key", f.key, "-F", "-");
	t_write_file(file, over, big);
	expect_fail(&f, NULL, 128, "limit", "send", "--key", f.key, "-F", file);
	/* Far over the limit: refused without reading it all into a commit. */
	char *huge = t_keep(malloc(1024 * 1024 + 1));
	memset(huge, 'y', 1024 * 1024);
	huge[1024 * 1024] = '\0';
	expect_fail(&f, huge, 128, "limit", "send", "--key", f.key);

	const char *bad_utf8[] = {
		"\xff", "abc\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"ok \xe2\x82", "\x80", "caf\xe9",
	};
	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(*bad_utf8); i++) {
		expect_fail(&f, NULL, 128, "UTF-8", "send", "--key", f.key, "-m", bad_utf8[i]);
		expect_fail(&f, bad_utf8[i], 128, "UTF-8", "send", "--key", f.key);
	}
	t_write_file(file, "nul\0byte", 8);
	expect_fail(&f, NULL, 128, "NUL", "send", "--key", f.key, "-F", file);
	expect_fail(&f, NULL, 128, "cannot open", "send", "--key", f.key, "-F", "/nonexistent/file");

	/* A configured limit. */
	free(t_git(f.store, "config chat.maxMessageBytes 100"));
	f.snap = t_snapshot(f.store);
	char m101[102], m100[101];
	memset(m101, 'z', 101);
	m101[101] = '\0';
	memset(m100, 'z', 100);
	m100[100] = '\0';
	expect_fail(&f, NULL, 128, "over the limit of 100", "send", "--key", f.key, "-m", m101);
	expect_fail(&f, m101, 128, "100", "send", "--key", f.key);
	free(t_send(f.store, f.key, "general", m100));
	free(t_git(f.store, "config chat.maxMessageBytes nonsense"));
	f.snap = t_snapshot(f.store);
	expect_fail(&f, NULL, 128, "chat.maxMessageBytes", "send", "--key", f.key, "-m", "x");
	free(t_git(f.store, "config chat.maxMessageBytes 0"));
	f.snap = t_snapshot(f.store);
	expect_fail(&f, NULL, 128, "chat.maxMessageBytes", "send", "--key", f.key, "-m", "x");
}

Test(bad_input, exactly_at_the_limit)
{
	fixture f;
	setup(&f);
	size_t n = 64 * 1024;
	char *text = t_keep(malloc(n + 2));
	memset(text, 'x', n);
	memcpy(text + n - 4, "\xe2\x82\xac", 3);   /* a multibyte character at the end */
	text[n - 1] = 'x';
	text[n] = '\n';                            /* a final newline is not text */
	text[n + 1] = '\0';
	const char *args[] = { "send", "--key", f.key, NULL };
	t_run r = t_chat(f.store, text, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	const char *m[] = { "send", "--key", f.key, "-m", text, NULL };
	text[n] = '\0';
	r = t_chat(f.store, NULL, m);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

Test(bad_input, bad_keys)
{
	fixture f;
	setup(&f);
	char *enc = t_path(f.dir, "enc"), *rsa = t_path(f.dir, "rsa"), *junk = t_path(f.dir, "junk");
	t_run r = t_sh("ssh-keygen -q -t ed25519 -N pw -f '%s' && ssh-keygen -q -t rsa -b 2048 "
	               "-N '' -f '%s'", enc, rsa);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	t_write_file(junk, "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", 76);

	expect_fail(&f, NULL, 128, "no key at", "send", "--key", "/nonexistent/key", "-m", "x");
	expect_fail(&f, NULL, 128, "corrupt", "send", "--key", junk, "-m", "x");
	expect_fail(&f, NULL, 128, "passphrase", "send", "--key", enc, "-m", "x");
	expect_fail(&f, NULL, 128, "ssh-rsa", "send", "--key", rsa, "-m", "x");
	/* A public key signs through ssh-agent (issue 12), but not an RSA one. */
	expect_fail(&f, NULL, 128, "ssh-rsa key", "send", "--key", t_replace(rsa, "rsa", "rsa.pub"),
	            "-m", "x");
}

Test(bad_input, not_a_store)
{
	const char *dir = t_scratch();
	char *key = t_keygen(dir, "k", 1), *plain = t_path(dir, "plain"), *file = t_path(dir, "file");
	char *ceiling = NULL;
	const char *cmds[][6] = {
		{ "send", "--key", key, "-m", "x", NULL },
		{ "log", NULL },
		{ "verify", NULL },
		{ "allowed-signers", NULL },
	};
	t_run r;

	t_mkdir(plain);
	t_write_file(file, "x", 1);
	ceiling = t_fmt("GIT_CEILING_DIRECTORIES=%s", dir);
	for (size_t i = 0; i < 4; i++) {
		const char *argv[8] = { GITCHAT_BIN };
		for (size_t k = 0; cmds[i][k]; k++)
			argv[k + 1] = cmds[i][k];
		/* GIT_DIR at nothing, at a plain directory; a plain working directory. */
		const char *gitdirs[] = { "GIT_DIR=/nonexistent/store", NULL, NULL };
		char *gd = NULL;
		gd = t_fmt("GIT_DIR=%s", plain);
		gitdirs[1] = gd;
		for (size_t k = 0; k < 2; k++) {
			const char *env[] = { gitdirs[k], NULL };
			r = t_run_argv(NULL, argv, NULL, 0, env);
			cr_assert_eq(r.status, 128, "%s with %s: %d %s", cmds[i][0], gitdirs[k], r.status, r.err);
			t_assert_contains(r.err, "not a git-chat store");
			t_assert_contains(r.err, "git chat init");
			t_run_free(&r);
		}
		const char *env[] = { ceiling, NULL };
		r = t_run_argv(plain, argv, NULL, 0, env);
		cr_assert_eq(r.status, 128, "%s in a plain directory: %d %s", cmds[i][0], r.status, r.err);
		t_assert_contains(r.err, "not a git-chat store");
		t_run_free(&r);
		free(gd);
	}
	r = t_sh("ls -A '%s'", plain);
	cr_assert_str_eq(r.out, "", "something was written into a plain directory");
	t_run_free(&r);

	/* init refuses a non-empty non-repository and a file, and leaves them be. */
	char *full = t_path(dir, "full");
	t_mkdir(full);
	t_write_file(t_path(full, "precious"), "data", 4);
	const char *init_full[] = { "init", full, NULL }, *init_file[] = { "init", file, NULL };
	r = t_chat(NULL, NULL, init_full);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "non-empty directory");
	t_run_free(&r);
	r = t_sh("ls -A '%s'", full);
	cr_assert_str_eq(r.out, "precious\n");
	t_run_free(&r);
	r = t_chat(NULL, NULL, init_file);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "not a directory");
	t_run_free(&r);
	cr_assert_str_eq(t_read_file(file, NULL), "x");

	/* init on a store is harmless. */
	char *store = t_store(dir, "store");
	free(t_send(store, key, "general", "kept"));
	char *snap = t_snapshot(store);
	const char *again[] = { "init", store, NULL };
	r = t_chat(NULL, NULL, again);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), snap);
}

static const char *subcommands[] = {
	"init", "keygen", "whoami", "send", "log", "verify", "allowed-signers", NULL
};

Test(bad_input, usage_errors_exit_129)
{
	fixture f;
	setup(&f);
	for (size_t i = 0; subcommands[i]; i++) {
		char usage[64];
		snprintf(usage, sizeof(usage), "usage: git chat %s", subcommands[i]);
		expect_fail(&f, NULL, 129, usage, subcommands[i], "--no-such-option");
		expect_fail(&f, NULL, 129, "unknown option", subcommands[i], "-Z");
		expect_fail(&f, NULL, 129, usage, subcommands[i], "a", "b");
	}
	expect_fail(&f, NULL, 129, "needs a value", "send", "-r");
	expect_fail(&f, NULL, 129, "needs a value", "send", "--key", f.key, "-m");
	expect_fail(&f, NULL, 129, "usage: git chat send", "send", "--key", f.key, "hello");
	expect_fail(&f, NULL, 129, "cannot be used together", "send", "--key", f.key, "-m", "x",
	            "-F", "/dev/null");
	expect_fail(&f, NULL, 129, "-n needs a count", "log", "-n", "abc");
	expect_fail(&f, NULL, 129, "-n needs a count", "log", "-n", "-1");
	expect_fail(&f, NULL, 129, "unknown format", "log", "--format=xml");
	expect_fail(&f, NULL, 129, "needs a value", "keygen", "-f");
	expect_fail(&f, NULL, 129, "not a git-chat command", "frobnicate");
	expect_fail(&f, NULL, 129, "usage: git chat <command>", "--bogus");

	t_run r = t_chat(f.store, NULL, NULL);
	cr_assert_eq(r.status, 129);
	t_assert_contains(r.err, "usage: git chat <command>");
	t_run_free(&r);
}

Test(bad_input, help_exits_0)
{
	const char *dir = t_scratch();
	(void)dir;
	for (size_t i = 0; subcommands[i]; i++) {
		const char *forms[] = { "--help", "-h" };
		for (size_t k = 0; k < 2; k++) {
			const char *args[] = { subcommands[i], forms[k], NULL };
			char usage[64];
			t_run r = t_chat(NULL, NULL, args);
			snprintf(usage, sizeof(usage), "usage: git chat %s", subcommands[i]);
			cr_assert_eq(r.status, 0, "%s %s: %d %s", subcommands[i], forms[k], r.status, r.err);
			cr_assert_eq(strncmp(r.out, usage, strlen(usage)), 0, "%s", r.out);
			cr_assert(t_count_lines(r.out) >= 3, "%s", r.out);
			cr_assert_str_eq(r.err, "");
			t_run_free(&r);
		}
	}
	const char *top[][2] = { { "--help", NULL }, { "-h", NULL }, { "help", NULL } };
	for (size_t i = 0; i < 3; i++) {
		t_run r = t_chat(NULL, NULL, top[i]);
		cr_assert_eq(r.status, 0);
		t_assert_contains(r.out, "usage: git chat <command>");
		for (size_t k = 0; subcommands[k]; k++)
			t_assert_contains(r.out, subcommands[k]);
		t_run_free(&r);
	}
	const char *version[] = { "--version", NULL };
	t_run r = t_chat(NULL, NULL, version);
	cr_assert_eq(r.status, 0);
	t_assert_contains(r.out, "git-chat " GITCHAT_VERSION);
	t_run_free(&r);
}
