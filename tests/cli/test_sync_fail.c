/*
 * Failure paths (issue 3, item 5): an unreachable remote, a remote that is
 * not a repository, a server that refuses the push, a transfer killed
 * half-way. Each: a clear error, exit 1, the other remotes still sync, the
 * store still passes `git fsck --strict` and `git chat verify`, and the
 * next sync completes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testsync.h"
#include "servers.h"

static void hook(const char *repo, const char *script)
{
	char *path = t_fmt("%s/hooks/pre-receive", repo);
	t_write_file(path, script, strlen(script));
	cr_assert_eq(chmod(path, 0755), 0);
	free(path);
}

static void unhook(const char *repo)
{
	char *path = t_fmt("%s/hooks/pre-receive", repo);
	unlink(path);
	free(path);
}

Test(sync_fail, unreachable_remote_others_still_sync)
{
	char *dir = t_scratch_copy(), *root = t_path(dir, "srv"), *good = t_path(dir, "good.git");
	char *durl, *hurl;
	t_server *daemon, *http;
	t_person a, b;
	t_run r;

	t_mkdir(root);
	daemon = t_server_start(T_SERVER_DAEMON, root);
	http = t_server_start(T_SERVER_HTTP, root);
	free(t_server_new_repo(daemon, "team.git"));
	durl = t_keep(t_server_url(daemon, "team.git"));
	hurl = t_keep(t_server_url(http, "team.git"));
	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_send(&b, "general", "from B, waiting on the server");
	t_person_sync_ok(&b, durl);
	t_person_send(&a, "general", "from A");

	/* both servers go down */
	kill(-t_server_pid(daemon), SIGKILL);
	kill(-t_server_pid(http), SIGKILL);
	usleep(200 * 1000);
	r = t_person_sync(&a, durl, good, hurl, NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, "cannot connect to"), "%s", r.err);
	cr_assert(t_contains(r.err, durl), "the error names the URL: %s", r.err);
	cr_assert(t_contains(r.err, hurl), "%s", r.err);
	cr_assert(t_contains(r.out, "created, 1 log pushed"), "the path remote synced: %s", r.out);
	cr_assert_eq(t_count_lines(r.out), 3, "one summary line per remote: %s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_refs(a.store, "refs/chat-quarantine"), "");
	t_store_sound(a.store);

	/* scp-like addresses are ssh, not paths */
	r = t_person_sync(&a, "nobody@127.0.0.1:/nowhere.git", NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "nobody@127.0.0.1:/nowhere.git"), "%s", r.err);
	t_run_free(&r);

	/* the server comes back: the next sync completes */
	t_server_restart(daemon);
	r = t_person_sync(&a, durl, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "received 1 new message"), "%s", r.out);
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	t_store_sound(a.store);
	t_server_stop(daemon);
	t_server_stop(http);
}

Test(sync_fail, not_a_repository)
{
	char *dir = t_scratch_copy(), *root = t_path(dir, "srv");
	t_server *daemon, *http;
	t_person a;
	char *durl, *hurl;
	t_run r;

	t_mkdir(root);
	daemon = t_server_start(T_SERVER_DAEMON, root);
	http = t_server_start(T_SERVER_HTTP, root);
	durl = t_keep(t_server_url(daemon, "missing.git"));
	hurl = t_keep(t_server_url(http, "missing.git"));
	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "x");
	r = t_person_sync(&a, durl, hurl, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, durl), "%s", r.err);
	cr_assert(t_contains(r.err, hurl), "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	cr_assert(t_contains(r.out, "failed"), "%s", r.out);
	t_run_free(&r);
	t_store_sound(a.store);
	/* once it exists, it works */
	free(t_server_new_repo(daemon, "missing.git"));
	t_person_sync_ok(&a, durl);
	t_person_sync_ok(&a, hurl);
	t_server_stop(daemon);
	t_server_stop(http);
}

Test(sync_fail, server_refuses_the_push)
{
	char *dir = t_scratch_copy(), *repo, *url, *out;
	t_server *daemon;
	t_person a, b, c;
	t_run r;

	url = t_daemon_repo(&daemon, dir, "team.git", &repo);
	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_init(&c, dir, "Carol");
	t_person_send(&c, "general", "from C");
	t_person_sync_ok(&c, url);

	/* a hook that refuses everything */
	hook(repo, "#!/bin/sh\necho 'no pushes today: the server is read-only' >&2\nexit 1\n");
	t_person_send(&a, "general", "from A");
	r = t_person_sync(&a, url, NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, "the server declined"), "%s", r.err);
	cr_assert(t_contains(r.err, t_person_ref(&a, "general")), "names the ref: %s", r.err);
	cr_assert(t_contains(r.err, "pre-receive hook declined"), "%s", r.err);
	cr_assert(t_contains(r.err, "no pushes today"), "the server's reason: %s", r.err);
	cr_assert(t_contains(r.out, "received 1 new message"), "the fetch still worked: %s", r.out);
	cr_assert(t_contains(r.out, "1 push declined"), "%s", r.out);
	t_run_free(&r);
	t_store_sound(a.store);

	/* a hook that refuses one log only: the others still go through */
	t_person_send(&a, "general", "A again");
	t_person_send(&b, "general", "from B");
	t_person_sync_ok(&b, a.store);   /* A now carries B's log too */
	{
		char *script = t_fmt(
			"#!/bin/sh\nbad=0\nwhile read old new ref; do\n"
			"  case \"$ref\" in *%s) echo \"refusing $ref: Alice is banned\" >&2; bad=1;; esac\n"
			"done\nexit $bad\n", a.hex);
		hook(repo, script);
		free(script);
	}
	r = t_person_sync(&a, url, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "Alice is banned"), "%s", r.err);
	cr_assert(t_contains(r.out, "1 log pushed, 1 push declined"), "%s", r.out);
	t_run_free(&r);
	out = t_refs(repo, "refs/chat");
	cr_assert(t_contains(out, t_person_ref(&b, "general")), "B's log was held back: %s", out);
	cr_assert(!t_contains(out, t_person_ref(&a, "general")), "%s", out);

	/* the hook goes away: the next sync completes */
	unhook(repo);
	r = t_person_sync(&a, url, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_refs(repo, "refs/chat"), t_refs(a.store, "refs/chat"));
	t_store_sound(a.store);
	t_server_stop(daemon);
}

/* A relay between the client and the server that, after `limit` bytes
 * from the server, kills the server (its whole process group, so the
 * upload-pack it runs too) and drops the connection: a transfer killed
 * half-way, at a known point. Returns its port. */
static int killing_relay(pid_t *child, int server_port, pid_t server_pgid, size_t limit)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	pid_t pid;

	cr_assert(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in s = { 0 };
		struct pollfd p[2];
		char buf[16384];
		size_t from_server = 0;
		int cfd = accept(lfd, NULL, NULL), sfd = socket(AF_INET, SOCK_STREAM, 0);
		s.sin_family = AF_INET;
		s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s.sin_port = htons((uint16_t)server_port);
		if (cfd < 0 || connect(sfd, (struct sockaddr *)&s, sizeof(s)) < 0)
			_exit(2);
		p[0].fd = cfd;
		p[1].fd = sfd;
		p[0].events = p[1].events = POLLIN;
		for (;;) {
			if (poll(p, 2, 20000) <= 0)
				_exit(3);
			for (int i = 0; i < 2; i++) {
				ssize_t n;
				if (!(p[i].revents & (POLLIN | POLLHUP)))
					continue;
				n = read(p[i].fd, buf, sizeof(buf));
				if (n <= 0)
					_exit(4);
				if (i == 1 && from_server + (size_t)n >= limit) {
					kill(-server_pgid, SIGKILL);
					_exit(0);   /* both sockets drop with us */
				}
				if (write(p[1 - i].fd, buf, (size_t)n) != n)
					_exit(5);
				if (i == 1)
					from_server += (size_t)n;
			}
		}
	}
	close(lfd);
	*child = pid;
	return ntohs(a.sin_port);
}

Test(sync_fail, transfer_killed_half_way, .timeout = 300)
{
	char *dir = t_scratch_copy(), *repo, *url, *proxied, *head;
	t_server *daemon;
	t_person a, b;
	pid_t relay;
	int status, port;
	t_run r;
	size_t pack_kib;

	url = t_daemon_repo(&daemon, dir, "big.git", &repo);
	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	/* a big room: 3000 messages of 1 KiB that do not compress */
	head = t_gen_log(repo, b.key, "general", 3000, 1000);
	free(t_git_out(repo, "repack -adq"));
	pack_kib = (size_t)atol(t_git_out(repo, "count-objects -v | sed -n 's/^size-pack: //p'"));
	cr_assert(pack_kib > 2000, "pack of %zu KiB", pack_kib);
	t_person_send(&a, "general", "A's own words");

	port = killing_relay(&relay, t_server_port(daemon), t_server_pid(daemon),
	                     pack_kib * 1024 / 2);
	proxied = t_fmt("git://127.0.0.1:%d/big.git", port);
	r = t_person_sync(&a, proxied, NULL);
	cr_assert_eq(waitpid(relay, &status, 0), relay);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "the relay did not cut the transfer (status 0x%x)", status);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, "cannot fetch from"), "%s", r.err);
	cr_assert(t_contains(r.err, proxied), "%s", r.err);
	t_run_free(&r);
	/* nothing half-done: no new log, no quarantine, a sound store */
	cr_assert_null(t_ref_value(a.store, t_person_ref(&b, "general")));
	cr_assert_str_eq(t_refs(a.store, "refs/chat-quarantine"), "");
	t_store_sound(a.store);

	/* the server comes back: the next sync completes */
	t_server_restart(daemon);
	r = t_person_sync(&a, url, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "received 3000 new messages"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(a.store, t_person_ref(&b, "general")), head);
	t_store_sound(a.store);
	t_server_stop(daemon);
}
