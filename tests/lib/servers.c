/*
 * Test servers: see servers.h. The server is always our direct child, in
 * its own process group, so that its pid is the listening process and its
 * helpers (upload-pack, CGI children) can be killed with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <sodium.h>

#include "testlib.h"
#include "servers.h"

#define START_ATTEMPTS 8
#define START_TIMEOUT_MS 15000
#define STOP_GRACE_MS 5000

struct t_server {
	t_server_kind kind;
	char *root;
	char *dir;        /* scratch directory of this server */
	char *log;        /* its stdout+stderr */
	char *config;     /* lighttpd / sshd config path */
	int port;
	pid_t pid;        /* 0 when not running */
	pid_t owner;      /* the process that started it */
	char *client_key, *known_hosts, *host_pubkey;
	char *ca, *cert, *key;      /* HTTPS: the test CA, the server's cert and key */
	char *users, *include;      /* lighttpd: htpasswd file, included config */
	char *env_buf[3];
	const char *env[4];
	struct t_server *next;
};

static t_server *live;  /* servers started by this process, for atexit */

static void ms_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	char *p = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0, "out of memory");
	return p;
}

/* The last ~3000 bytes of the log, for failure messages (malloc'd). */
static char *log_tail(const t_server *s)
{
	size_t len = 0;
	char *all = t_read_file(s->log, &len), *tail;

	if (!all)
		return strdup("(no log)");
	tail = strdup(len > 3000 ? all + len - 3000 : all);
	free(all);
	return tail;
}

int t_server_free_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "bind: %s", strerror(errno));
	cr_assert(getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Inode of the socket listening on 127.0.0.1:port, 0 if none. */
static unsigned long listening_inode(int port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	unsigned long found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned int addr, lport, st;
		unsigned long inode;
		if (sscanf(line, " %*d: %x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
		           &addr, &lport, &st, &inode) == 4 &&
		    (int)lport == port && st == 0x0A && addr == htonl(INADDR_LOOPBACK))
			found = inode;
	}
	fclose(f);
	return found;
}

static int pid_has_socket(pid_t pid, unsigned long inode)
{
	char dirpath[64], want[64], link[384], target[128];
	DIR *d;
	struct dirent *e;
	int found = 0;

	snprintf(dirpath, sizeof(dirpath), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if (!(d = opendir(dirpath)))
		return 0;
	while (!found && (e = readdir(d))) {
		ssize_t n;
		snprintf(link, sizeof(link), "%s/%s", dirpath, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = !strcmp(target, want);
		}
	}
	closedir(d);
	return found;
}

int t_server_can_connect(int port)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static char *exec_path_file(const char *name)
{
	t_run r = t_sh("git --exec-path");
	char *p;

	cr_assert_eq(r.status, 0, "git --exec-path failed: %s", r.err);
	r.out[strcspn(r.out, "\n")] = '\0';
	p = xasprintf("%s/%s", r.out, name);
	t_run_free(&r);
	cr_assert(access(p, X_OK) == 0, "%s is not executable: is git installed?", p);
	return p;
}

static void write_text(const char *path, const char *text)
{
	t_write_file(path, text, strlen(text));
}

static int is_web(const t_server *s)
{
	return s->kind == T_SERVER_HTTP || s->kind == T_SERVER_HTTPS;
}

/* lighttpd: the built-in git setup, or the caller's file included. */
static char *lighttpd_config(t_server *s, const char *path, const char *home)
{
	char *backend = exec_path_file("git-http-backend");
	char *www = t_path(s->dir, "www"), *tmp = t_path(s->dir, "tmp");
	char *tls = NULL, *auth = NULL, *text;
	int https = s->kind == T_SERVER_HTTPS;

	t_mkdir(www);
	t_mkdir(tmp);
	/* No HTTP/2: stock git (curl) pushing more than 1 MiB over h2 to this
	 * lighttpd (1.4.69, CGI) fails with "curl 92 Stream error in the
	 * HTTP/2 framing layer" (test_servers large_push); libgit2 speaks
	 * HTTP/1.1 only. */
	if (https)
		tls = xasprintf("%s"
		                "server.feature-flags += (\"server.h2proto\" => \"disable\")\n"
		                "ssl.engine = \"enable\"\n"
		                "ssl.pemfile = \"%s\"\n"
		                "ssl.privkey = \"%s\"\n",
		                s->include ? "server.modules += (\"mod_openssl\")\n" : "",
		                s->cert, s->key);
	if (s->include) {
		text = xasprintf(
			"server.document-root = \"%s\"\n"
			"server.bind = \"127.0.0.1\"\n"
			"server.port = %d\n"
			"server.upload-dirs = (\"%s\")\n"
			"%s"
			"var.git_chat_root = \"%s\"\n"
			"var.git_chat_backend = \"%s\"\n"
			"var.git_chat_users = \"%s\"\n"
			"include \"%s\"\n",
			www, s->port, tmp, tls ? tls : "", s->root, backend,
			s->users ? s->users : "", s->include);
		goto done;
	}
	if (s->users)
		auth = xasprintf(
			"auth.backend = \"htpasswd\"\n"
			"auth.backend.htpasswd.userfile = \"%s\"\n"
			"auth.require = (\"/git\" => (\"method\" => \"basic\", \"realm\" => \"git-chat\",\n"
			"                             \"require\" => \"valid-user\"))\n", s->users);
	/* CGI children get no inherited environment: pass what hooks
	 * need. The request body is buffered (CONTENT_LENGTH known to
	 * http-backend even for chunked uploads); responses stream so
	 * that sideband progress and hook output arrive as they come. */
	text = xasprintf(
		"server.modules = (\"mod_alias\", \"mod_setenv\", \"mod_cgi\"%s%s)\n"
		"server.document-root = \"%s\"\n"
		"server.bind = \"127.0.0.1\"\n"
		"server.port = %d\n"
		"server.upload-dirs = (\"%s\")\n"
		"server.max-request-size = 2097152\n"
		"server.stream-request-body = 0\n"
		"server.stream-response-body = 1\n"
		"server.max-read-idle = 600\n"
		"server.max-write-idle = 600\n"
		"%s%s"
		"alias.url = (\"/git\" => \"%s\")\n"
		"$HTTP[\"url\"] =~ \"^/git\" {\n"
		"  cgi.assign = (\"\" => \"\")\n"
		"  setenv.set-environment = (\n"
		"    \"GIT_PROJECT_ROOT\" => \"%s\",\n"
		"    \"GIT_HTTP_EXPORT_ALL\" => \"1\",\n"
		"    \"GIT_CONFIG_NOSYSTEM\" => \"1\",\n"
		"    \"HOME\" => \"%s\",\n"
		"    \"PATH\" => \"%s\"\n"
		"  )\n"
		"}\n",
		https ? ", \"mod_openssl\"" : "", auth ? ", \"mod_auth\", \"mod_authn_file\"" : "",
		www, s->port, tmp, tls ? tls : "", auth ? auth : "", backend, s->root, home, path);
done:
	free(backend);
	free(www);
	free(tmp);
	free(tls);
	free(auth);
	return text;
}

static void write_config(t_server *s)
{
	char *text = NULL;
	const char *path = getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin";
	const char *home = getenv("HOME") ? getenv("HOME") : s->dir;

	if (is_web(s)) {
		text = lighttpd_config(s, path, home);
	} else if (s->kind == T_SERVER_SSH) {
		char *hostkey = t_path(s->dir, "ssh_host_ed25519_key");
		char *auth = t_path(s->dir, "authorized_keys");
		/* SetEnv: the session (and the hooks it runs) sees the test's
		 * PATH and HOME, not root's dotfiles. */
		text = xasprintf(
			"ListenAddress 127.0.0.1\n"
			"Port %d\n"
			"HostKey %s\n"
			"PermitRootLogin prohibit-password\n"
			"PubkeyAuthentication yes\n"
			"PasswordAuthentication no\n"
			"KbdInteractiveAuthentication no\n"
			"AuthorizedKeysFile %s\n"
			"StrictModes no\n"
			"UsePAM no\n"
			"PidFile none\n"
			"PrintMotd no\n"
			"SetEnv \"PATH=%s\" \"HOME=%s\" GIT_CONFIG_NOSYSTEM=1\n",
			s->port, hostkey, auth, path, home);
		free(hostkey);
		free(auth);
	}
	if (text) {
		write_text(s->config, text);
		free(text);
	}
}

static void write_known_hosts(t_server *s)
{
	char *line;

	if (s->kind != T_SERVER_SSH)
		return;
	line = xasprintf("[127.0.0.1]:%d %s\n", s->port, s->host_pubkey);
	write_text(s->known_hosts, line);
	free(line);
}

static void spawn(t_server *s)
{
	char port[32], base[4200];
	char *daemon = NULL, *sshd_cmd = NULL;
	const char *argv[16];
	int logfd;
	pid_t parent = getpid(), pid;

	snprintf(port, sizeof(port), "--port=%d", s->port);
	snprintf(base, sizeof(base), "--base-path=%s", s->root);
	switch (s->kind) {
	case T_SERVER_DAEMON:
		daemon = exec_path_file("git-daemon");
		argv[0] = daemon; argv[1] = "--reuseaddr"; argv[2] = "--listen=127.0.0.1";
		argv[3] = port; argv[4] = base; argv[5] = "--export-all";
		argv[6] = "--enable=receive-pack"; argv[7] = "--informative-errors";
		argv[8] = "--verbose"; argv[9] = "--"; argv[10] = s->root; argv[11] = NULL;
		break;
	case T_SERVER_HTTP:
	case T_SERVER_HTTPS:
		argv[0] = "lighttpd"; argv[1] = "-D"; argv[2] = "-f"; argv[3] = s->config;
		argv[4] = NULL;
		break;
	case T_SERVER_SSH:
		/* sshd (as root) insists on /run/sshd: a private tmpfs on /run in
		 * a new mount namespace leaves the system's /run alone. No
		 * --fork: unshare execs sh, which execs sshd, so the pid we get
		 * is sshd's. */
		sshd_cmd = xasprintf("mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && "
		                     "exec /usr/sbin/sshd -D -e -f '%s'", s->config);
		argv[0] = "unshare"; argv[1] = "-m"; argv[2] = "sh"; argv[3] = "-c";
		argv[4] = sshd_cmd; argv[5] = NULL;
		break;
	}

	logfd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	cr_assert(logfd >= 0, "open %s: %s", s->log, strerror(errno));
	pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		setpgid(0, 0);
		/* The kernel kills the server if the test process dies without
		 * running its atexit handlers (a crash, a Criterion timeout). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(devnull, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		/* Criterion's pipes must not stay open in the server. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* Both sides: a kill(-pid) must find the group even if we are faster
	 * than the child's own setpgid. */
	setpgid(pid, pid);
	close(logfd);
	s->pid = pid;
	free(daemon);
	free(sshd_cmd);
}

/* 1 once the server listens and accepts, 0 if it exited (its status in
 * *status), -1 on timeout. */
static int wait_ready(t_server *s, int *status)
{
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		unsigned long inode;
		pid_t r = waitpid(s->pid, status, WNOHANG);
		if (r == s->pid) {
			s->pid = 0;
			return 0;
		}
		inode = listening_inode(s->port);
		/* The listening socket must be our server's: another process
		 * may have taken the port between t_server_free_port() and bind(). */
		if (inode && pid_has_socket(s->pid, inode) && t_server_can_connect(s->port))
			return 1;
		ms_sleep(20);
	}
	return -1;
}

static void kill_and_reap(t_server *s)
{
	siginfo_t si;
	int waited = 0;

	if (s->pid <= 0)
		return;
	kill(-s->pid, SIGTERM);
	kill(s->pid, SIGTERM);
	for (;;) {
		memset(&si, 0, sizeof(si));
		/* WNOWAIT: the zombie keeps the pid (and so the process
		 * group id) from being reused until the group is killed. */
		if (waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			/* ECHILD: someone else reaped it; its pid may name
			 * another process group by now, so kill no further. */
			s->pid = 0;
			return;
		}
		if (si.si_pid == s->pid)
			break;
		if (waited >= STOP_GRACE_MS) {
			kill(-s->pid, SIGKILL);
			kill(s->pid, SIGKILL);
		}
		ms_sleep(10);
		waited += 10;
	}
	kill(-s->pid, SIGKILL);
	while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	s->pid = 0;
}

static void stop_all_at_exit(void)
{
	for (t_server *s = live; s; s = s->next)
		if (s->owner == getpid())
			kill_and_reap(s);
}

/* NULL when the server listens; otherwise why not (malloc'd). */
static char *try_start_on(t_server *s, int fixed_port)
{
	int status = 0, ready = 0;
	char *why = NULL;

	for (int attempt = 0; attempt < START_ATTEMPTS && ready != 1; attempt++) {
		s->port = fixed_port ? fixed_port : t_server_free_port();
		write_config(s);
		write_known_hosts(s);
		spawn(s);
		ready = wait_ready(s, &status);
		if (ready == -1) {
			char *tail = log_tail(s);
			kill_and_reap(s);
			cr_assert(asprintf(&why, "server (kind %d) did not listen on 127.0.0.1:%d "
			                   "within %d ms; log %s:\n%s", (int)s->kind, s->port,
			                   START_TIMEOUT_MS, s->log, tail) > 0);
			return why;
		}
		if (ready == 0 && fixed_port)
			ms_sleep(200);  /* the port may be in use for a moment */
	}
	if (ready != 1)
		cr_assert(asprintf(&why, "server (kind %d) exited with status 0x%x on each of %d "
		                   "attempts (last port %d); log %s:\n%s", (int)s->kind, status,
		                   START_ATTEMPTS, s->port, s->log, log_tail(s)) > 0);
	return why;
}

static void start_on(t_server *s, int fixed_port)
{
	char *why = try_start_on(s, fixed_port);

	if (why)
		cr_assert_fail("%s", why);
}

static void make_ssh_keys(t_server *s)
{
	char *hostkey = t_path(s->dir, "ssh_host_ed25519_key");
	char *pub = NULL, *auth;
	t_run r;

	s->client_key = t_path(s->dir, "client_ed25519");
	r = t_sh("ssh-keygen -q -t ed25519 -N '' -C test-server-host -f '%s' && "
	         "ssh-keygen -q -t ed25519 -N '' -C test-client -f '%s'",
	         hostkey, s->client_key);
	cr_assert_eq(r.status, 0, "ssh-keygen failed: %s", r.err);
	t_run_free(&r);

	pub = xasprintf("%s.pub", hostkey);
	s->host_pubkey = t_read_file(pub, NULL);
	cr_assert(s->host_pubkey != NULL, "cannot read %s", pub);
	/* Keep "type base64", drop the comment and newline. */
	{
		char *sp = strchr(s->host_pubkey, ' ');
		cr_assert(sp != NULL, "bad host key %s", pub);
		sp[strcspn(sp + 1, " \n") + 1] = '\0';
	}
	free(pub);

	pub = xasprintf("%s.pub", s->client_key);
	auth = t_path(s->dir, "authorized_keys");
	r = t_sh("cp '%s' '%s'", pub, auth);
	cr_assert_eq(r.status, 0, "cp: %s", r.err);
	t_run_free(&r);
	free(pub);
	free(auth);
	free(hostkey);
	s->known_hosts = t_path(s->dir, "known_hosts");
}

/* A throwaway CA and a certificate it signs for 127.0.0.1 and localhost
 * (EC P-256: quick to make, and mbedTLS and OpenSSL both take it).
 * 127.0.0.1 is there twice: as an IP address, which OpenSSL (stock git)
 * checks, and as a DNS name, which is all mbedTLS 2.28 (Debian's libgit2
 * 1.5) compares the host with once a certificate has subjectAltNames. */
static void make_tls(t_server *s)
{
	char *cakey = t_path(s->dir, "ca.key"), *csr = t_path(s->dir, "server.csr");
	char *ext = t_path(s->dir, "server.ext");
	const char *exts = "basicConstraints = critical, CA:FALSE\n"
	                   "keyUsage = critical, digitalSignature\n"
	                   "extendedKeyUsage = serverAuth\n"
	                   "subjectAltName = IP:127.0.0.1, DNS:127.0.0.1, DNS:localhost\n";
	t_run r;

	s->ca = t_path(s->dir, "ca.pem");
	s->cert = t_path(s->dir, "server.pem");
	s->key = t_path(s->dir, "server.key");
	write_text(ext, exts);
	r = t_sh("set -e; ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';"
	         "openssl req -x509 $ec -keyout '%s' -out '%s' -days 2 -subj '/CN=git-chat test CA'"
	         " -addext 'basicConstraints=critical,CA:TRUE'"
	         " -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>&1;"
	         "openssl req $ec -keyout '%s' -out '%s' -subj '/CN=127.0.0.1' 2>&1;"
	         "openssl x509 -req -in '%s' -CA '%s' -CAkey '%s' -set_serial 2 -days 2"
	         " -extfile '%s' -out '%s' 2>&1",
	         cakey, s->ca, s->key, csr, csr, s->ca, cakey, ext, s->cert);
	cr_assert_eq(r.status, 0, "making the test certificates failed (is openssl installed?): %s",
	             r.out);
	t_run_free(&r);
	free(cakey);
	free(csr);
	free(ext);
}

/* An htpasswd file holding `user` with an apr1 hash of `password`. */
static void make_users(t_server *s, const char *user, const char *password)
{
	t_run r;

	cr_assert(!strchr(user, '\'') && !strchr(password, '\''), "quotes in a test password");
	s->users = t_path(s->dir, "htpasswd");
	r = t_sh("printf '%%s:%%s\\n' '%s' \"$(openssl passwd -apr1 '%s')\" > '%s'",
	         user, password, s->users);
	cr_assert_eq(r.status, 0, "openssl passwd: %s", r.err);
	t_run_free(&r);
}

static void make_env(t_server *s)
{
	int n = 0;

	s->env_buf[0] = xasprintf("GIT_TERMINAL_PROMPT=0");
	if (s->kind == T_SERVER_SSH)
		s->env_buf[1] = xasprintf(
			"GIT_SSH_COMMAND=ssh -F /dev/null -i '%s' -o IdentitiesOnly=yes"
			" -o BatchMode=yes -o UserKnownHostsFile='%s'"
			" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes",
			s->client_key, s->known_hosts);
	if (s->kind == T_SERVER_HTTPS)
		s->env_buf[1] = xasprintf("GIT_SSL_CAINFO=%s", s->ca);
	for (int i = 0; i < 3; i++)
		if (s->env_buf[i])
			s->env[n++] = s->env_buf[i];
	s->env[n] = NULL;
}

t_server *t_server_start(t_server_kind kind, const char *root)
{
	return t_server_start_opts(kind, root, NULL);
}

static t_server *server_new(t_server_kind kind, const char *root, const t_server_opts *opts)
{
	t_server *s = calloc(1, sizeof(*s));
	static int registered;
	struct stat st;

	cr_assert(s != NULL);
	cr_assert(root && root[0] == '/', "t_server_start: root must be absolute, got '%s'",
	          root ? root : "(null)");
	cr_assert(stat(root, &st) == 0 && S_ISDIR(st.st_mode),
	          "t_server_start: root '%s' is not a directory", root);
	s->kind = kind;
	s->root = strdup(root);
	s->dir = strdup(t_scratch());
	s->log = t_path(s->dir, "server.log");
	s->config = t_path(s->dir, is_web(s) ? "lighttpd.conf" : "sshd_config");
	s->owner = getpid();
	cr_assert(!opts || is_web(s) || (!opts->user && !opts->include),
	          "t_server_start_opts: options are for HTTP(S) servers");
	if (kind == T_SERVER_SSH)
		make_ssh_keys(s);
	if (kind == T_SERVER_HTTPS)
		make_tls(s);
	if (opts && opts->user)
		make_users(s, opts->user, opts->password ? opts->password : "");
	if (opts && opts->include)
		s->include = strdup(opts->include);
	make_env(s);

	if (registered != getpid()) {
		/* Once per process: a Criterion test runs in a forked child. */
		live = NULL;
		atexit(stop_all_at_exit);
		registered = getpid();
	}
	s->next = live;
	live = s;
	return s;
}

t_server *t_server_start_opts(t_server_kind kind, const char *root, const t_server_opts *opts)
{
	t_server *s = server_new(kind, root, opts);

	start_on(s, 0);
	return s;
}

char *t_server_start_error(t_server_kind kind, const char *root)
{
	return try_start_on(server_new(kind, root, NULL), 0);
}

void t_server_restart(t_server *s)
{
	kill_and_reap(s);
	start_on(s, s->port);
	cr_assert(s->pid > 0);
}

char *t_server_url(const t_server *s, const char *name)
{
	switch (s->kind) {
	case T_SERVER_DAEMON:
		return xasprintf("git://127.0.0.1:%d/%s", s->port, name);
	case T_SERVER_HTTP:
		return xasprintf("http://127.0.0.1:%d/git/%s", s->port, name);
	case T_SERVER_HTTPS:
		return xasprintf("https://127.0.0.1:%d/git/%s", s->port, name);
	case T_SERVER_SSH:
		return xasprintf("ssh://root@127.0.0.1:%d%s/%s", s->port, s->root, name);
	}
	return NULL;
}

const char *t_server_ssh_client_key(const t_server *s) { return s->client_key; }
const char *t_server_known_hosts(const t_server *s) { return s->known_hosts; }
const char *t_server_host_pubkey(const t_server *s) { return s->host_pubkey; }
const char *t_server_ca_file(const t_server *s) { return s->ca; }
const char *const *t_server_git_env(const t_server *s) { return s->env; }
pid_t t_server_pid(const t_server *s) { return s->pid; }
int t_server_port(const t_server *s) { return s->port; }
const char *t_server_log(const t_server *s) { return s->log; }

void t_server_install_known_hosts(const t_server *s)
{
	const char *home = getenv("HOME");
	char *dir, *file;
	FILE *f;

	cr_assert(s->kind == T_SERVER_SSH, "t_server_install_known_hosts: not an ssh server");
	cr_assert(home != NULL, "HOME is not set");
	dir = xasprintf("%s/.ssh", home);
	file = xasprintf("%s/known_hosts", dir);
	if (mkdir(dir, 0700) < 0)
		cr_assert(errno == EEXIST, "mkdir %s: %s", dir, strerror(errno));
	f = fopen(file, "a");
	cr_assert(f != NULL, "open %s: %s", file, strerror(errno));
	fprintf(f, "[127.0.0.1]:%d %s\n", s->port, s->host_pubkey);
	fclose(f);
	free(dir);
	free(file);
}

void t_server_stop(t_server *s)
{
	t_server **pp;

	if (!s)
		return;
	kill_and_reap(s);
	for (pp = &live; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	free(s->root);
	free(s->dir);
	free(s->log);
	free(s->config);
	free(s->client_key);
	free(s->known_hosts);
	free(s->host_pubkey);
	free(s->ca);
	free(s->cert);
	free(s->key);
	free(s->users);
	free(s->include);
	for (int i = 0; i < 3; i++)
		free(s->env_buf[i]);
	free(s);
}

char *t_server_new_repo(const t_server *s, const char *name)
{
	char *path = t_path(s->root, name), *ok;
	t_run r;

	r = t_sh("git init -q --bare '%s' && git -C '%s' config http.receivepack true",
	         path, path);
	cr_assert_eq(r.status, 0, "git init --bare %s failed: %s", path, r.err);
	t_run_free(&r);
	ok = t_path(path, "git-daemon-export-ok");
	t_write_file(ok, "", 0);
	free(ok);
	return path;
}

int t_server_credentials_cb(git_credential **out, const char *url,
                            const char *username_from_url,
                            unsigned int allowed_types, void *payload)
{
	const t_server *s = payload;
	char *pub;
	int err;

	(void)url;
	if (!s || s->kind != T_SERVER_SSH || !(allowed_types & GIT_CREDENTIAL_SSH_KEY))
		return GIT_PASSTHROUGH;
	pub = xasprintf("%s.pub", s->client_key);
	err = git_credential_ssh_key_new(out, username_from_url ? username_from_url : "root",
	                                 pub, s->client_key, NULL);
	free(pub);
	return err;
}

int t_server_certificate_check_cb(git_cert *cert, int valid, const char *host,
                                  void *payload)
{
	const t_server *s = payload;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	const char *b64;
	unsigned char blob[256];
	size_t blob_len = 0;

	(void)valid;
	(void)host;
	if (!s || s->kind != T_SERVER_SSH || cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;
	if (!(hk->type & GIT_CERT_SSH_RAW) || hk->raw_type != GIT_CERT_SSH_RAW_TYPE_KEY_ED25519)
		return GIT_ECERTIFICATE;
	b64 = strchr(s->host_pubkey, ' ') + 1;
	if (sodium_base642bin(blob, sizeof(blob), b64, strlen(b64), NULL, &blob_len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return GIT_ECERTIFICATE;
	if (hk->hostkey_len != blob_len || memcmp(hk->hostkey, blob, blob_len) != 0)
		return GIT_ECERTIFICATE;
	return 0;
}

void t_server_remote_callbacks(const t_server *s, git_remote_callbacks *cbs)
{
	cbs->credentials = t_server_credentials_cb;
	cbs->certificate_check = t_server_certificate_check_cb;
	cbs->payload = (void *)s;
}
