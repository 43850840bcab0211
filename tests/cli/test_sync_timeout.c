/*
 * Network timeouts (issue 14): servers that accept a connection and then
 * say nothing, answer slowly and stop, trickle below git's
 * http.lowSpeedLimit, or never complete the connection, in the same sync as
 * a healthy git daemon. Each bad one costs one clear error within the
 * timeout (chat.timeout = 2 here) and the healthy remote completes. Without
 * git-chat's streams (libgit2 1.5 alone) the first of them blocks forever.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testsync.h"
#include "servers.h"

typedef enum { SILENT, SLOW_THEN_STOP, TRICKLE } t_bad_kind;

static int listen_on(int *port, int backlog)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, backlog), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A child process serving `kind` on a new port until killed. */
static pid_t bad_server(t_bad_kind kind, int *port)
{
	int lfd = listen_on(port, 16);
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid > 0) {
		setpgid(pid, pid);
		close(lfd);
		return pid;
	}
	/* never outlive the test, nor hold its output open (ctest waits on it) */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	{
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		const char *say = kind == TRICKLE ? "HTTP/1.1 200 OK\r\nContent-Type: x\r\n" : "0032";
		if (c < 0 || kind == SILENT)
			continue;   /* held open, never answered */
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* a byte every 300 ms: never idle for the timeout */
			for (size_t i = 0; kind == TRICKLE || i < strlen(say); i++) {
				struct timespec ts = { 0, 300 * 1000 * 1000 };
				if (write(c, say + i % strlen(say), 1) != 1)
					_exit(0);
				nanosleep(&ts, NULL);
			}
			pause();   /* then nothing more */
			_exit(0);
		}
	}
}

static void stop(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

Test(sync_timeout, silent_and_slow_servers_fail_alone_the_healthy_remote_syncs, .timeout = 120)
{
	char *dir = t_scratch_copy(), *good_dir, *url, *silent, *slow;
	t_server *daemon;
	t_person a;
	struct timespec t0;
	pid_t s1, s2;
	int p1, p2;
	double took;
	t_run r;

	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "the healthy remote gets this");
	t_git(a.store, "config chat.timeout 2");
	url = t_daemon_repo(&daemon, dir, "team.git", &good_dir);
	s1 = bad_server(SILENT, &p1);
	s2 = bad_server(SLOW_THEN_STOP, &p2);
	silent = t_fmt("git://127.0.0.1:%d/team.git", p1);
	slow = t_fmt("git://127.0.0.1:%d/team.git", p2);
	{
		const char *args[] = { "sync", silent, t_fmt("http://127.0.0.1:%d/team.git", p1),
		                       t_fmt("ssh://git@127.0.0.1:%d/team.git", p1), slow, url, NULL };
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = t_chat(a.store, NULL, args);
		took = seconds_since(&t0);
	}
	cr_assert_eq(r.status, 1, "%s", r.err);
	/* one clear error per dead remote, each naming its URL */
	cr_assert_eq(t_count(r.err, "sent nothing for 2 s; check that the server is up"), 4,
	             "%s", r.err);
	cr_assert(t_contains(r.err, t_fmt("the server at %s sent nothing", silent)), "%s", r.err);
	cr_assert(t_contains(r.err, t_fmt("the server at ssh://git@127.0.0.1:%d/team.git sent", p1)),
	          "%s", r.err);
	cr_assert(t_contains(r.err, t_fmt("the server at %s sent nothing", slow)), "%s", r.err);
	cr_assert(t_contains(r.err, "chat.timeout"), "%s", r.err);
	/* four timeouts of 2 s (the slow one after its 1.2 s of answer): within
	 * the timeouts, not hanging */
	cr_assert(took >= 8.0 && took < 30.0, "took %.1f s", took);
	/* the healthy remote completed: it has Alice's log */
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	cr_assert_str_eq(t_git(good_dir, "for-each-ref --format='%%(objectname)' refs/chat"),
	                 t_git(a.store, "for-each-ref --format='%%(objectname)' refs/chat"));
	t_run_free(&r);
	stop(s1);
	stop(s2);
	t_server_stop(daemon);
}

Test(sync_timeout, http_below_the_low_speed_limit_fails, .timeout = 60)
{
	char *dir = t_scratch_copy();
	t_person a;
	pid_t s;
	int port;
	t_run r;

	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "hello");
	t_git(a.store, "config chat.timeout 2");
	t_git(a.store, "config http.lowSpeedLimit 1000");
	t_git(a.store, "config http.lowSpeedTime 1");
	s = bad_server(TRICKLE, &port);
	{
		const char *args[] = { "sync", t_fmt("http://127.0.0.1:%d/team.git", port), NULL };
		r = t_chat(a.store, NULL, args);
	}
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "sent less than 1000 bytes/s for 1 s (git config "
	                            "http.lowSpeedLimit and http.lowSpeedTime)"), "%s", r.err);
	t_run_free(&r);
	stop(s);
}

Test(sync_timeout, a_connection_never_completed_times_out, .timeout = 60)
{
	char *dir = t_scratch_copy();
	int port, lfd = listen_on(&port, 0), fill[8];
	struct sockaddr_in to = { 0 };
	t_person a;
	t_run r;

	/* a full accept queue: the kernel drops further connection attempts */
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons((uint16_t)port);
	for (int i = 0; i < 8; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&to, sizeof(to));
	}
	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "hello");
	t_git(a.store, "config chat.timeout 2");
	{
		const char *args[] = { "sync", t_fmt("git://127.0.0.1:%d/team.git", port), NULL };
		r = t_chat(a.store, NULL, args);
	}
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "did not answer the connection within 2 s"), "%s", r.err);
	t_run_free(&r);
	for (int i = 0; i < 8; i++)
		close(fill[i]);
	close(lfd);
}

Test(sync_timeout, a_bad_chat_timeout_is_refused)
{
	char *dir = t_scratch_copy();
	t_person a;
	t_run r;

	t_person_init(&a, dir, "Alice");
	t_git(a.store, "config chat.timeout 0");
	{
		const char *args[] = { "sync", "git://127.0.0.1:1/x.git", NULL };
		r = t_chat(a.store, NULL, args);
	}
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "git config chat.timeout is 0; give a number from 1 to 86400"),
	          "%s", r.err);
	t_run_free(&r);
}
