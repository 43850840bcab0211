/*
 * Three identities, three stores, four kinds of remote (issue 3, item 1):
 * a bare repository path, git daemon, smart HTTP (lighttpd + git
 * http-backend) and sshd with key authentication, all on 127.0.0.1. They
 * send interleaved messages and sync in varied orders; in the end every
 * store holds the same refs, `git chat log --format=json` is byte-identical
 * everywhere and every message passes `git verify-commit`.
 */
#include <unistd.h>
#include "testsync.h"
#include "servers.h"

static const char *remotes[4];

static void sync_order(const t_person *p, const int *order)
{
	for (int i = 0; i < 4; i++)
		t_person_sync_ok(p, remotes[order[i]]);
}

Test(sync_servers, three_people_four_transports_converge, .timeout = 400)
{
	char *dir = t_scratch_copy(), *root = t_path(dir, "srv"), *path_remote;
	t_server *daemon, *http, *ssh;
	t_person a, b, c;
	char *refs_a, *json_a;
	static const int order_a[] = { 0, 1, 2, 3 }, order_b[] = { 3, 2, 1, 0 },
	                 order_c[] = { 2, 0, 3, 1 };
	t_run r;

	unsetenv("SSH_AUTH_SOCK");
	t_mkdir(root);
	daemon = t_server_start(T_SERVER_DAEMON, root);
	http = t_server_start(T_SERVER_HTTP, root);
	ssh = t_server_start(T_SERVER_SSH, root);
	free(t_server_new_repo(daemon, "d.git"));
	free(t_server_new_repo(http, "h.git"));
	free(t_server_new_repo(ssh, "s.git"));
	path_remote = t_path(dir, "plain.git");
	remotes[0] = path_remote;
	remotes[1] = t_keep(t_server_url(daemon, "d.git"));
	remotes[2] = t_keep(t_server_url(http, "h.git"));
	remotes[3] = t_keep(t_server_url(ssh, "s.git"));
	/* ssh as a user would set it up: the host in known_hosts, a key file */
	t_server_install_known_hosts(ssh);

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_init(&c, dir, "Carol");
	/* A names her ssh key in git config; B and C use ~/.ssh/id_ed25519 */
	free(t_git_out(a.store, "config chat.sshKey '%s'", t_server_ssh_client_key(ssh)));

	t_person_send(&a, "general", "a1: hello everyone");
	t_person_sync_ok(&a, remotes[0]);
	t_person_sync_ok(&a, remotes[3]);           /* ssh with chat.sshKey */
	r = t_person_sync(&b, remotes[3], NULL);    /* no key for B yet */
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "took none of your keys"), "%s", r.err);
	t_run_free(&r);
	{
		char *home_ssh = t_fmt("%s/.ssh", getenv("HOME"));
		t_run cp = t_sh("cp '%s' '%s/id_ed25519' && cp '%s.pub' '%s/id_ed25519.pub'",
		                t_server_ssh_client_key(ssh), home_ssh,
		                t_server_ssh_client_key(ssh), home_ssh);
		cr_assert_eq(cp.status, 0, "%s", cp.err);
		t_run_free(&cp);
		free(home_ssh);
	}

	t_person_sync_ok(&b, remotes[0]);
	t_person_send(&b, "general", "b1: hi Alice");
	t_person_sync_ok(&b, remotes[1]);
	t_person_sync_ok(&c, remotes[1]);
	t_person_send(&c, "general", "c1: hello both");
	t_person_send(&c, "random", "c1r: a second room");
	t_person_sync_ok(&c, remotes[2]);
	t_person_send(&b, "general", "b2: said before seeing c1");
	t_person_sync_ok(&a, remotes[2]);
	t_person_send(&a, "general", "a2: seen b1 and c1");
	t_person_sync_ok(&a, remotes[3]);
	t_person_sync_ok(&b, remotes[3]);
	t_person_send(&c, "general", "c2: concurrently with a2");
	t_person_sync_ok(&c, remotes[0]);
	t_person_send(&b, "random", "b1r: in random");
	t_person_sync_ok(&b, remotes[2]);
	t_person_sync_ok(&a, remotes[0]);
	t_person_send(&a, "general", "a3: last word, seen c2");

	/* everyone syncs with everything, in different orders, twice */
	for (int round = 0; round < 2; round++) {
		sync_order(&a, order_a);
		sync_order(&b, order_b);
		sync_order(&c, order_c);
	}

	refs_a = t_refs(a.store, "refs/chat");
	cr_assert_eq(t_count_lines(refs_a), 5, "%s", refs_a);
	cr_assert_str_eq(refs_a, t_refs(b.store, "refs/chat"));
	cr_assert_str_eq(refs_a, t_refs(c.store, "refs/chat"));
	cr_assert_str_eq(t_refs(a.store, "refs/chat-remotes"), "");
	cr_assert_str_eq(t_refs(b.store, "refs/chat-remotes"), "");
	for (int i = 1; i < 4; i++) {
		char *repo = i == 1 ? t_path(root, "d.git") : i == 2 ? t_path(root, "h.git")
		                                                     : t_path(root, "s.git");
		cr_assert_str_eq(refs_a, t_refs(repo, "refs/chat"), "remote %s", remotes[i]);
	}
	cr_assert_str_eq(refs_a, t_refs(path_remote, "refs/chat"));
	for (int room = 0; room < 2; room++) {
		const char *name = room ? "random" : "general";
		json_a = t_person_log_json(&a, name);
		cr_assert_eq(t_count_lines(json_a), room ? 2 : 7, "%s", json_a);
		cr_assert_str_eq(json_a, t_person_log_json(&b, name));
		cr_assert_str_eq(json_a, t_person_log_json(&c, name));
	}
	/* the graph records who had seen what: merges exist */
	{
		char *merges = t_git_out(a.store, "rev-list --min-parents=2 --glob=refs/chat");
		cr_assert(t_count_lines(merges) >= 2, "merges: %s", merges);
	}
	t_verify_commits(a.store);
	t_verify_commits(c.store);
	t_store_sound(a.store);
	t_store_sound(b.store);
	t_store_sound(c.store);
	t_server_stop(ssh);
	t_server_stop(http);
	t_server_stop(daemon);
}
