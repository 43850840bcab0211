#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testlib.h"

extern char **environ;

static char scratch_root[4096];
static int scratch_count;
static pid_t scratch_owner;

/* Only in the process that made it: a forked child's exit leaves it. */
static void cleanup(void)
{
	char cmd[8300];
	if (scratch_root[0] && scratch_owner == getpid() && !getenv("GITCHAT_KEEP_TMP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_root);
		if (system(cmd) != 0) { /* best effort */ }
	}
}

const char *t_scratch(void)
{
	static char path[8300];
	char home[8300];

	if (!scratch_root[0]) {
		const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(scratch_root, sizeof(scratch_root), "%s/gitchat-test-XXXXXX", tmp);
		cr_assert(mkdtemp(scratch_root) != NULL, "mkdtemp: %s", strerror(errno));
		scratch_owner = getpid();
		atexit(cleanup);
		snprintf(home, sizeof(home), "%s/home", scratch_root);
		mkdir(home, 0700);
		setenv("HOME", home, 1);
		snprintf(home, sizeof(home), "%s/home/.config", scratch_root);
		mkdir(home, 0700);
		setenv("XDG_CONFIG_HOME", home, 1);
		setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
		unsetenv("GIT_DIR");
		unsetenv("GIT_CHAT_KEY");
		/* No test signs through the user's agent by accident. */
		unsetenv("SSH_AUTH_SOCK");
		unsetenv("NO_COLOR");
		t_set_identity("Test User", "test@example.org");
	}
	snprintf(path, sizeof(path), "%s/t%d", scratch_root, ++scratch_count);
	cr_assert(mkdir(path, 0700) == 0, "mkdir %s: %s", path, strerror(errno));
	return path;
}

char *t_path(const char *dir, const char *name)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

void t_mkdir(const char *path)
{
	char cmd[8300];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	cr_assert(system(cmd) == 0);
}

void t_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert(f != NULL, "open %s: %s", path, strerror(errno));
	cr_assert(fwrite(data, 1, len, f) == len);
	fclose(f);
}

void t_flip_byte(const char *path, size_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(pread(fd, &c, 1, (off_t)off), 1, "no byte %zu in %s", off, path);
	c ^= 0x40;
	cr_assert_eq(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

char *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void drain(int *fds, char **bufs, size_t *lens, const char *input, size_t input_len,
                  int in_fd)
{
	size_t caps[2] = { 0, 0 }, written = 0;
	struct pollfd p[3];

	for (int i = 0; i < 2; i++) {
		caps[i] = 4096;
		bufs[i] = malloc(caps[i]);
		lens[i] = 0;
	}
	for (;;) {
		int n = 0, idx[3];
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0) { p[n].fd = fds[i]; p[n].events = POLLIN; idx[n++] = i; }
		if (in_fd >= 0) { p[n].fd = in_fd; p[n].events = POLLOUT; idx[n++] = 2; }
		if (!n)
			break;
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR) continue;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (!p[k].revents)
				continue;
			if (idx[k] == 2) {
				ssize_t w = write(in_fd, input + written, input_len - written);
				if (w > 0) written += (size_t)w;
				if (w < 0 || written == input_len) { close(in_fd); in_fd = -1; }
				continue;
			}
			int i = idx[k];
			if (lens[i] + 4096 + 1 > caps[i]) {
				caps[i] *= 2;
				bufs[i] = realloc(bufs[i], caps[i]);
			}
			ssize_t r = read(fds[i], bufs[i] + lens[i], caps[i] - lens[i] - 1);
			if (r <= 0) { close(fds[i]); fds[i] = -1; }
			else lens[i] += (size_t)r;
		}
	}
	for (int i = 0; i < 2; i++)
		bufs[i][lens[i]] = '\0';
}

t_run t_run_argv(const char *cwd, const char *const *argv, const char *input,
                 size_t input_len, const char *const *env)
{
	int out[2], err[2], in[2];
	t_run r = { 0 };
	pid_t pid;
	int status, fds[2];
	char *bufs[2];
	size_t lens[2];

	cr_assert(pipe(out) == 0 && pipe(err) == 0 && pipe(in) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err[0]); close(err[1]);
		if (cwd && chdir(cwd) < 0)
			_exit(127);
		for (; env && *env; env++)
			putenv((char *)*env);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]); close(out[1]); close(err[1]);
	signal(SIGPIPE, SIG_IGN);
	fds[0] = out[0];
	fds[1] = err[0];
	if (!input || !input_len) {
		close(in[1]);
		in[1] = -1;
	}
	drain(fds, bufs, lens, input, input_len, in[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r.out = bufs[0];
	r.out_len = lens[0];
	r.err = bufs[1];
	return r;
}

t_run t_sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	t_run r;
	const char *argv[4] = { "sh", "-c", NULL, NULL };

	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	argv[2] = cmd;
	r = t_run_argv(NULL, argv, NULL, 0, NULL);
	free(cmd);
	return r;
}

void t_run_free(t_run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

t_run t_chat(const char *store, const char *input, const char *const *args)
{
	const char *argv[64];
	char *gitdir = NULL;
	const char *env[2] = { NULL, NULL };
	size_t i = 0;
	t_run r;

	argv[i++] = GITCHAT_BIN;
	for (; args && *args && i < 63; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	if (store) {
		cr_assert(asprintf(&gitdir, "GIT_DIR=%s", store) > 0);
		env[0] = gitdir;
	}
	r = t_run_argv(NULL, argv, input, input ? strlen(input) : 0, env);
	free(gitdir);
	return r;
}

void t_set_identity(const char *name, const char *email)
{
	setenv("GIT_AUTHOR_NAME", name, 1);
	setenv("GIT_AUTHOR_EMAIL", email, 1);
	setenv("GIT_COMMITTER_NAME", name, 1);
	setenv("GIT_COMMITTER_EMAIL", email, 1);
}

char *t_keygen(const char *dir, const char *name, int ours)
{
	char *path = t_path(dir, name);
	t_run r;

	if (ours) {
		const char *args[] = { "keygen", "-f", path, NULL };
		r = t_chat(NULL, NULL, args);
	} else {
		r = t_sh("ssh-keygen -q -t ed25519 -N '' -C '%s@test' -f '%s'", name, path);
	}
	cr_assert_eq(r.status, 0, "keygen failed: %s", r.err);
	t_run_free(&r);
	return path;
}

size_t t_count_lines(const char *s)
{
	size_t n = 0;
	for (; s && *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

int t_contains(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}

void t_lib_init(void)
{
	static int done;

	if (!done) {
		cr_assert_eq(gitchat_init(), 0, "gitchat_init failed");
		done = 1;
	}
}
