/*
 * HTTP credentials through git's own credential helpers: a smart HTTP
 * server (lighttpd + git http-backend, as in tests/lib/servers.c, plus
 * basic authentication) that wants a user name and password. The helper
 * gives them (`git credential fill`), is told they worked (`approve`), or
 * that they did not (`reject`, and the sync fails with a clear error).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "test_sync_common.h"

typedef struct {
	pid_t pid;
	int port;
	char *root;
} auth_server;

static int free_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int can_connect(int port)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void auth_server_start(auth_server *s, const char *dir)
{
	char *conf = t_path(dir, "lighttpd.conf"), *www = t_path(dir, "www");
	char *tmp = t_path(dir, "tmp"), *users = t_path(dir, "users"), *log = t_path(dir, "log");
	char *text, *backend;
	t_run r = t_sh("printf %%s \"$(git --exec-path)/git-http-backend\"");
	int i;

	backend = tp_keep(r.out);
	r.out = NULL;
	t_run_free(&r);
	s->root = t_path(dir, "repos");
	t_mkdir(s->root);
	t_mkdir(www);
	t_mkdir(tmp);
	t_write_file(users, "alice:secret\n", 13);
	s->port = free_port();
	text = tp_strdup_printf(
		"server.modules = (\"mod_auth\", \"mod_authn_file\", \"mod_alias\",\n"
		"                  \"mod_setenv\", \"mod_cgi\")\n"
		"server.document-root = \"%s\"\n"
		"server.bind = \"127.0.0.1\"\n"
		"server.port = %d\n"
		"server.upload-dirs = (\"%s\")\n"
		"server.errorlog = \"%s\"\n"
		"server.stream-response-body = 1\n"
		"auth.backend = \"plain\"\n"
		"auth.backend.plain.userfile = \"%s\"\n"
		"auth.require = (\"/git\" => (\"method\" => \"basic\", \"realm\" => \"chat\",\n"
		"                            \"require\" => \"valid-user\"))\n"
		"alias.url = (\"/git\" => \"%s\")\n"
		"$HTTP[\"url\"] =~ \"^/git\" {\n"
		"  cgi.assign = (\"\" => \"\")\n"
		"  setenv.set-environment = (\"GIT_PROJECT_ROOT\" => \"%s\",\n"
		"    \"GIT_HTTP_EXPORT_ALL\" => \"1\", \"GIT_CONFIG_NOSYSTEM\" => \"1\",\n"
		"    \"PATH\" => \"%s\")\n"
		"}\n", www, s->port, tmp, log, users, backend, s->root, getenv("PATH"));
	t_write_file(conf, text, strlen(text));
	s->pid = fork();
	cr_assert(s->pid >= 0);
	if (s->pid == 0) {
		setpgid(0, 0);
		execlp("lighttpd", "lighttpd", "-D", "-f", conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 300 && !can_connect(s->port); i++)
		usleep(20 * 1000);
	cr_assert(can_connect(s->port), "lighttpd did not start: %s", t_read_file(log, NULL));
}

static void auth_server_stop(auth_server *s)
{
	kill(-s->pid, SIGTERM);
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
}

Test(sync_http_auth, credentials_from_git_helpers, .timeout = 120)
{
	char *dir = tp_scratch(), *srv = t_path(dir, "srv"), *url, *repo, *helper, *calls,
	     *creds;
	auth_server s;
	tp_person a;
	t_run r;

	t_mkdir(srv);
	auth_server_start(&s, srv);
	repo = t_path(s.root, "team.git");
	free(tp_git(dir, "init -q --bare '%s'", repo));
	free(tp_git(repo, "config http.receivepack true"));
	url = tp_strdup_printf("http://127.0.0.1:%d/git/team.git", s.port);
	tp_person_init(&a, dir, "Alice");
	tp_send(&a, "general", "behind a password");

	/* no helper, no terminal: a clear error, nothing done */
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	r = tp_sync(&a, url, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(tp_contains(r.err, "needs a user name and password"), "%s", r.err);
	cr_assert(tp_contains(r.err, "credential"), "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(tp_refs(repo, "refs/chat"), "");

	/* a helper that knows the password; it hears "store" after success */
	calls = t_path(dir, "calls");
	creds = t_path(dir, "password");
	t_write_file(creds, "secret", 6);
	helper = t_path(dir, "helper.sh");
	{
		char *script = tp_strdup_printf(
			"#!/bin/sh\necho \"$1\" >> '%s'\n"
			"if [ \"$1\" = get ]; then echo username=alice; echo \"password=$(cat '%s')\"; fi\n",
			calls, creds);
		t_write_file(helper, script, strlen(script));
		cr_assert_eq(chmod(helper, 0755), 0);
	}
	free(tp_git(a.store, "config credential.helper '%s'", helper));
	r = tp_sync(&a, url, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(tp_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(tp_refs(repo, "refs/chat"), tp_refs(a.store, "refs/chat"));
	char *seen = t_read_file(calls, NULL);
	cr_assert(tp_contains(seen, "get\nstore\n"), "helper calls: %s", seen);
	free(seen);

	/* a wrong password: refused, the helper told to forget it ("erase") */
	t_write_file(creds, "wrong", 5);
	unlink(calls);
	tp_send(&a, "general", "second");
	r = tp_sync(&a, url, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(tp_contains(r.err, "refused the user name and password"), "%s", r.err);
	t_run_free(&r);
	seen = t_read_file(calls, NULL);
	cr_assert(tp_contains(seen, "erase"), "helper calls: %s", seen);
	cr_assert(!tp_contains(seen, "store"));
	free(seen);
	tp_store_sound(a.store);
	unsetenv("GIT_TERMINAL_PROMPT");
	auth_server_stop(&s);
}
