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

Test(sync_http_auth, credentials_from_git_helpers, .timeout = 120)
{
	char *dir = t_scratch_copy(), *srv = t_path(dir, "srv"), *url, *repo, *helper, *calls,
	     *creds;
	t_server_opts o = { .user = "alice", .password = "secret" };
	t_server *s;
	t_person a;
	t_run r;

	t_mkdir(srv);
	s = t_server_start_opts(T_SERVER_HTTP, srv, &o);
	repo = t_keep(t_server_new_repo(s, "team.git"));
	url = t_keep(t_server_url(s, "team.git"));
	t_person_init(&a, dir, "Alice");
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
	{
		char *script = t_fmt(
			"#!/bin/sh\necho \"$1\" >> '%s'\n"
			"if [ \"$1\" = get ]; then echo username=alice; echo \"password=$(cat '%s')\"; fi\n",
			calls, creds);
		t_write_file(helper, script, strlen(script));
		cr_assert_eq(chmod(helper, 0755), 0);
	}
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
