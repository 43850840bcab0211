/*
 * The hosting recipes of contrib/hosting/, run as written: git-daemon.sh,
 * lighttpd-git-chat.conf (included from a minimal lighttpd.conf, with its
 * push authentication) and the git-shell line of authorized_keys.example
 * (in the test sshd of tests/lib/servers.h). Each serves a repository made
 * by `git chat init --server`: a valid push lands, a forged one is refused
 * with its reason, and what the recipe restricts stays restricted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "servers.h"
#include "testforge.h"

#define RECIPES GITCHAT_SOURCE_DIR "/contrib/hosting"

/* Starts argv in its own process group, output to `log`; returns its pid
 * once it accepts connections on `port`, or 0 if it exited first. */
static pid_t serve(const char *const *argv, int port, const char *log)
{
	pid_t pid = fork();
	int status;

	cr_assert(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 1);
		dup2(fd, 2);
		for (int i = 3; i < 1024; i++)
			close(i);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	setpgid(pid, pid);
	for (int waited = 0; waited < 10000; waited += 20) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return 0;
		if (t_server_can_connect(port))
			return pid;
		usleep(20000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_fail("%s did not listen on port %d: %s", argv[0], port, t_read_text(log));
	return 0;
}

static void stop(pid_t pid)
{
	kill(-pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A server repository under root, a client store with one good message of
 * alice's, and a forged follow-up signed by mallory. */
typedef struct {
	char *repo, *client, *aref, *good, *forged;
} room;

static room make_room(const char *dir, const char *root, const char *const *init_extra)
{
	room r;
	char *alice = t_keygen(dir, "alice", 1), *mallory = t_keygen(dir, "mallory", 1);
	t_forged c = { .room = "general", .text = "forged", .signer = mallory };

	r.repo = t_store_server(root, "room.git", init_extra);
	r.client = t_store(dir, "client.git");
	r.aref = t_ref("general", alice);
	r.good = t_send(r.client, alice, "general", "hello through the recipe");
	c.parents[0] = r.good;
	r.forged = t_forge(r.client, &c);
	return r;
}

static t_run push(const room *rm, const char *url, const char *refspec, const char *const *env)
{
	const char *argv[] = { "git", "--git-dir", rm->client, "push", url, refspec, NULL };
	return t_run_argv(NULL, argv, NULL, 0, env);
}

/* Good push lands, forged push refused with the reason, server unchanged. */
static void good_and_bad(const room *rm, const char *url, const char *const *env)
{
	char *before;
	t_run r = push(rm, url, rm->aref, env);

	cr_assert_eq(r.status, 0, "push to %s failed:\n%s", url, r.err);
	cr_assert(strstr(r.err, "remote: git-chat: 1 chat log update verified"), "%s", r.err);
	t_run_free(&r);
	r = t_git_run(rm->repo, "rev-parse '%s'", rm->aref);
	cr_assert(strncmp(r.out, rm->good, 40) == 0, "%s", r.out);
	t_run_free(&r);
	before = t_refs_all(rm->repo);
	r = push(rm, url, t_fmt("%s:%s", rm->forged, rm->aref), env);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, t_fmt("remote: error: refusing %s: commit %s: it is signed by",
	                               rm->aref, rm->forged)), "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_refs_all(rm->repo), before);
	cr_assert(!t_has_object(rm->repo, rm->forged));
}

/* Anyone can read: a fresh store fetches the room. */
static void readable(const room *rm, const char *dir, const char *url, const char *const *env)
{
	char *store = t_store(dir, "reader.git");
	const char *argv[] = { "git", "--git-dir", store, "fetch", "-q", url,
	                       "refs/chat/*:refs/chat/*", NULL };
	t_run r = t_run_argv(NULL, argv, NULL, 0, env);

	cr_assert_eq(r.status, 0, "fetch from %s: %s", url, r.err);
	t_run_free(&r);
	r = t_git_run(store, "rev-parse '%s'", rm->aref);
	cr_assert(strncmp(r.out, rm->good, 40) == 0, "%s", r.out);
	t_run_free(&r);
}

Test(hook_recipes, git_daemon_sh, .timeout = 300)
{
	const char *dir = t_scratch();
	char *root = t_path(dir, "srv"), *url;
	const char *env[] = { "GIT_TERMINAL_PROMPT=0", NULL };
	room rm;
	pid_t pid = 0;
	int port = 0;

	t_mkdir(root);
	rm = make_room(dir, root, NULL);
	for (int attempt = 0; attempt < 3 && !pid; attempt++) {
		port = t_server_free_port();
		const char *argv[] = { RECIPES "/git-daemon.sh", root, "--listen=127.0.0.1",
		                       t_fmt("--port=%d", port), NULL };
		pid = serve(argv, port, t_path(dir, "daemon.log"));
	}
	cr_assert(pid > 0, "git-daemon.sh did not start: %s", t_read_text(t_path(dir, "daemon.log")));
	url = t_fmt("git://127.0.0.1:%d/room.git", port);
	good_and_bad(&rm, url, env);
	readable(&rm, dir, url, env);
	stop(pid);
}

Test(hook_recipes, git_daemon_sh_usage)
{
	t_run r;

	t_scratch();
	r = t_sh("'%s/git-daemon.sh'", RECIPES);
	cr_assert_eq(r.status, 129);
	cr_assert(strstr(r.err, "usage:"), "%s", r.err);
	t_run_free(&r);
}

/* The recipe included from a minimal lighttpd.conf (tests/lib/servers.h
 * writes it: port, document root, the recipe's three variables). */
Test(hook_recipes, lighttpd_conf, .timeout = 300)
{
	const char *dir = t_keep(strdup(t_scratch()));
	char *root = t_path(dir, "srv");
	const char *env[] = { "GIT_TERMINAL_PROMPT=0", NULL };
	t_server_opts o = { .user = "alice", .password = "s3cret",
	                    .include = RECIPES "/lighttpd-git-chat.conf" };
	char *url, *authed, *before;
	t_server *srv;
	room rm;
	t_run r;

	t_mkdir(root);
	rm = make_room(dir, root, NULL);   /* no --http: pushes need a user */
	srv = t_server_start_opts(T_SERVER_HTTP, root, &o);
	url = t_keep(t_server_url(srv, "room.git"));
	authed = t_fmt("http://alice:s3cret@127.0.0.1:%d/git/room.git", t_server_port(srv));

	/* Without a user, or with a wrong password, no push gets in. */
	before = t_refs_all(rm.repo);
	r = push(&rm, url, rm.aref, env);
	cr_assert_neq(r.status, 0, "an anonymous push was taken:\n%s", r.err);
	cr_assert(strstr(r.err, "could not read Username"), "not asked to log in:\n%s", r.err);
	t_run_free(&r);
	r = push(&rm, t_fmt("http://alice:wrong@127.0.0.1:%d/git/room.git", t_server_port(srv)),
	         rm.aref, env);
	cr_assert_neq(r.status, 0, "a push with a wrong password was taken:\n%s", r.err);
	cr_assert(strstr(r.err, "Authentication failed"), "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_refs_all(rm.repo), before);

	good_and_bad(&rm, authed, env);
	readable(&rm, dir, url, env);
	t_server_stop(srv);
}

Test(hook_recipes, ssh_git_shell, .timeout = 300)
{
	const char *dir = t_scratch();
	char *root = t_path(dir, "srv"), *recipe = t_read_text(RECIPES "/authorized_keys.example");
	char *line = NULL, *keydir, *pub, *auth;
	t_server *srv;
	room rm;
	t_run r;

	t_mkdir(root);
	rm = make_room(dir, root, NULL);
	srv = t_server_start(T_SERVER_SSH, root);
	/* The recipe's git-shell line, with the test client's key. */
	for (char *l = strtok(recipe, "\n"); l; l = strtok(NULL, "\n"))
		if (l[0] != '#' && strstr(l, "command=\"git-shell"))
			line = l;
	cr_assert(line, "no git-shell line in authorized_keys.example");
	*strstr(line, " ssh-ed25519 ") = '\0';
	pub = t_read_text(t_fmt("%s.pub", t_server_ssh_client_key(srv)));
	keydir = dirname(t_keep(strdup(t_server_ssh_client_key(srv))));
	auth = t_path(keydir, "authorized_keys");
	cr_assert(t_read_text(auth) != NULL, "the test sshd has no %s", auth);
	t_write_file(auth, t_fmt("%s %s", line, pub), strlen(line) + 1 + strlen(pub));

	good_and_bad(&rm, t_keep(t_server_url(srv, "room.git")), t_server_git_env(srv));
	readable(&rm, dir, t_keep(t_server_url(srv, "room.git")), t_server_git_env(srv));
	/* The key runs git, and nothing else. */
	{
		const char *argv[] = { "sh", "-c",
			t_fmt("eval \"$GIT_SSH_COMMAND -p %d root@127.0.0.1 id\"", t_server_port(srv)), NULL };
		r = t_run_argv(NULL, argv, NULL, 0, t_server_git_env(srv));
		cr_assert_neq(r.status, 0, "a shell command ran: %s", r.out);
		cr_assert(!strstr(r.out, "uid="), "%s", r.out);
		cr_assert(strstr(r.err, "unrecognized command"), "%s", r.err);
		t_run_free(&r);
	}
	t_server_stop(srv);
}
