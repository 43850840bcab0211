/*
 * The test-server harness (tests/lib/servers.h) against stock git and
 * libgit2: push, fetch, clone, server hooks and their stderr, stop/restart,
 * killing the server, ssh host-key checking. The cases that are the same
 * for every kind of server are parameterized tests over the kinds.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <git2.h>

#include "testlib.h"
#include "servers.h"

static const char *kind_name(t_server_kind k)
{
	return k == T_SERVER_DAEMON ? "daemon" : k == T_SERVER_HTTP ? "http" :
	       k == T_SERVER_HTTPS ? "https" : "ssh";
}

/* The kinds a case runs against: each case below is one parameterized
 * test, run once per kind (the kind is in every failure message). */
static t_server_kind every_kind[] = { T_SERVER_DAEMON, T_SERVER_HTTP, T_SERVER_SSH,
                                      T_SERVER_HTTPS };
/* Starting and killing is the same lighttpd for http and https. */
static t_server_kind process_kinds[] = { T_SERVER_DAEMON, T_SERVER_HTTP, T_SERVER_SSH };
#define FOR_KINDS(kinds, suite, name) \
	ParameterizedTestParameters(suite, name) \
	{ \
		return cr_make_param_array(t_server_kind, kinds, sizeof(kinds) / sizeof(*kinds)); \
	} \
	ParameterizedTest(t_server_kind *kind, suite, name)
#define EVERY_KIND(suite, name) FOR_KINDS(every_kind, suite, name)

/* A server of `kind` in a fresh scratch directory, serving `repo_name`. */
typedef struct {
	const char *dir;    /* the test's scratch directory (t_scratch's own is static) */
	char *root;         /* dir/srv, served */
	t_server *s;
	char *repo, *url;
} srv_fx;

static srv_fx srv_setup(t_server_kind kind, const char *repo_name)
{
	srv_fx f;

	f.dir = strdup(t_scratch());
	f.root = t_path(f.dir, "srv");
	t_mkdir(f.root);
	f.s = t_server_start(kind, f.root);
	f.repo = t_server_new_repo(f.s, repo_name);
	f.url = t_server_url(f.s, repo_name);
	return f;
}

/* Runs git with the server's env; args NULL-terminated after "git". */
static t_run git(const t_server *s, const char *cwd, const char *const *args)
{
	const char *argv[32] = { "git" };
	size_t i = 1;

	for (; *args && i < 31; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	return t_run_argv(cwd, argv, NULL, 0, s ? t_server_git_env(s) : NULL);
}

static char *trimmed(char *s)
{
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* A non-bare repository with one commit on main; returns its path. */
static char *work_repo(const char *dir, const char *msg)
{
	char *path = t_path(dir, "work");
	t_run r = t_sh("git init -q -b main '%s' && git -C '%s' commit -q --allow-empty -m '%s'",
	               path, path, msg);
	cr_assert_eq(r.status, 0, "work repo: %s", r.err);
	t_run_free(&r);
	return path;
}

static char *rev_parse(const char *gitdir, const char *rev)
{
	t_run r = t_sh("git --git-dir='%s' rev-parse --verify -q '%s'", gitdir, rev);
	char *out = strdup(trimmed(r.out));
	cr_assert_eq(r.status, 0, "rev-parse %s in %s: %s", rev, gitdir, r.err);
	t_run_free(&r);
	return out;
}

EVERY_KIND(servers, stock_git)
{
	srv_fx f = srv_setup(*kind, "room.git");
	const char *dir = f.dir;
	t_server *s = f.s;
	char *repo = f.repo, *url = f.url;
	char *work = work_repo(dir, "hello");
	char *clone = t_path(dir, "clone.git");
	char *head = rev_parse(t_path(work, ".git"), "HEAD");
	t_run r;

	const char *push[] = { "push", url, "HEAD:refs/chat/x", "HEAD:refs/heads/main", NULL };
	r = git(s, work, push);
	cr_assert_eq(r.status, 0, "%s push failed: %s\nlog: %s", kind_name(*kind), r.err,
	             t_read_file(t_server_log(s), NULL));
	t_run_free(&r);
	cr_assert_str_eq(rev_parse(repo, "refs/chat/x"), head);

	const char *lsr[] = { "ls-remote", url, "refs/chat/x", NULL };
	r = git(s, NULL, lsr);
	cr_assert_eq(r.status, 0, "ls-remote: %s", r.err);
	cr_assert(strstr(r.out, head) != NULL, "ls-remote output: %s", r.out);
	t_run_free(&r);

	const char *cl[] = { "clone", "-q", "--bare", url, clone, NULL };
	r = git(s, NULL, cl);
	cr_assert_eq(r.status, 0, "%s clone failed: %s", kind_name(*kind), r.err);
	t_run_free(&r);
	const char *fe[] = { "fetch", "-q", "origin", "refs/chat/*:refs/chat/*", NULL };
	r = git(s, clone, fe);
	cr_assert_eq(r.status, 0, "%s fetch failed: %s", kind_name(*kind), r.err);
	t_run_free(&r);
	cr_assert_str_eq(rev_parse(clone, "refs/chat/x"), head);
	cr_assert_str_eq(rev_parse(clone, "refs/heads/main"), head);
	t_server_stop(s);
}

/* libgit2 side: callbacks that delegate to the harness and record
 * per-ref push statuses and sideband text. */
typedef struct {
	const t_server *s;
	int use_cert_cb;    /* 0: none, 1: the harness's, 2: GIT_PASSTHROUGH */
	int updates;
	char status[512];   /* "" when every ref was accepted */
	char sideband[4096];
} lg_ctx;

static int lg_cred(git_credential **out, const char *url, const char *user,
                   unsigned int allowed, void *payload)
{
	return t_server_credentials_cb(out, url, user, allowed, (void *)((lg_ctx *)payload)->s);
}

static int lg_cert(git_cert *cert, int valid, const char *host, void *payload)
{
	return t_server_certificate_check_cb(cert, valid, host, (void *)((lg_ctx *)payload)->s);
}

static int lg_cert_passthrough(git_cert *cert, int valid, const char *host, void *payload)
{
	(void)cert; (void)valid; (void)host; (void)payload;
	return GIT_PASSTHROUGH;
}

static int lg_update(const char *refname, const char *status, void *payload)
{
	lg_ctx *c = payload;
	c->updates++;
	if (status)
		snprintf(c->status + strlen(c->status), sizeof(c->status) - strlen(c->status),
		         "%s: %s\n", refname, status);
	return 0;
}

static int lg_sideband(const char *str, int len, void *payload)
{
	lg_ctx *c = payload;
	size_t have = strlen(c->sideband);
	size_t n = (size_t)len < sizeof(c->sideband) - have - 1 ? (size_t)len
	                                                        : sizeof(c->sideband) - have - 1;
	memcpy(c->sideband + have, str, n);
	c->sideband[have + n] = '\0';
	return 0;
}

static void lg_callbacks(lg_ctx *c, git_remote_callbacks *cbs)
{
	cbs->credentials = lg_cred;
	if (c->use_cert_cb)
		cbs->certificate_check = c->use_cert_cb == 2 ? lg_cert_passthrough : lg_cert;
	cbs->push_update_reference = lg_update;
	cbs->sideband_progress = lg_sideband;
	cbs->payload = c;
}

/* Pushes (push = 1) or fetches refspec between the repository at `gitdir`
 * and url with libgit2; returns git_remote_push's or git_remote_fetch's
 * result. libgit2 is initialised for the call alone: an https server's CA
 * is set for it. */
static int lg_transfer(int push, const char *gitdir, const char *url, const char *refspec,
                       lg_ctx *c)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	char *specs[1] = { (char *)refspec };
	git_strarray arr = { specs, 1 };
	int err;

	cr_assert(git_libgit2_init() > 0);
	if (t_server_ca_file(c->s))
		cr_assert_eq(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
		                              t_server_ca_file(c->s), NULL), 0);
	cr_assert_eq(git_repository_open(&repo, gitdir), 0, "%s", git_error_last()->message);
	cr_assert_eq(git_remote_create_anonymous(&remote, repo, url), 0);
	lg_callbacks(c, push ? &po.callbacks : &fo.callbacks);
	err = push ? git_remote_push(remote, &arr, &po) : git_remote_fetch(remote, &arr, &fo, NULL);
	if (err < 0)
		snprintf(c->status, sizeof(c->status), "%s error %d: %s", push ? "push" : "fetch",
		         err, git_error_last() ? git_error_last()->message : "?");
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return err;
}

#define lg_push(...) lg_transfer(1, __VA_ARGS__)
#define lg_fetch(...) lg_transfer(0, __VA_ARGS__)

EVERY_KIND(servers, libgit2)
{
	srv_fx fx = srv_setup(*kind, "sub/room.git");
	const char *dir = fx.dir;
	t_server *s = fx.s;
	char *repo = fx.repo, *url = fx.url;
	char *work = work_repo(dir, "via libgit2");
	char *gitdir = t_path(work, ".git");
	char *head = rev_parse(gitdir, "HEAD");
	lg_ctx c = { .s = s, .use_cert_cb = 1 };
	t_run r;

	cr_assert_eq(lg_push(gitdir, url, "refs/heads/main:refs/chat/y", &c), 0,
	             "%s: %s\nlog: %s", kind_name(*kind), c.status,
	             t_read_file(t_server_log(s), NULL));
	cr_assert_str_eq(c.status, "");
	cr_assert_eq(c.updates, 1);
	cr_assert_str_eq(rev_parse(repo, "refs/chat/y"), head);

	r = t_sh("git init -q --bare '%s/other.git'", dir);
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	char *other = t_path(dir, "other.git");
	lg_ctx f = { .s = s, .use_cert_cb = 1 };
	cr_assert_eq(lg_fetch(other, url, "+refs/chat/*:refs/q/*", &f), 0, "%s", f.status);
	cr_assert_str_eq(rev_parse(other, "refs/q/y"), head);
	t_server_stop(s);
}

/* ssh host checking in libgit2 1.5 without a certificate_check callback:
 * $HOME/.ssh/known_hosts decides. */
Test(servers, libgit2_ssh_known_hosts)
{
	const char *dir = t_scratch();
	char *root = t_path(dir, "srv");
	t_mkdir(root);
	t_server *s = t_server_start(T_SERVER_SSH, root);
	char *repo = t_server_new_repo(s, "room.git");
	char *url = t_server_url(s, "room.git");
	char *gitdir = t_path(work_repo(dir, "kh"), ".git");
	lg_ctx unknown = { .s = s }, known = { .s = s };
	lg_ctx unknown_pass = { .s = s, .use_cert_cb = 2 }, known_pass = { .s = s, .use_cert_cb = 2 };

	/* Unknown host: refused before anything is sent, with or without a
	 * callback that passes the decision on. */
	cr_assert_lt(lg_push(gitdir, url, "refs/heads/main:refs/chat/k", &unknown), 0);
	cr_assert(strstr(unknown.status, "known") || strstr(unknown.status, "host"),
	          "unexpected error: %s", unknown.status);
	cr_log_info("libgit2 on an unknown ssh host: %s", unknown.status);
	cr_assert_lt(lg_push(gitdir, url, "refs/heads/main:refs/chat/k", &unknown_pass), 0);
	cr_log_info("libgit2 on an unknown ssh host, GIT_PASSTHROUGH: %s", unknown_pass.status);
	t_run r = t_sh("git --git-dir='%s' rev-parse -q --verify refs/chat/k", repo);
	cr_assert_neq(r.status, 0, "pushed to an unknown host");
	t_run_free(&r);

	t_server_install_known_hosts(s);
	cr_assert_eq(lg_push(gitdir, url, "refs/heads/main:refs/chat/k", &known), 0,
	             "%s", known.status);
	cr_assert_str_eq(rev_parse(repo, "refs/chat/k"), rev_parse(gitdir, "HEAD"));
	cr_assert_eq(lg_push(gitdir, url, "refs/heads/main:refs/chat/k2", &known_pass), 0,
	             "%s", known_pass.status);
	cr_assert_str_eq(rev_parse(repo, "refs/chat/k2"), rev_parse(gitdir, "HEAD"));
	t_server_stop(s);
}

/* A certificate_check callback that refuses makes the push fail, even with
 * the host in known_hosts: the callback is what decides. */
static int refuse_cert(git_cert *cert, int valid, const char *host, void *payload)
{
	(void)cert; (void)valid; (void)host; (void)payload;
	return GIT_ECERTIFICATE;
}

Test(servers, libgit2_ssh_wrong_host_key)
{
	const char *dir = t_scratch();
	char *root = t_path(dir, "srv");
	t_mkdir(root);
	t_server *s = t_server_start(T_SERVER_SSH, root);
	t_server *other = t_server_start(T_SERVER_SSH, root);
	char *repo = t_server_new_repo(s, "room.git");
	char *url = t_server_url(s, "room.git");
	char *gitdir = t_path(work_repo(dir, "wrong"), ".git");
	git_repository *r = NULL;
	git_remote *remote = NULL;
	git_push_options opts = GIT_PUSH_OPTIONS_INIT;
	char *spec = "refs/heads/main:refs/chat/w";
	git_strarray arr = { &spec, 1 };

	t_server_install_known_hosts(s);
	cr_assert(git_libgit2_init() > 0);
	cr_assert_eq(git_repository_open(&r, gitdir), 0);
	cr_assert_eq(git_remote_create_anonymous(&remote, r, url), 0);
	opts.callbacks.credentials = t_server_credentials_cb;
	opts.callbacks.certificate_check = refuse_cert;
	opts.callbacks.payload = s;
	cr_assert_lt(git_remote_push(remote, &arr, &opts), 0);
	/* The harness's check accepts only the right key: `other`'s key is
	 * not s's. */
	opts.callbacks.certificate_check = t_server_certificate_check_cb;
	opts.callbacks.payload = other;
	opts.callbacks.credentials = t_server_credentials_cb;
	cr_assert_lt(git_remote_push(remote, &arr, &opts), 0);
	git_remote_free(remote);
	git_repository_free(r);
	git_libgit2_shutdown();

	t_run rr = t_sh("git --git-dir='%s' rev-parse -q --verify refs/chat/w", repo);
	cr_assert_neq(rr.status, 0, "pushed despite a refused host key");
	t_run_free(&rr);

	/* Stock git refuses a host key that is not in its known_hosts file. */
	char *url2 = t_server_url(other, "room.git");
	const char *push[] = { "push", url2, "HEAD:refs/chat/w", NULL };
	rr = git(s, t_path(dir, "work"), push);  /* s's env: s's known_hosts */
	cr_assert_neq(rr.status, 0);
	cr_assert(strstr(rr.err, "Host key verification failed"), "%s", rr.err);
	t_run_free(&rr);
	t_server_stop(other);
	t_server_stop(s);
}

static void install_hook(const char *repo, const char *body)
{
	char *hook = t_path(repo, "hooks/pre-receive");
	t_write_file(hook, body, strlen(body));
	cr_assert_eq(chmod(hook, 0755), 0);
	free(hook);
}

EVERY_KIND(servers, hooks)
{
	srv_fx f = srv_setup(*kind, "room.git");
	const char *dir = f.dir;
	t_server *s = f.s;
	char *repo = f.repo, *url = f.url;
	char *work = work_repo(dir, "hooked");
	char *gitdir = t_path(work, ".git");
	char *head = rev_parse(gitdir, "HEAD");
	t_run r;

	install_hook(repo, "#!/bin/sh\n"
	             "while read old new ref; do echo \"hook-accepts $ref\" >&2; done\n"
	             "exit 0\n");
	const char *push_ok[] = { "push", url, "HEAD:refs/chat/ok", NULL };
	r = git(s, work, push_ok);
	cr_assert_eq(r.status, 0, "%s: %s", kind_name(*kind), r.err);
	cr_assert(strstr(r.err, "remote: hook-accepts refs/chat/ok"),
	          "%s: hook stderr did not reach the client:\n%s", kind_name(*kind), r.err);
	t_run_free(&r);
	cr_assert_str_eq(rev_parse(repo, "refs/chat/ok"), head);

	install_hook(repo, "#!/bin/sh\n"
	             "while read old new ref; do echo \"hook-refuses $ref: not signed\" >&2; done\n"
	             "exit 1\n");
	const char *push_no[] = { "push", url, "HEAD:refs/chat/no", NULL };
	r = git(s, work, push_no);
	cr_assert_neq(r.status, 0, "%s: refused push succeeded", kind_name(*kind));
	cr_assert(strstr(r.err, "remote: hook-refuses refs/chat/no: not signed"),
	          "%s: %s", kind_name(*kind), r.err);
	cr_assert(strstr(r.err, "pre-receive hook declined"), "%s", r.err);
	t_run_free(&r);
	r = t_sh("git --git-dir='%s' rev-parse -q --verify refs/chat/no", repo);
	cr_assert_neq(r.status, 0, "a refused ref was written");
	t_run_free(&r);

	/* libgit2: the push "succeeds", the ref's status says why not, and
	 * the hook's stderr arrives as sideband progress text. */
	lg_ctx c = { .s = s, .use_cert_cb = 1 };
	cr_assert_eq(lg_push(gitdir, url, "refs/heads/main:refs/chat/lg", &c), 0, "%s", c.status);
	cr_assert_eq(c.updates, 1);
	cr_assert(strstr(c.status, "refs/chat/lg: pre-receive hook declined"), "%s", c.status);
	cr_assert(strstr(c.sideband, "hook-refuses refs/chat/lg: not signed"),
	          "%s: sideband: '%s'", kind_name(*kind), c.sideband);
	t_server_stop(s);
}

/* Bigger than git's http.postBuffer (1 MiB): stock git and libgit2 send
 * chunked request bodies. Incompressible, so the pack really is that big. */
EVERY_KIND(servers, large_push)
{
	srv_fx f = srv_setup(*kind, "big.git");
	const char *dir = f.dir;
	t_server *s = f.s;
	char *repo = f.repo, *url = f.url;
	char *work = t_path(dir, "work");
	t_run r = t_sh("git init -q -b main '%s' && cd '%s' && head -c 6000000 /dev/urandom > a &&"
	               " git add a && git commit -q -m a && head -c 6000000 /dev/urandom > b &&"
	               " git add b && git commit -q -m b", work, work);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	char *gitdir = t_path(work, ".git");

	const char *push[] = { "push", url, "HEAD~1:refs/chat/big", NULL };
	r = git(s, work, push);
	cr_assert_eq(r.status, 0, "%s: %s\nlog: %s", kind_name(*kind), r.err,
	             t_read_file(t_server_log(s), NULL));
	t_run_free(&r);
	cr_assert_str_eq(rev_parse(repo, "refs/chat/big"), rev_parse(gitdir, "HEAD~1"));

	lg_ctx c = { .s = s, .use_cert_cb = 1 };
	cr_assert_eq(lg_push(gitdir, url, "refs/heads/main:refs/chat/big", &c), 0, "%s\nlog: %s",
	             c.status, t_read_file(t_server_log(s), NULL));
	cr_assert_str_eq(c.status, "");
	cr_assert_str_eq(rev_parse(repo, "refs/chat/big"), rev_parse(gitdir, "HEAD"));
	t_server_stop(s);
}

static int port_is_free(int port)
{
	struct sockaddr_in a = { 0 };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

FOR_KINDS(process_kinds, servers, stop_start_kill)
{
	t_server_kind k = *kind;
	srv_fx f = srv_setup(k, "room.git");
	const char *dir = f.dir;
	char *root = f.root;
	t_server *s = f.s;
	char *work = work_repo(dir, "again");
	pid_t pid = t_server_pid(s);
	int port = t_server_port(s);
	char *url;
	t_run r;

	cr_assert_gt(pid, 0);
	cr_assert_gt(port, 0);
	t_server_stop(s);
	cr_assert(kill(pid, 0) < 0 && errno == ESRCH, "server %d still there after stop", pid);
	cr_assert(kill(-pid, 0) < 0 && errno == ESRCH, "process group %d still there", pid);
	cr_assert(port_is_free(port), "port %d still in use after stop", port);

	/* Again, on the same root. */
	s = t_server_start(k, root);
	url = t_server_url(s, "room.git");
	const char *push[] = { "push", url, "HEAD:refs/chat/a", NULL };
	r = git(s, work, push);
	cr_assert_eq(r.status, 0, "%s after restart: %s", kind_name(k), r.err);
	t_run_free(&r);

	/* Same port and keys after t_server_restart: the old URL and
	 * known_hosts still work. */
	port = t_server_port(s);
	t_server_restart(s);
	cr_assert_eq(t_server_port(s), port);
	const char *push2[] = { "push", url, "HEAD:refs/chat/b", NULL };
	r = git(s, work, push2);
	cr_assert_eq(r.status, 0, "%s after t_server_restart: %s", kind_name(k), r.err);
	t_run_free(&r);

	/* Killed from the test: the client fails, stop still cleans up. */
	pid = t_server_pid(s);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 200 && !port_is_free(port); i++)
		usleep(10000);
	const char *push3[] = { "push", url, "HEAD:refs/chat/c", NULL };
	r = git(s, work, push3);
	cr_assert_neq(r.status, 0, "%s: push to a killed server succeeded", kind_name(k));
	t_run_free(&r);
	t_server_stop(s);
	cr_assert(kill(pid, 0) < 0 && errno == ESRCH);
	cr_assert(port_is_free(port));
	t_server_stop(NULL);
}

/* Alive and not a zombie (an orphan's zombie waits for init to reap it). */
static int proc_alive(pid_t pid)
{
	char path[64], *stat, *paren;
	int alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	stat = t_read_file(path, NULL);
	if (!stat)
		return 0;
	paren = strrchr(stat, ')');
	alive = paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
	free(stat);
	return alive;
}

/* Waits up to 5 s for the servers listed in `text` ("pid port" lines) to be
 * gone and their ports free. */
static void assert_all_gone(const char *text, const char *how)
{
	int pid, port, off = 0, used, count = 0;

	while (sscanf(text + off, "%d %d\n%n", &pid, &port, &used) == 2) {
		int i = 0;
		off += used;
		count++;
		while (i++ < 500 && (proc_alive(pid) || !port_is_free(port)))
			usleep(10000);
		cr_assert(!proc_alive(pid), "server %d survived %s", pid, how);
		cr_assert(port_is_free(port), "port %d still in use after %s", port, how);
	}
	cr_assert_eq(count, 3, "expected 3 servers, got: '%s'", text);
}

static void start_all_and_record(const char *file)
{
	const char *dir = t_scratch();
	char *root = t_path(dir, "srv");
	char buf[256];
	int n = 0;

	t_mkdir(root);
	for (int k = T_SERVER_DAEMON; k <= T_SERVER_SSH; k++) {
		t_server *s = t_server_start((t_server_kind)k, root);
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%d %d\n", t_server_pid(s),
		              t_server_port(s));
	}
	t_write_file(file, buf, (size_t)n);
}

/* A test that fails with servers running ends its process with exit():
 * the servers go with it (atexit), though the test never stopped them. */
Test(servers, no_orphans_after_failed_test)
{
	const char *dir = t_scratch();
	char *file = t_path(dir, "pids"), *text;
	int status;
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0) {
		start_all_and_record(file);
		exit(1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status 0x%x", status);
	text = t_read_file(file, NULL);
	cr_assert(text != NULL, "child did not record its servers");
	assert_all_gone(text, "a failed test");
}

/* The test process killed outright (no atexit): PR_SET_PDEATHSIG. */
Test(servers, no_orphans_after_sigkill)
{
	const char *dir = t_scratch();
	char *file = t_path(dir, "pids"), *text;
	int status;
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0) {
		start_all_and_record(file);
		raise(SIGKILL);
		_exit(1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status 0x%x", status);
	text = t_read_file(file, NULL);
	cr_assert(text != NULL, "child did not record its servers");
	assert_all_gone(text, "SIGKILL of the test process");
}

/* lighttpd (in /usr/sbin on Debian) missing from PATH: the failure says
 * that it exited and shows the end of its log. */
Test(servers, start_failure_is_reported)
{
	const char *dir = t_scratch();
	char *root = t_path(dir, "srv"), *path = strdup(getenv("PATH")), *why;

	t_mkdir(root);
	setenv("PATH", "/usr/bin:/bin", 1);
	why = t_server_start_error(T_SERVER_HTTP, root);
	setenv("PATH", path, 1);
	cr_assert(why != NULL, "the server started without lighttpd in PATH");
	cr_assert(strstr(why, "exited with status"), "%s", why);
	cr_assert(strstr(why, "exec lighttpd: No such file"), "log tail missing:\n%s", why);
	free(why);
	free(path);
}
