/*
 * `git chat follow`: the last messages first, then new ones as they arrive,
 * changes to shown messages shown again (marked as updates), a room with no
 * messages yet waited for, and a clean exit on SIGINT and SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testgolden.h"
#include "testchat.h"
#include "tmux.h"
#include <sys/stat.h>

#define ROOM "live"

typedef struct {
	pid_t pid;
	int fd;
	gitchat_buf out;
} bg;

static bg bg_start(const char *store, const char *const *args)
{
	int p[2];
	bg b;

	memset(&b, 0, sizeof(b));
	cr_assert(pipe(p) == 0);
	b.pid = fork();
	cr_assert(b.pid >= 0);
	if (b.pid == 0) {
		const char *argv[24] = { GITCHAT_BIN };
		size_t n = 1;
		for (; *args && n < 23; args++)
			argv[n++] = *args;
		argv[n] = NULL;
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		setenv("GIT_DIR", store, 1);
		execv(GITCHAT_BIN, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	b.fd = p[0];
	return b;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads until `needle` appears after offset `from` or `timeout` seconds. */
static int bg_wait_for(bg *b, size_t from, const char *needle, double timeout)
{
	double end = now() + timeout;
	char buf[4096];

	for (;;) {
		struct pollfd pf = { b->fd, POLLIN, 0 };
		double left = end - now();
		ssize_t r;
		if (b->out.size > from && strstr(b->out.ptr + from, needle))
			return 1;
		if (left <= 0)
			return 0;
		if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		r = read(b->fd, buf, sizeof(buf));
		if (r <= 0)
			return b->out.size > from && strstr(b->out.ptr + from, needle) != NULL;
		gitchat_buf_put(&b->out, buf, (size_t)r);
	}
}

/* Sends `sig`, reads the rest of the output, returns the exit status. */
static int bg_stop(bg *b, int sig)
{
	int status;
	char buf[4096];
	ssize_t r;

	kill(b->pid, sig);
	while ((r = read(b->fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			gitchat_buf_put(&b->out, buf, (size_t)r);
	close(b->fd);
	while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(follow, shows_the_last_messages_then_new_ones_and_stops_on_sigterm)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *alice = t_golden_key(dir, "alice"), *bob = t_golden_key(dir, "bob");
	const char *args[] = { "follow", "-r", ROOM, "--interval", "0.2", "-n", "2",
	                       "--color=never", "--no-mark-read", NULL };
	char *m1, *m3;
	size_t mark;
	bg b;

	setenv("TZ", "UTC", 1);
	m1 = t_send_at(store, ROOM, alice, "Alice", T_GOLDEN_T0, NULL, "too old to be shown");
	free(t_send_at(store, ROOM, bob, "Bob", T_GOLDEN_T0 + 60, NULL, "second message"));
	m3 = t_send_at(store, ROOM, alice, "Alice", T_GOLDEN_T0 + 120, NULL, "third message");
	b = bg_start(store, args);
	cr_assert(bg_wait_for(&b, 0, "third message", 10), "start: %s", b.out.ptr);
	cr_assert(t_contains(b.out.ptr, "second message"));
	cr_assert(!t_contains(b.out.ptr, "too old"), "-n 2 shows two: %s", b.out.ptr);

	/* A message sent meanwhile by another process appears. */
	mark = b.out.size;
	free(t_send_at(store, ROOM, bob, "Bob", T_GOLDEN_T0 + 180, m3, "fresh from bob"));
	cr_assert(bg_wait_for(&b, mark, "fresh from bob", 10), "new message: %s", b.out.ptr);
	cr_assert(bg_wait_for(&b, mark, "↪ Alice: third message", 1), "%s", b.out.ptr);

	/* An edit of a shown message shows it again, edited; a reaction too. */
	mark = b.out.size;
	free(t_act_at(store, "edit", alice, "Alice", T_GOLDEN_T0 + 240, m3, "third message, corrected"));
	cr_assert(bg_wait_for(&b, mark, "(edited)\n  third message, corrected", 10), "%s", b.out.ptr);
	mark = b.out.size;
	free(t_act_at(store, "react", bob, "Bob", T_GOLDEN_T0 + 250, m1, "👀"));
	cr_assert(bg_wait_for(&b, mark, "too old to be shown\n  👀 1", 10), "%s", b.out.ptr);

	cr_assert_eq(bg_stop(&b, SIGTERM), 0, "SIGTERM must end follow cleanly");
	cr_assert_eq(t_count(b.out.ptr, "fresh from bob"), 1, "shown once: %s", b.out.ptr);
	gitchat_buf_dispose(&b.out);
	free(m1); free(m3); free(store); free(alice); free(bob);
}

Test(follow, sigint_exits_zero_and_json_works)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *alice = t_golden_key(dir, "alice");
	const char *args[] = { "follow", "-r", ROOM, "--interval", "0.2", "--format=json", NULL };
	size_t mark;
	bg b;

	free(t_send_at(store, ROOM, alice, "Alice", T_GOLDEN_T0, NULL, "hello"));
	b = bg_start(store, args);
	cr_assert(bg_wait_for(&b, 0, "\"text\":\"hello\"", 10), "%s", b.out.ptr);
	mark = b.out.size;
	free(t_send_at(store, ROOM, alice, "Alice", T_GOLDEN_T0 + 1, NULL, "world"));
	cr_assert(bg_wait_for(&b, mark, "\"text\":\"world\"", 10), "%s", b.out.ptr);
	cr_assert_eq(bg_stop(&b, SIGINT), 0);
	cr_assert_eq(t_count_lines(b.out.ptr), 2, "%s", b.out.ptr);
	gitchat_buf_dispose(&b.out);
	free(store); free(alice);
}

Test(follow, bad_usage)
{
	t_run r = t_chat_expect(NULL, 129, NULL, "follow", "--interval", "0", NULL);
	t_run_free(&r);
	r = t_chat_expect(NULL, 129, NULL, "follow", "--interval", "soon", NULL);
	t_run_free(&r);
	r = t_chat_expect(NULL, 0, NULL, "follow", "--help", NULL);
	cr_assert(t_contains(r.out, "--interval"));
	t_run_free(&r);
}

#if defined(__has_include)
# if __has_include(<gitchat/sync.h>)
/* Two people, two stores, one shared bare remote; a second remote is down.
 * follow in one store shows what the other pushed, and warns about the
 * dead remote once while it keeps going. */
/* A server that never says a word: the kernel completes connections to a
 * listening socket nobody accepts on, and the request waits unread. */
static int silent_server(int *port)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 64) == 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A dead remote (nothing listens) and a silent one (issue 14: chat.timeout
 * ends each of its syncs): each warned about once, the live one synced. */
Test(follow, shows_what_another_store_pushed_and_survives_a_dead_remote)
{
	const char *dir = t_scratch();
	char *a = t_path(dir, "a"), *b = t_path(dir, "b"), *shared = t_path(dir, "shared.git");
	char *alice = t_golden_key(dir, "alice"), *bob = t_golden_key(dir, "bob");
	const char *args[] = { "follow", "-r", ROOM, "--interval", "0.5", "--color=never",
	                       "--no-mark-read", NULL };
	size_t mark;
	bg b_follow;
	t_run r;
	double t0, waited;
	int fds[2], errfd, port, silent = silent_server(&port);

	r = t_sh("'%s' init '%s' && '%s' init '%s' && '%s' init '%s' && "
	         "git --git-dir='%s' remote add origin '%s' && "
	         "git --git-dir='%s' remote add dead git://127.0.0.1:9/nothing.git && "
	         "git --git-dir='%s' remote add silent git://127.0.0.1:%d/nothing.git && "
	         "git --git-dir='%s' config chat.timeout 1 && "
	         "git --git-dir='%s' remote add origin '%s'",
	         GITCHAT_BIN, a, GITCHAT_BIN, b, GITCHAT_BIN, shared, a, shared, a, a, port, a,
	         b, shared);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	free(t_send_at(a, ROOM, alice, "Alice", T_GOLDEN_T0, NULL, "alice was here first"));

	/* follow in store a, with its stderr captured too. */
	cr_assert(pipe(fds) == 0);
	errfd = dup(2);
	dup2(fds[1], 2);
	b_follow = bg_start(a, args);
	dup2(errfd, 2);
	close(errfd);
	close(fds[1]);
	cr_assert(bg_wait_for(&b_follow, 0, "alice was here first", 10), "%s", b_follow.out.ptr);

	/* Bob, in store b, sends and pushes to the shared remote. */
	mark = b_follow.out.size;
	free(t_send_at(b, ROOM, bob, "Bob", T_GOLDEN_T0 + 60, NULL, "bob from afar"));
	r = t_chat_expect(b, 0, NULL, "sync", "origin", NULL);
	t_run_free(&r);
	t0 = now();
	cr_assert(bg_wait_for(&b_follow, mark, "bob from afar", 10), "%s", b_follow.out.ptr);
	waited = now() - t0;
	/* Within an interval or two (0.5 s each, and 1 s for the silent remote),
	 * with room for a slow machine. */
	cr_assert_lt(waited, 6.0, "took %.1f s", waited);
	/* Let the dead remote fail several more times. */
	bg_wait_for(&b_follow, b_follow.out.size, "never printed", 2.0);
	cr_assert_eq(bg_stop(&b_follow, SIGTERM), 0);
	{
		char buf[8192];
		ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(fds[0]);
		cr_assert_eq(t_count(buf, "cannot sync with 'dead'"), 1, "one warning:\n%s", buf);
		cr_assert_eq(t_count(buf, "cannot sync with 'silent'"), 1, "one warning:\n%s", buf);
		cr_assert(t_contains(buf, "sent nothing for 1 s"), "%s", buf);
		cr_assert(!t_contains(buf, "'origin'"), "%s", buf);
	}
	gitchat_buf_dispose(&b_follow.out);
	close(silent);
	free(a); free(b); free(shared); free(alice); free(bob);
}
# endif
#endif

Test(follow, follow_waits_for_a_new_room)
{
	const char *dir = t_scratch();
	char *key, *store = t_two_rooms(dir, &key);
	/* follow a room nobody wrote in, and write in it a moment later */
	t_run r = t_sh("(sleep 1.5; GIT_DIR='%s' '%s' send --key '%s' -r genral -m 'first words' "
	               ">/dev/null) & GIT_DIR='%s' timeout --preserve-status -s INT 5 '%s' follow "
	               "--interval 0.2 --color=never -r genral; s=$?; wait; exit $s",
	               store, GITCHAT_BIN, key, store, GITCHAT_BIN);

	cr_assert_eq(r.status, 0, "follow ended with %d: %s", r.status, r.err);
	t_assert_contains(r.out, "first words");
	t_assert_contains(r.err, "room 'genral' has no messages yet; waiting");
	t_assert_contains(r.err, "general, random");
	{
		/* Once, not at every look (a sanitizer build may add its own lines). */
		const char *once = strstr(r.err, "has no messages yet");
		cr_assert_eq(strstr(once + 1, "has no messages yet"), NULL, "%s", r.err);
	}
	t_run_free(&r);
}

/* follow for a few seconds while `later` (a shell command) runs after 1.5 s. */
static t_run follow_while(const char *store, const char *args, const char *later)
{
	return t_sh("(sleep 1.5; %s) & GIT_DIR='%s' timeout --preserve-status -s INT 5 '%s' "
	            "follow --interval 0.2 --color=never --no-mark-read %s; s=$?; wait; exit $s",
	            later, store, GITCHAT_BIN, args);
}

Test(follow, follow_marks_a_message_shown_again_as_an_update)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *first = t_send(store, key, "general", "first words");
	char *later;
	const char *line;
	t_run r;

	free(t_send(store, key, "general", "second words"));
	later = t_fmt("GIT_DIR='%s' '%s' react --key '%s' %s +1 >/dev/null; "
	              "GIT_DIR='%s' '%s' send --key '%s' -m 'third words' >/dev/null",
	              store, GITCHAT_BIN, key, first, store, GITCHAT_BIN, key);

	r = follow_while(store, "", later);
	cr_assert_eq(r.status, 0, "follow ended with %d: %s", r.status, r.err);
	/* first, second, first again (updated), third: only the re-shown one
	 * is marked, on its header line. */
	cr_assert_eq(t_count(r.out, "first words"), 2, "%s", r.out);
	cr_assert_eq(t_count(r.out, "(updated)"), 1, "%s", r.out);
	line = strstr(r.out, "(updated) ");
	cr_assert(line && (line == r.out || line[-1] == '\n'), "%s", r.out);
	cr_assert(!strncmp(strchr(line, '\n') + 1, "  first words\n", 14), "%s", r.out);
	t_assert_contains(line, t_fmt("%.8s", first));
	cr_assert(strstr(r.out, "second words") < line, "%s", r.out);
	cr_assert(strstr(r.out, "third words") > line, "%s", r.out);
	t_run_free(&r);

	later = t_fmt("GIT_DIR='%s' '%s' edit --key '%s' %s 'first words, edited' >/dev/null",
	              store, GITCHAT_BIN, key, first);
	r = follow_while(store, "--format=json -n 1", later);
	cr_assert_eq(r.status, 0, "follow ended with %d: %s", r.status, r.err);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	line = strchr(r.out, '\n') + 1;
	/* The start: "update": false; the edited message: true. */
	cr_assert(strstr(r.out, "third words") < line, "%s", r.out);
	cr_assert(strstr(r.out, ",\"update\":false}\n") == line - 17, "%s", r.out);
	t_assert_contains(line, t_fmt("{\"id\":\"%s\"", first));
	t_assert_contains(line, "first words, edited");
	cr_assert(!strcmp(line + strlen(line) - 16, ",\"update\":true}\n"), "%s", line);
	t_run_free(&r);

	/* Documented. */
	r = t_chatv(store, "follow", "--help");
	t_assert_contains(r.out, "(updated)");
	t_assert_contains(r.out, "\"update\": true");
	t_run_free(&r);
	{
		char *doc = t_read_file(GITCHAT_SOURCE_DIR "/docs/reading.md", NULL);
		t_assert_contains(doc, "\"update\"");
		free(doc);
	}
}

/* --notify: each new message of someone else reaches the notifier
 * (chat.notifyCommand, given the title and the text, markup escaped);
 * the user's own messages and the first screen do not. */
Test(follow, notify_runs_the_notifier_for_new_messages_of_others)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *alice = t_golden_key(dir, "alice"), *bob = t_golden_key(dir, "bob");
	char *script = t_path(dir, "notifier"), *out = t_path(dir, "notifier.out"), *cfg;
	const char *sh = "#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" >> \"$0.out\"\n";
	const char *args[] = { "follow", "-r", ROOM, "--interval", "0.2", "--notify", "--key", alice,
	                       "--color=never", "--no-mark-read", NULL };
	size_t len = 0;
	char *seen;
	bg b;

	t_write_file(script, sh, strlen(sh));
	chmod(script, 0755);
	cfg = t_fmt("git --git-dir='%s' config chat.notify desktop && "
	            "git --git-dir='%s' config chat.notifyCommand '%s'", store, store, script);
	{
		t_run r = t_sh("%s", cfg);
		cr_assert_eq(r.status, 0, "%s", r.err);
		t_run_free(&r);
	}
	free(t_send_at(store, ROOM, bob, "Bob", T_GOLDEN_T0, NULL, "old news"));
	b = bg_start(store, args);
	cr_assert(bg_wait_for(&b, 0, "old news", 10), "%s", b.out.ptr);
	free(t_send_at(store, ROOM, alice, "Alice", T_GOLDEN_T0 + 60, NULL, "my own"));
	free(t_send_at(store, ROOM, bob, "Bob", T_GOLDEN_T0 + 120, NULL, "hi <b>alice</b>"));
	cr_assert(bg_wait_for(&b, 0, "hi <b>alice</b>", 10), "%s", b.out.ptr);
	cr_assert(t_file_wait(out, "Bob in live|hi &lt;b&gt;alice&lt;/b&gt;", 10));
	cr_assert_eq(bg_stop(&b, SIGTERM), 0);
	seen = t_read_file(out, &len);
	cr_assert(!t_contains(seen, "old news") && !t_contains(seen, "my own"), "%s", seen);
	gitchat_buf_dispose(&b.out);
	free(seen); free(script); free(out); free(store); free(alice); free(bob);
}

/* A private room's text never reaches the desktop notifier: it is told
 * that a message came, not what it says. */
Test(follow, notify_keeps_a_private_rooms_text_off_the_desktop)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *alice = t_keygen(dir, "alice", 1), *bob = t_keygen(dir, "bob", 1);
	char *script = t_path(dir, "notifier"), *out = t_path(dir, "notifier.out"), *room, *seen;
	const char *sh = "#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" >> \"$0.out\"\n";
	size_t len = 0;
	t_run r;
	bg b;

	t_write_file(script, sh, strlen(sh));
	chmod(script, 0755);
	r = t_sh("git --git-dir='%s' config chat.notify desktop && git --git-dir='%s' config "
	         "chat.notifyCommand '%s' && GIT_DIR='%s' '%s' room create --private --key '%s' "
	         "--member '%s.pub'", store, store, script, store, GITCHAT_BIN, alice, bob);
	cr_assert_eq(r.status, 0, "%s", r.err);
	room = t_keep(t_strndup(r.out, 25));
	t_run_free(&r);
	const char *args[] = { "follow", "-r", room, "--interval", "0.2", "--notify", "--key", alice,
	                       "--color=never", "--no-mark-read", NULL };
	r = t_sh("GIT_DIR='%s' '%s' send -r %s --key '%s' -m 'an old note'", store, GITCHAT_BIN,
	         room, bob);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	b = bg_start(store, args);
	cr_assert(bg_wait_for(&b, 0, "an old note", 10), "%s", b.out.ptr);
	r = t_sh("GIT_DIR='%s' '%s' send -r %s --key '%s' -m 'the secret plan'", store,
	         GITCHAT_BIN, room, bob);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert(bg_wait_for(&b, 0, "the secret plan", 10), "%s", b.out.ptr);
	cr_assert(t_file_wait(out, "a new message in a private room", 10));
	cr_assert_eq(bg_stop(&b, SIGTERM), 0);
	seen = t_read_file(out, &len);
	cr_assert(!t_contains(seen, "secret plan"), "%s", seen);
	gitchat_buf_dispose(&b.out);
	free(seen); free(script); free(out); free(store);
}
