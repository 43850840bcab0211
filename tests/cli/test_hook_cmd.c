/*
 * `git chat hook pre-receive` run by hand (stdin, usage, errors), the
 * hooks/pre-receive script (which git-chat it runs), and `git chat init
 * --server`.
 */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testforge.h"

#define ZERO "0000000000000000000000000000000000000000"

/* git-chat hook pre-receive in `gitdir` with `input` on stdin. */
static t_run hook(const char *gitdir, const char *input)
{
	const char *args[] = { "hook", "pre-receive", NULL };
	return t_chat(gitdir, input, args);
}

Test(hook_cmd, usage)
{
	const char *none[] = { "hook", NULL };
	const char *other[] = { "hook", "post-receive", NULL };
	const char *extra[] = { "hook", "pre-receive", "x", NULL };
	const char *help[] = { "hook", "--help", NULL };
	t_run r;

	t_scratch();
	r = t_chat(NULL, NULL, none);
	cr_assert_eq(r.status, 129);
	cr_assert(strstr(r.err, "only 'pre-receive' exists"), "%s", r.err);
	t_run_free(&r);
	r = t_chat(NULL, NULL, other);
	cr_assert_eq(r.status, 129);
	cr_assert(strstr(r.err, "'post-receive' is not a git-chat hook"), "%s", r.err);
	t_run_free(&r);
	r = t_chat(NULL, NULL, extra);
	cr_assert_eq(r.status, 129);
	t_run_free(&r);
	r = t_chat(NULL, NULL, help);
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "usage: git chat hook pre-receive"));
	cr_assert(strstr(r.out, "refuses the whole push"));
	t_run_free(&r);
}

Test(hook_cmd, empty_stdin_accepts)
{
	const char *dir = t_scratch();
	char *srv = t_store_server(dir, "s.git", NULL);
	t_run r = hook(srv, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);
}

Test(hook_cmd, malformed_lines_are_fatal)
{
	const char *dir = t_scratch();
	char *srv = t_store_server(dir, "s.git", NULL);
	const char *bad[] = {
		"garbage\n",
		ZERO " " ZERO "\n",                                  /* no ref */
		ZERO " " ZERO " \n",                                 /* empty ref */
		ZERO "  " ZERO " refs/chat/x\n",
		"0000000000000000000000000000000000000000g " ZERO " refs/heads/x\n",
		ZERO " 00000000000000000000000000000000000000AA refs/heads/x\n",
		ZERO " " ZERO " refs/heads/a b\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		t_run r = hook(srv, bad[i]);
		cr_assert_eq(r.status, 128, "line %zu accepted: %s", i, r.err);
		cr_assert(strstr(r.err, "is not a pre-receive update line 'OLD NEW REFNAME'"),
		          "line %zu: %s", i, r.err);
		t_run_free(&r);
	}
}

Test(hook_cmd, outside_a_repository_is_fatal)
{
	const char *dir = t_scratch();
	char *nowhere = t_path(dir, "nothing");
	t_run r = hook(nowhere, ZERO " " ZERO " refs/heads/x\n");

	cr_assert_eq(r.status, 128, "%s", r.err);
	cr_assert(strstr(r.err, "not a git-chat store"), "%s", r.err);
	t_run_free(&r);
}

/* Fed by hand, with the new objects already in the repository (no
 * quarantine): one line per refused ref, exit 1. */
Test(hook_cmd, reports_each_refused_ref)
{
	const char *dir = t_scratch();
	char *srv = t_store_server(dir, "s.git", NULL);
	char *alice = t_keygen(dir, "alice", 1), *mallory = t_keygen(dir, "mallory", 1);
	char *aref = t_ref("general", alice), *mref = t_ref("general", mallory);
	char *a1 = t_send(srv, alice, "general", "hi");
	t_forged c = { .room = "general", .text = "forged", .signer = alice };
	char *forged = t_forge(srv, &c), *in = NULL;
	t_run r;

	in = t_fmt("%s %s %s\n" ZERO " %s %s\n" ZERO " %s refs/heads/main\n",
	                   a1, ZERO, aref, forged, mref, a1);
	r = hook(srv, in);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "error: refusing ") && strstr(r.err, "cannot be deleted"), "%s", r.err);
	cr_assert(strstr(r.err, mref) && strstr(r.err, forged) &&
	          strstr(r.err, "not by the log's owner"), "%s", r.err);
	cr_assert(strstr(r.err, "2 of 3 ref updates are refused"), "%s", r.err);
	cr_assert_eq(t_count_lines(r.err), 3, "%s", r.err);
	t_run_free(&r);

	/* The valid creation alone is accepted and said so. */
	in = t_fmt(ZERO " %s %s\n", a1, aref);
	r = hook(srv, in);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "1 chat log update verified"), "%s", r.err);
	t_run_free(&r);
}

/* A push of a non-commit object to a chat ref. */
Test(hook_cmd, not_a_commit)
{
	const char *dir = t_scratch();
	char *srv = t_store_server(dir, "s.git", NULL);
	char *alice = t_keygen(dir, "alice", 1), *aref = t_ref("general", alice), *in = NULL;
	t_run r = t_sh("echo blob | git --git-dir='%s' hash-object -w --stdin", srv);
	char *blob = t_strndup(r.out, 40);

	t_run_free(&r);
	in = t_fmt(ZERO " %s %s\n", blob, aref);
	r = hook(srv, in);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "is not a commit"), "%s", r.err);
	t_run_free(&r);
}

/* The hook as git runs it, with the pushed objects in a separate object
 * directory: they are found there, and the repository gets none of them. */
Test(hook_cmd, reads_the_quarantine_from_the_environment)
{
	const char *dir = t_scratch();
	char *srv = t_store_server(dir, "s.git", NULL), *cli = t_store(dir, "c.git");
	char *alice = t_keygen(dir, "alice", 1), *aref = t_ref("general", alice);
	char *a1 = t_send(cli, alice, "general", "hi"), *in = NULL, *env[3] = { 0 };
	const char *argv[] = { GITCHAT_BIN, "hook", "pre-receive", NULL };
	t_run r;

	in = t_fmt(ZERO " %s %s\n", a1, aref);
	env[0] = t_fmt("GIT_OBJECT_DIRECTORY=%s/objects", cli);
	env[1] = t_fmt("GIT_ALTERNATE_OBJECT_DIRECTORIES=%s/objects", srv);
	r = t_run_argv(srv, argv, in, strlen(in), (const char *const *)env);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert(!t_has_object(srv, a1));
	/* Without the quarantine the commit is missing: refused, not a crash. */
	r = t_run_argv(srv, argv, in, strlen(in), NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	t_run_free(&r);
}

Test(init_server, sets_up_a_bare_repository)
{
	const char *dir = t_scratch();
	char *srv = t_store_server(dir, "s.git", NULL), *hookpath = t_path(srv, "hooks/pre-receive");
	char *src = t_read_text(GITCHAT_SOURCE_DIR "/hooks/pre-receive");
	char *installed = t_read_text(hookpath);
	struct stat st;
	t_run r;

	cr_assert(src && installed);
	cr_assert_str_eq(installed, src, "the installed hook differs from hooks/pre-receive");
	cr_assert_eq(stat(hookpath, &st), 0);
	cr_assert(st.st_mode & S_IXUSR, "the hook is not executable");
	r = t_git_run(srv, "config --get-regexp '^(receive|http|chat|core\\.bare)'");
	cr_assert(strstr(r.out, "core.bare true"), "%s", r.out);
	cr_assert(strstr(r.out, "receive.denynonfastforwards true"), "%s", r.out);
	cr_assert(strstr(r.out, "receive.denydeletes true"), "%s", r.out);
	cr_assert(strstr(r.out, "receive.fsckobjects true"), "%s", r.out);
	cr_assert(strstr(r.out, "chat.hook.program " GITCHAT_BIN), "%s", r.out);
	cr_assert(!strstr(r.out, "http.receivepack"), "%s", r.out);
	cr_assert(!strstr(r.out, "chat.hook.otherrefs"), "%s", r.out);
	t_run_free(&r);
	/* Again: harmless. */
	t_store_server(dir, "s.git", NULL);
}

Test(init_server, options)
{
	const char *dir = t_scratch();
	const char *extra[] = { "--http", "--chat-only", "--program", "git-chat", NULL };
	char *srv = t_store_server(dir, "s.git", extra);
	t_run r = t_git_run(srv, "config --get-regexp '^(http|chat)'");

	cr_assert(strstr(r.out, "http.receivepack true"), "%s", r.out);
	cr_assert(strstr(r.out, "chat.hook.otherrefs deny"), "%s", r.out);
	cr_assert(strstr(r.out, "chat.hook.program git-chat"), "%s", r.out);
	t_run_free(&r);
}

Test(init_server, refusals)
{
	const char *dir = t_scratch();
	char *full = t_path(dir, "full"), *f = t_path(dir, "full/file"), *work = t_path(dir, "work");
	char *other = t_path(dir, "other.git"), *hp = t_path(dir, "hp.git"), *cfg;
	const char *a_full[] = { "init", "--server", full, NULL };
	const char *a_work[] = { "init", "--server", work, NULL };
	const char *a_other[] = { "init", "--server", other, NULL };
	const char *a_hp[] = { "init", "--server", hp, NULL };
	const char *a_nodir[] = { "init", "--server", NULL };
	const char *a_http[] = { "init", "--http", other, NULL };
	t_run r;

	t_mkdir(full);
	t_write_file(f, "x", 1);
	r = t_chat(NULL, NULL, a_full);
	cr_assert_eq(r.status, 128);
	cr_assert(strstr(r.err, "non-empty directory"), "%s", r.err);
	t_run_free(&r);

	r = t_sh("git init -q '%s'", work);
	t_run_free(&r);
	r = t_chat(NULL, NULL, a_work);
	cr_assert_eq(r.status, 128);
	cr_assert(strstr(r.err, "must be bare"), "%s", r.err);
	t_run_free(&r);

	/* Someone else's pre-receive hook is not overwritten, nor is anything set. */
	r = t_sh("git init -q --bare '%s' && printf '#!/bin/sh\\nexit 0\\n' > '%s/hooks/pre-receive'",
	         other, other);
	t_run_free(&r);
	r = t_chat(NULL, NULL, a_other);
	cr_assert_eq(r.status, 128);
	cr_assert(strstr(r.err, "is not git-chat's hook"), "%s", r.err);
	t_run_free(&r);
	cfg = t_read_text(t_path(other, "config"));
	cr_assert(!strstr(cfg, "receive"), "%s", cfg);

	r = t_sh("git init -q --bare '%s' && git --git-dir='%s' config core.hooksPath /x", hp, hp);
	t_run_free(&r);
	r = t_chat(NULL, NULL, a_hp);
	cr_assert_eq(r.status, 128);
	cr_assert(strstr(r.err, "core.hooksPath"), "%s", r.err);
	t_run_free(&r);

	r = t_chat(NULL, NULL, a_nodir);
	cr_assert_eq(r.status, 129);
	t_run_free(&r);
	r = t_chat(NULL, NULL, a_http);
	cr_assert_eq(r.status, 129);
	cr_assert(strstr(r.err, "go with --server"), "%s", r.err);
	t_run_free(&r);
}

/* The existing bare repository keeps its data and gets the hook. */
Test(init_server, takes_an_existing_bare_repository)
{
	const char *dir = t_scratch();
	char *srv = t_path(dir, "s.git"), *installed;
	t_run r = t_sh("git init -q --bare '%s'", srv);

	t_run_free(&r);
	t_store_server(dir, "s.git", NULL);
	installed = t_read_text(t_path(srv, "hooks/pre-receive"));
	cr_assert(installed && strstr(installed, "hook pre-receive"));
}

/* Which git-chat the script runs: chat.hook.program, GIT_CHAT_PROGRAM,
 * PATH; and none at all refuses the push. */
Test(hook_script, finds_git_chat)
{
	const char *dir = t_scratch();
	char *srv = t_store_server(dir, "s.git", NULL), *cli = t_store(dir, "c.git");
	char *alice = t_keygen(dir, "alice", 1), *aref = t_ref("general", alice);
	char *bin = t_path(dir, "bin"), *before;
	t_run r;

	t_send(cli, alice, "general", "one");
	t_mkdir(bin);
	r = t_git_run(srv, "config --unset chat.hook.program");
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	before = t_refs_all(srv);
	/* No git-chat on PATH: refused, and the pusher is told why. */
	r = t_sh("git --git-dir='%s' push '%s' '%s'", cli, srv, aref);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "remote: error: git-chat hook: cannot run 'git-chat', "
	                        "so the push is refused"), "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_refs_all(srv), before);
	/* GIT_CHAT_PROGRAM in the server's environment. */
	r = t_sh("GIT_CHAT_PROGRAM='%s' git --git-dir='%s' push '%s' '%s'", GITCHAT_BIN, cli, srv,
	         aref);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "remote: git-chat: 1 chat log update verified"), "%s", r.err);
	t_run_free(&r);
	/* On PATH. */
	t_send(cli, alice, "general", "two");
	r = t_sh("ln -s '%s' '%s/git-chat' && PATH='%s':\"$PATH\" git --git-dir='%s' push '%s' '%s'",
	         GITCHAT_BIN, bin, bin, cli, srv, aref);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "remote: git-chat: 1 chat log update verified"), "%s", r.err);
	t_run_free(&r);
	/* chat.hook.program wins over the environment. */
	t_send(cli, alice, "general", "three");
	r = t_git_run(srv, "config chat.hook.program '%s'", GITCHAT_BIN);
	t_run_free(&r);
	r = t_sh("GIT_CHAT_PROGRAM=/nonexistent git --git-dir='%s' push '%s' '%s'", cli, srv, aref);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_git_run(srv, "config chat.hook.program /nonexistent/git-chat");
	t_run_free(&r);
	t_send(cli, alice, "general", "four");
	r = t_sh("git --git-dir='%s' push '%s' '%s'", cli, srv, aref);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "cannot run '/nonexistent/git-chat'"), "%s", r.err);
	t_run_free(&r);
}
