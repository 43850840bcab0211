#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"

static void **kept;
static size_t nkept, capkept;

void *t_keep(void *p)
{
	if (nkept == capkept) {
		capkept = capkept ? capkept * 2 : 256;
		kept = realloc(kept, capkept * sizeof(*kept));
		cr_assert(kept != NULL);
	}
	kept[nkept++] = p;
	return p;
}

char *t_fmt(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	cr_assert(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	return t_keep(s);
}

char *t_strndup(const char *s, size_t n)
{
	char *d = strndup(s, n);
	cr_assert(d != NULL);
	return t_keep(d);
}

/* Under -DGITCHAT_SANITIZE=ON: the helpers of testlib.c hand out memory
 * that tests never free; full stacks (libc has no frame pointers) so that
 * these suppressions match. They apply to the test programs only, not to
 * the git-chat they run. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:t_path\nleak:t_read_file\nleak:t_run_argv\nleak:t_keygen\n";
}

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

char *t_git(const char *store, const char *fmt, ...)
{
	char *args = NULL, *out;
	va_list ap;
	t_run r;

	va_start(ap, fmt);
	cr_assert(vasprintf(&args, fmt, ap) > 0);
	va_end(ap);
	r = t_sh("git --git-dir='%s' %s", store, args);
	cr_assert_eq(r.status, 0, "git %s failed (%d):\n%s", args, r.status, r.err);
	free(args);
	out = r.out;
	r.out = NULL;
	t_run_free(&r);
	chomp(out);
	return t_keep(out);
}

char *t_store(const char *dir, const char *name)
{
	char *path = t_path(dir, name);
	const char *args[] = { "init", path, NULL };
	t_run r = t_chat(NULL, NULL, args);

	cr_assert_eq(r.status, 0, "init %s: %s", path, r.err);
	t_run_free(&r);
	return t_keep(path);
}

char *t_send_env(const char *store, const char *key, const char *room, const char *text,
                 const char *const *extra_env)
{
	const char *argv[] = { GITCHAT_BIN, "send", "--key", key, "-r", room, "-m", text, NULL };
	const char *env[16];
	char *gitdir = NULL, *out;
	size_t n = 0;
	t_run r;

	cr_assert(asprintf(&gitdir, "GIT_DIR=%s", store) > 0);
	env[n++] = gitdir;
	for (; extra_env && *extra_env && n < 15; extra_env++)
		env[n++] = *extra_env;
	env[n] = NULL;
	r = t_run_argv(NULL, argv, NULL, 0, env);
	cr_assert_eq(r.status, 0, "send '%s' failed (%d): %s", text, r.status, r.err);
	chomp(r.out);
	cr_assert_eq(strlen(r.out), 40, "send printed '%s'", r.out);
	out = r.out;
	r.out = NULL;
	t_run_free(&r);
	free(gitdir);
	return t_keep(out);
}

char *t_sent(t_run r)
{
	char *id;

	cr_assert_eq(r.status, 0, "send failed (%d): %s", r.status, r.err);
	chomp(r.out);
	cr_assert_eq(strlen(r.out), 40, "send printed '%s'", r.out);
	id = r.out;
	r.out = NULL;
	t_run_free(&r);
	return t_keep(id);
}

char *t_send(const char *store, const char *key, const char *room, const char *text)
{
	return t_send_env(store, key, room, text, NULL);
}

char *t_two_rooms(const char *dir, char **key)
{
	char *store = t_store(dir, "store");
	*key = t_keygen(dir, "k", 1);
	free(t_send(store, *key, "general", "hello"));
	free(t_send(store, *key, "random", "elsewhere"));
	return store;
}

char *t_key_hex(const char *key)
{
	gitchat_key *k = NULL;
	char *hex = malloc(GITCHAT_PUBKEY_HEXSIZE);

	cr_assert(gitchat_init() == 0);
	cr_assert(gitchat_key_load(&k, key) == 0, "load %s: %s", key, gitchat_error_last()->message);
	gitchat_pubkey_hex(hex, gitchat_key_public(k));
	gitchat_key_free(k);
	return t_keep(hex);
}

char *t_ref(const char *room, const char *key)
{
	return t_fmt("refs/chat/%s/%s", room, t_key_hex(key));
}

typedef struct {
	char **lines;
	size_t n, cap;
} lines;

static void lines_add(lines *l, char *line)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->lines = realloc(l->lines, l->cap * sizeof(char *));
	}
	l->lines[l->n++] = line;
}

/* Every file under dir/rel: objects by name (their names are their
 * contents), everything else by name and contents. */
static void walk(lines *l, const char *dir, const char *rel)
{
	char *path = t_path(dir, rel);
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		char *data = t_read_file(path, NULL), *line = NULL;
		if (data) {
			if (strncmp(rel, "objects/", 8) == 0)
				cr_assert(asprintf(&line, "%s", rel) > 0);
			else
				cr_assert(asprintf(&line, "%s: %s", rel, data) > 0);
			lines_add(l, line);
		}
		free(data);
		free(path);
		return;
	}
	while ((e = readdir(d))) {
		char *sub = NULL;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		cr_assert(asprintf(&sub, "%s/%s", rel, e->d_name) > 0);
		walk(l, dir, sub);
		free(sub);
	}
	closedir(d);
	free(path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *t_snapshot(const char *store)
{
	const char *parts[] = { "objects", "refs", "packed-refs", "config", "HEAD" };
	lines l = { NULL, 0, 0 };
	size_t i, len = 1;
	char *out;

	for (i = 0; i < sizeof(parts) / sizeof(*parts); i++)
		walk(&l, store, parts[i]);
	cr_assert(l.n > 0, "'%s' is not a store", store);
	qsort(l.lines, l.n, sizeof(char *), cmp_str);
	for (i = 0; i < l.n; i++)
		len += strlen(l.lines[i]) + 1;
	out = calloc(1, len);
	for (i = 0; i < l.n; i++) {
		strcat(out, l.lines[i]);
		strcat(out, "\n");
		free(l.lines[i]);
	}
	free(l.lines);
	return t_keep(out);
}

/* Splits a raw commit at its gpgsig header: *sig_start..*sig_end is the
 * header with its continuation lines. */
static int find_gpgsig(const char *raw, const char **start, const char **end)
{
	const char *p = raw;

	while (*p && *p != '\n') {
		const char *eol = strchr(p, '\n'), *next;
		if (!eol)
			return 0;
		next = eol + 1;
		while (*next == ' ') {
			const char *e2 = strchr(next, '\n');
			if (!e2)
				return 0;
			next = e2 + 1;
		}
		if (strncmp(p, "gpgsig ", 7) == 0) {
			*start = p;
			*end = next;
			return 1;
		}
		p = next;
	}
	return 0;
}

static char *cat_commit(const char *store, const char *oid)
{
	t_run r = t_sh("git --git-dir='%s' cat-file commit %s", store, oid);
	char *out;
	cr_assert_eq(r.status, 0, "cat-file %s: %s", oid, r.err);
	out = r.out;
	r.out = NULL;
	t_run_free(&r);
	return t_keep(out);
}

char *t_commit_payload(const char *store, const char *oid)
{
	char *raw = cat_commit(store, oid), *out;
	const char *s, *e;

	if (!find_gpgsig(raw, &s, &e))
		return raw;
	out = malloc(strlen(raw) + 1);
	memcpy(out, raw, (size_t)(s - raw));
	strcpy(out + (s - raw), e);
	return t_keep(out);
}

char *t_commit_signature(const char *store, const char *oid)
{
	char *raw = cat_commit(store, oid), *out, *o;
	const char *s, *e, *p;

	if (!find_gpgsig(raw, &s, &e))
		return NULL;
	out = o = malloc((size_t)(e - s) + 1);
	for (p = s + 7; p < e; p++) {
		*o++ = *p;
		if (*p == '\n' && p + 1 < e && p[1] == ' ')
			p++;   /* drop the continuation space */
	}
	*o = '\0';
	return t_keep(out);
}

char *t_commit_with_signature_indent(const char *payload, const char *armored,
                                     const char *indent)
{
	const char *blank = strstr(payload, "\n\n");
	size_t hlen, n = strlen(armored);
	char *out, *o;

	cr_assert(blank != NULL, "no blank line in the commit text");
	hlen = (size_t)(blank - payload) + 1;
	out = o = malloc(strlen(payload) + (1 + strlen(indent)) * n + 16);
	memcpy(o, payload, hlen);
	o += hlen;
	o += sprintf(o, "gpgsig ");
	for (size_t i = 0; i < n; i++) {
		*o++ = armored[i];
		if (armored[i] == '\n' && i + 1 < n)
			o += sprintf(o, "%s", indent);
	}
	if (n && armored[n - 1] != '\n')
		*o++ = '\n';
	strcpy(o, payload + hlen);
	return t_keep(out);
}

char *t_commit_with_signature(const char *payload, const char *armored)
{
	return t_commit_with_signature_indent(payload, armored, " ");
}

char *t_rewrap_armor(const char *armored, size_t width, const char *eol)
{
	const char *body = strchr(armored, '\n'), *end = strstr(armored, "-----END");
	char *b64, *out, *o;
	size_t n = 0;

	cr_assert(body && end && body < end, "not an armor:\n%s", armored);
	b64 = malloc((size_t)(end - body) + 1);
	for (const char *p = body; p < end; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			b64[n++] = *p;
	out = o = malloc(strlen(armored) + (n / width + 2) * (strlen(eol) + 1) + 16);
	memcpy(o, armored, (size_t)(body - armored));
	o += body - armored;
	o += sprintf(o, "%s", eol);
	for (size_t i = 0; i < n; i += width) {
		size_t k = n - i < width ? n - i : width;
		memcpy(o, b64 + i, k);
		o += k;
		o += sprintf(o, "%s", eol);
	}
	strcpy(o, end);
	free(b64);
	return t_keep(out);
}

char *t_sign_ours(const char *key, const char *payload, size_t len)
{
	gitchat_key *k = NULL;
	gitchat_buf sig = GITCHAT_BUF_INIT;
	char *out;

	cr_assert(gitchat_init() == 0);
	cr_assert(gitchat_key_load(&k, key) == 0, "load %s: %s", key, gitchat_error_last()->message);
	cr_assert(gitchat_sshsig_sign(&sig, k, "git", payload, len) == 0);
	out = t_strndup(sig.ptr, sig.size);
	gitchat_buf_dispose(&sig);
	gitchat_key_free(k);
	return out;
}

char *t_sign_sshkeygen(const char *key, const char *ns, const char *payload, size_t len)
{
	static int n;
	char *file = NULL, *sigfile = NULL, *sig;
	t_run r;

	cr_assert(asprintf(&file, "%s.payload%d", key, ++n) > 0);
	cr_assert(asprintf(&sigfile, "%s.sig", file) > 0);
	t_write_file(file, payload, len);
	r = t_sh("ssh-keygen -q -Y sign -n '%s' -f '%s' '%s'", ns, key, file);
	cr_assert_eq(r.status, 0, "ssh-keygen -Y sign: %s", r.err);
	t_run_free(&r);
	sig = t_read_file(sigfile, NULL);
	cr_assert(sig != NULL);
	free(file);
	free(sigfile);
	return t_keep(sig);
}

char *t_write_commit(const char *store, const char *text)
{
	const char *argv[] = { "git", "hash-object", "-t", "commit", "-w", "--stdin", NULL };
	char *gitdir = NULL, *out;
	const char *env[2] = { NULL, NULL };
	t_run r;

	cr_assert(asprintf(&gitdir, "GIT_DIR=%s", store) > 0);
	env[0] = gitdir;
	r = t_run_argv(NULL, argv, text, strlen(text), env);
	cr_assert_eq(r.status, 0, "hash-object: %s\n%s", r.err, text);
	chomp(r.out);
	out = r.out;
	r.out = NULL;
	t_run_free(&r);
	free(gitdir);
	return t_keep(out);
}

char *t_write_signed(const char *store, const char *key, const char *payload)
{
	char *sig = t_sign_ours(key, payload, strlen(payload));
	char *text = t_commit_with_signature(payload, sig);
	return t_write_commit(store, text);
}

char *t_replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *out;

	cr_assert(at != NULL, "'%s' not found in:\n%s", from, s);
	out = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	memcpy(out, s, (size_t)(at - s));
	strcpy(out + (at - s), to);
	strcat(out, at + strlen(from));
	return t_keep(out);
}

char *t_fingerprint(const char *key)
{
	t_run r = t_sh("ssh-keygen -l -f '%s' | cut -d' ' -f2", key);
	char *fp = t_strndup(r.out, strcspn(r.out, "\n"));

	t_run_free(&r);
	return fp;
}

size_t t_count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

char *t_chat_pty(const char *store, const char *const *env, const char *const *args,
                 int *status)
{
	static const char *clean[] = { "GIT_PAGER", "PAGER", "LESS", "LV", "GIT_PAGER_IN_USE",
	                               "COLUMNS" };
	gitchat_buf out = GITCHAT_BUF_INIT;
	struct winsize ws = { 24, 100, 0, 0 };
	char buf[4096];
	int master, slave, st, exited = 0;
	pid_t pid = forkpty(&master, NULL, NULL, &ws);

	cr_assert(pid >= 0, "forkpty: %s", strerror(errno));
	if (pid == 0) {
		const char *argv[16] = { GITCHAT_BIN };
		size_t n = 1, i;
		for (; *args && n < 15; args++)
			argv[n++] = *args;
		argv[n] = NULL;
		setenv("GIT_DIR", store, 1);
		setenv("TERM", "dumb", 1);
		for (i = 0; i < sizeof(clean) / sizeof(*clean); i++)
			unsetenv(clean[i]);
		for (; env && *env; env++) {
			const char *eq = strchr(*env, '=');
			if (eq)
				setenv(t_strndup(*env, (size_t)(eq - *env)), eq + 1, 1);
			else
				unsetenv(*env);
		}
		execv(GITCHAT_BIN, (char *const *)argv);
		_exit(127);
	}
	/* Keep the terminal's other side open here: when the last process on
	 * it exits, Linux may answer the master's read with EIO while output is
	 * still in the tty's buffers, so "read until EIO" loses the end of the
	 * output now and then. Read until the child has exited and the terminal
	 * has stayed quiet for a moment instead. */
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	cr_assert(slave >= 0, "open %s: %s", ptsname(master), strerror(errno));
	for (;;) {
		struct pollfd pfd = { master, POLLIN, 0 };
		int ready = poll(&pfd, 1, exited ? 200 : 50);
		ssize_t r;

		if (ready < 0 && errno == EINTR)
			continue;
		cr_assert(ready >= 0, "poll: %s", strerror(errno));
		if (ready == 0) {
			if (exited)
				break;
			if (waitpid(pid, &st, WNOHANG) == pid)
				exited = 1;
			continue;
		}
		r = read(master, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		gitchat_buf_put(&out, buf, (size_t)r);
	}
	close(slave);
	close(master);
	if (!exited)
		cr_assert_eq(waitpid(pid, &st, 0), pid);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return out.ptr ? out.ptr : strdup("");
}

t_run t_chat_as(const char *store, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *cmd = NULL;
	t_run r;

	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	r = t_sh("GIT_DIR='%s' GIT_CHAT_KEY='%s' '%s' %s", store, key, GITCHAT_BIN, cmd);
	free(cmd);
	return r;
}

char *t_ok(t_run r, const char *what)
{
	char *out;
	cr_assert_eq(r.status, 0, "%s failed (%d):\n%s", what, r.status, r.err);
	out = t_keep(strdup(r.out));
	if (*out && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
	t_run_free(&r);
	return out;
}

t_trio t_trio_new(void)
{
	t_trio w;

	w.dir = t_keep(strdup(t_scratch()));
	t_set_identity("Alice", "alice@example.org");
	w.store = t_store(w.dir, "s.git");
	w.a = t_keygen(w.dir, "alice", 1);
	w.b = t_keygen(w.dir, "bob", 1);
	w.c = t_keygen(w.dir, "carol", 1);
	return w;
}
