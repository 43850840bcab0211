/*
 * HTTP credentials through git's own credential helpers: a smart HTTP
 * server (tests/lib/servers.h, with basic authentication) that wants a
 * user name and password. The helper gives them (`git credential fill`),
 * is told they worked (`approve`), or that they did not (`reject`, and the
 * sync fails with a clear error).
 */
#include <sys/stat.h>
#include <unistd.h>
#include "testsync.h"
#include "servers.h"

/* A smart HTTP server wanting alice/secret, with team.git; Alice in `dir`. */
static t_server *auth_server(const char *dir, t_person *a, char **url, char **repo)
{
	char *srv = t_path(dir, "srv");
	t_server_opts o = { .user = "alice", .password = "secret" };
	t_server *s;

	t_mkdir(srv);
	s = t_server_start_opts(T_SERVER_HTTP, srv, &o);
	*repo = t_keep(t_server_new_repo(s, "team.git"));
	*url = t_keep(t_server_url(s, "team.git"));
	t_person_init(a, dir, "Alice");
	return s;
}

/* A credential helper at `helper` that logs its action to `calls` and
 * answers `get` with alice and the password `password_sh` (shell text). */
static void write_helper(const char *helper, const char *calls, const char *password_sh)
{
	char *script = t_fmt(
		"#!/bin/sh\necho \"$1\" >> '%s'\n"
		"if [ \"$1\" = get ]; then echo username=alice; echo \"password=%s\"; fi\n",
		calls, password_sh);

	t_write_file(helper, script, strlen(script));
	cr_assert_eq(chmod(helper, 0755), 0);
}

Test(sync_http_auth, credentials_from_git_helpers, .timeout = 120)
{
	char *dir = t_scratch_copy(), *url, *repo, *helper, *calls, *creds;
	t_server *s;
	t_person a;
	t_run r;

	s = auth_server(dir, &a, &url, &repo);
	t_person_send(&a, "general", "behind a password");

	/* no helper, no terminal: a clear error, nothing done */
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	r = t_person_sync(&a, url, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "needs a user name and password"), "%s", r.err);
	cr_assert(t_contains(r.err, "credential"), "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_refs(repo, "refs/chat"), "");

	/* a helper that knows the password; it hears "store" after success */
	calls = t_path(dir, "calls");
	creds = t_path(dir, "password");
	t_write_file(creds, "secret", 6);
	helper = t_path(dir, "helper.sh");
	write_helper(helper, calls, t_fmt("$(cat '%s')", creds));
	free(t_git_out(a.store, "config credential.helper '%s'", helper));
	r = t_person_sync(&a, url, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_refs(repo, "refs/chat"), t_refs(a.store, "refs/chat"));
	char *seen = t_read_file(calls, NULL);
	cr_assert(t_contains(seen, "get\nstore\n"), "helper calls: %s", seen);
	free(seen);

	/* a wrong password: refused, the helper told to forget it ("erase") */
	t_write_file(creds, "wrong", 5);
	unlink(calls);
	t_person_send(&a, "general", "second");
	r = t_person_sync(&a, url, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "refused the user name and password"), "%s", r.err);
	t_run_free(&r);
	seen = t_read_file(calls, NULL);
	cr_assert(t_contains(seen, "erase"), "helper calls: %s", seen);
	cr_assert(!t_contains(seen, "store"));
	free(seen);
	t_store_sound(a.store);
	unsetenv("GIT_TERMINAL_PROMPT");
	t_server_stop(s);
}

/* The library leaves SIGPIPE's disposition to the program (sync.h): its
 * writes to `git credential` go through a socket with MSG_NOSIGNAL, where
 * they once swapped the process's handler around each write. Watched with
 * strace on the main process (not the helpers: git sets its own): the only
 * change is the command's own, once. */
Test(sync_http_auth, the_library_leaves_sigpipe_alone, .timeout = 120)
{
	char *dir = t_scratch_copy(), *url, *repo, *helper, *calls, *trace, *text, *p;
	t_server *s;
	t_person a;
	t_run r;
	int n = 0;

	r = t_sh("command -v strace");
	cr_assert_eq(r.status, 0, "strace is missing: .ci/install-deps installs it");
	t_run_free(&r);
	s = auth_server(dir, &a, &url, &repo);
	t_person_send(&a, "general", "hello");
	calls = t_path(dir, "calls");
	helper = t_path(dir, "helper.sh");
	write_helper(helper, calls, "secret");
	free(t_git_out(a.store, "config credential.helper '%s'", helper));
	trace = t_path(dir, "trace");
	/* LeakSanitizer cannot run under ptrace. */
	r = t_sh("GIT_DIR='%s' GIT_CHAT_KEY='%s' GIT_TERMINAL_PROMPT=0 "
	         "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" "
	         "strace -qq -e trace=rt_sigaction -o '%s' '%s' sync '%s'",
	         a.store, a.key, trace, GITCHAT_BIN, url);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	text = t_keep(t_read_file(calls, NULL));
	cr_assert(t_contains(text, "get\nstore\n"), "the helper was not asked: %s", text);
	text = t_keep(t_read_file(trace, NULL));
	for (p = text; (p = strstr(p, "rt_sigaction(SIGPIPE")); p++)
		n++;
	cr_assert_leq(n, 1, "SIGPIPE's handler changed %d times:\n%s", n, text);
	t_server_stop(s);
}
