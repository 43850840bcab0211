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
#include "test_sync_common.h"
#include "servers.h"

static void hook(const char *repo, const char *script)
{
	char *path = tp_strdup_printf("%s/hooks/pre-receive", repo);
	t_write_file(path, script, strlen(script));
	cr_assert_eq(chmod(path, 0755), 0);
	free(path);
}

static void unhook(const char *repo)
{
	char *path = tp_strdup_printf("%s/hooks/pre-receive", repo);
	unlink(path);
	free(path);
}

Test(sync_fail, unreachable_remote_others_still_sync)
{
	char *dir = tp_scratch(), *root = t_path(dir, "srv"), *good = t_path(dir, "good.git");
	char *durl, *hurl;
	t_server *daemon, *http;
	tp_person a, b;
	t_run r;

	t_mkdir(root);
	daemon = t_server_start(T_SERVER_DAEMON, root);
	http = t_server_start(T_SERVER_HTTP, root);
	free(t_server_new_repo(daemon, "team.git"));
	durl = tp_keep(t_server_url(daemon, "team.git"));
	hurl = tp_keep(t_server_url(http, "team.git"));
	tp_person_init(&a, dir, "Alice");
	tp_person_init(&b, dir, "Bob");
	tp_send(&b, "general", "from B, waiting on the server");
	tp_sync_ok(&b, durl);
	tp_send(&a, "general", "from A");

	/* both servers go down */
	kill(-t_server_pid(daemon), SIGKILL);
	kill(-t_server_pid(http), SIGKILL);
	usleep(200 * 1000);
	r = tp_sync(&a, durl, good, hurl, NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(tp_contains(r.err, "cannot connect to"), "%s", r.err);
	cr_assert(tp_contains(r.err, durl), "the error names the URL: %s", r.err);
	cr_assert(tp_contains(r.err, hurl), "%s", r.err);
	cr_assert(tp_contains(r.out, "created, 1 log pushed"), "the path remote synced: %s", r.out);
	cr_assert_eq(t_count_lines(r.out), 3, "one summary line per remote: %s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(tp_refs(a.store, "refs/chat-quarantine"), "");
	tp_store_sound(a.store);

	/* scp-like addresses are ssh, not paths */
	r = tp_sync(&a, "nobody@127.0.0.1:/nowhere.git", NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(tp_contains(r.err, "nobody@127.0.0.1:/nowhere.git"), "%s", r.err);
	t_run_free(&r);

	/* the server comes back: the next sync completes */
	t_server_restart(daemon);
	r = tp_sync(&a, durl, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(tp_contains(r.out, "received 1 new message"), "%s", r.out);
	cr_assert(tp_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	tp_store_sound(a.store);
	t_server_stop(daemon);
	t_server_stop(http);
}

Test(sync_fail, not_a_repository)
{
	char *dir = tp_scratch(), *root = t_path(dir, "srv");
	t_server *daemon, *http;
	tp_person a;
	char *durl, *hurl;
	t_run r;

	t_mkdir(root);
	daemon = t_server_start(T_SERVER_DAEMON, root);
	http = t_server_start(T_SERVER_HTTP, root);
	durl = tp_keep(t_server_url(daemon, "missing.git"));
	hurl = tp_keep(t_server_url(http, "missing.git"));
	tp_person_init(&a, dir, "Alice");
	tp_send(&a, "general", "x");
	r = tp_sync(&a, durl, hurl, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(tp_contains(r.err, durl), "%s", r.err);
	cr_assert(tp_contains(r.err, hurl), "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	cr_assert(tp_contains(r.out, "failed"), "%s", r.out);
	t_run_free(&r);
	tp_store_sound(a.store);
	/* once it exists, it works */
	free(t_server_new_repo(daemon, "missing.git"));
	tp_sync_ok(&a, durl);
	tp_sync_ok(&a, hurl);
	t_server_stop(daemon);
	t_server_stop(http);
}

Test(sync_fail, server_refuses_the_push)
{
	char *dir = tp_scratch(), *repo, *url, *out;
	t_server *daemon;
	tp_person a, b, c;
	t_run r;

	url = tp_daemon_repo(&daemon, dir, "team.git", &repo);
	tp_person_init(&a, dir, "Alice");
	tp_person_init(&b, dir, "Bob");
	tp_person_init(&c, dir, "Carol");
	tp_send(&c, "general", "from C");
	tp_sync_ok(&c, url);

	/* a hook that refuses everything */
	hook(repo, "#!/bin/sh\necho 'no pushes today: the server is read-only' >&2\nexit 1\n");
	tp_send(&a, "general", "from A");
	r = tp_sync(&a, url, NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(tp_contains(r.err, "the server declined"), "%s", r.err);
	cr_assert(tp_contains(r.err, tp_logref(&a, "general")), "names the ref: %s", r.err);
	cr_assert(tp_contains(r.err, "pre-receive hook declined"), "%s", r.err);
	cr_assert(tp_contains(r.err, "no pushes today"), "the server's reason: %s", r.err);
	cr_assert(tp_contains(r.out, "received 1 new message"), "the fetch still worked: %s", r.out);
	cr_assert(tp_contains(r.out, "1 push declined"), "%s", r.out);
	t_run_free(&r);
	tp_store_sound(a.store);

	/* a hook that refuses one log only: the others still go through */
	tp_send(&a, "general", "A again");
	tp_send(&b, "general", "from B");
	tp_sync_ok(&b, a.store);   /* A now carries B's log too */
	{
		char *script = tp_strdup_printf(
			"#!/bin/sh\nbad=0\nwhile read old new ref; do\n"
			"  case \"$ref\" in *%s) echo \"refusing $ref: Alice is banned\" >&2; bad=1;; esac\n"
			"done\nexit $bad\n", a.hex);
		hook(repo, script);
		free(script);
	}
	r = tp_sync(&a, url, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(tp_contains(r.err, "Alice is banned"), "%s", r.err);
	cr_assert(tp_contains(r.out, "1 log pushed, 1 push declined"), "%s", r.out);
	t_run_free(&r);
	out = tp_refs(repo, "refs/chat");
	cr_assert(tp_contains(out, tp_logref(&b, "general")), "B's log was held back: %s", out);
	cr_assert(!tp_contains(out, tp_logref(&a, "general")), "%s", out);

	/* the hook goes away: the next sync completes */
	unhook(repo);
	r = tp_sync(&a, url, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(tp_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(tp_refs(repo, "refs/chat"), tp_refs(a.store, "refs/chat"));
	tp_store_sound(a.store);
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
	char *dir = tp_scratch(), *repo, *url, *proxied, *head;
	t_server *daemon;
	tp_person a, b;
	pid_t relay;
	int status, port;
	t_run r;
	size_t pack_kib;

	url = tp_daemon_repo(&daemon, dir, "big.git", &repo);
	tp_person_init(&a, dir, "Alice");
	tp_person_init(&b, dir, "Bob");
	/* a big room: 3000 messages of 1 KiB that do not compress */
	head = tp_gen_log(repo, b.key, "general", 3000, 1000);
	free(tp_git(repo, "repack -adq"));
	pack_kib = (size_t)atol(tp_git(repo, "count-objects -v | sed -n 's/^size-pack: //p'"));
	cr_assert(pack_kib > 2000, "pack of %zu KiB", pack_kib);
	tp_send(&a, "general", "A's own words");

	port = killing_relay(&relay, t_server_port(daemon), t_server_pid(daemon),
	                     pack_kib * 1024 / 2);
	proxied = tp_strdup_printf("git://127.0.0.1:%d/big.git", port);
	r = tp_sync(&a, proxied, NULL);
	cr_assert_eq(waitpid(relay, &status, 0), relay);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "the relay did not cut the transfer (status 0x%x)", status);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(tp_contains(r.err, "cannot fetch from"), "%s", r.err);
	cr_assert(tp_contains(r.err, proxied), "%s", r.err);
	t_run_free(&r);
	/* nothing half-done: no new log, no quarantine, a sound store */
	cr_assert_null(tp_ref(a.store, tp_logref(&b, "general")));
	cr_assert_str_eq(tp_refs(a.store, "refs/chat-quarantine"), "");
	tp_store_sound(a.store);

	/* the server comes back: the next sync completes */
	t_server_restart(daemon);
	r = tp_sync(&a, url, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(tp_contains(r.out, "received 3000 new messages"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(tp_ref(a.store, tp_logref(&b, "general")), head);
	tp_store_sound(a.store);
	t_server_stop(daemon);
}
