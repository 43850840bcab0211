#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testlib.h"
#include "tmux.h"

struct t_tmux {
	char socket[64];
	pid_t pid;
};

double t_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits between two looks at a screen or a file: the poll's period. */
static void tick(void)
{
	struct timespec ts = { 0, 40 * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

static t_run tmux(t_tmux *t, const char *const *args)
{
	const char *argv[48] = { "tmux", "-L", t->socket, "-f", "/dev/null" };
	size_t n = 5;

	for (; *args && n < 47; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return t_run_argv(NULL, argv, NULL, 0, NULL);
}

static void tmux_ok(t_tmux *t, const char *const *args)
{
	t_run r = tmux(t, args);
	cr_assert_eq(r.status, 0, "tmux %s: %s", args[0], r.err);
	t_run_free(&r);
}

t_tmux *t_tmux_start(const char *store, const char *const *env, const char *const *args,
                     int width, int height)
{
	static int seq;
	t_tmux *t = calloc(1, sizeof(*t));
	const char *argv[64];
	char w[16], h[16], *gitdir = NULL, *vars[16];
	size_t n = 0, nv = 0;
	t_run r;

	cr_assert(t);
	snprintf(t->socket, sizeof(t->socket), "gitchat-test-%d-%d", (int)getpid(), seq++);
	snprintf(w, sizeof(w), "%d", width);
	snprintf(h, sizeof(h), "%d", height);
	argv[n++] = "new-session";
	argv[n++] = "-d";
	argv[n++] = "-x";
	argv[n++] = w;
	argv[n++] = "-y";
	argv[n++] = h;
	if (asprintf(&gitdir, "GIT_DIR=%s", store) < 0)
		cr_assert_fail("out of memory");
	argv[n++] = "-e";
	argv[n++] = gitdir;
	for (; env && *env && nv < 15; env++) {
		argv[n++] = "-e";
		argv[n++] = vars[nv++] = strdup(*env);
	}
	argv[n++] = GITCHAT_BIN;
	for (; *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	tmux_ok(t, argv);
	free(gitdir);
	while (nv)
		free(vars[--nv]);
	{
		const char *keep[] = { "set-option", "-g", "remain-on-exit", "on", NULL };
		tmux_ok(t, keep);
	}
	{
		const char *pid[] = { "display-message", "-p", "#{pane_pid}", NULL };
		r = tmux(t, pid);
		t->pid = (pid_t)atoi(r.out);
		t_run_free(&r);
	}
	return t;
}

void t_tmux_type(t_tmux *t, const char *text)
{
	const char *args[] = { "send-keys", "-l", "--", text, NULL };
	tmux_ok(t, args);
}

void t_tmux_key(t_tmux *t, const char *key)
{
	const char *args[] = { "send-keys", key, NULL };
	tmux_ok(t, args);
}

char *t_tmux_screen(t_tmux *t)
{
	const char *args[] = { "capture-pane", "-p", NULL };
	t_run r = tmux(t, args);
	char *s = r.out;

	r.out = NULL;
	t_run_free(&r);
	return s ? s : strdup("");
}

static int wait_screen(t_tmux *t, const char *needle, int present, double timeout)
{
	double end = t_now() + timeout;

	for (;;) {
		char *s = t_tmux_screen(t);
		int has = strstr(s, needle) != NULL;
		free(s);
		if (has == present)
			return 1;
		if (t_now() > end)
			return 0;
		tick();
	}
}

int t_tmux_wait(t_tmux *t, const char *needle, double timeout)
{
	return wait_screen(t, needle, 1, timeout);
}

int t_tmux_wait_gone(t_tmux *t, const char *needle, double timeout)
{
	return wait_screen(t, needle, 0, timeout);
}

void t_tmux_resize(t_tmux *t, int width, int height)
{
	char w[16], h[16];
	const char *args[] = { "resize-window", "-x", w, "-y", h, NULL };

	snprintf(w, sizeof(w), "%d", width);
	snprintf(h, sizeof(h), "%d", height);
	tmux_ok(t, args);
}

pid_t t_tmux_pid(t_tmux *t)
{
	return t->pid;
}

int t_tmux_alive(t_tmux *t)
{
	const char *args[] = { "display-message", "-p", "#{pane_dead}", NULL };
	t_run r = tmux(t, args);
	int alive = r.status == 0 && r.out && r.out[0] == '0';

	t_run_free(&r);
	return alive;
}

int t_tmux_wait_exit(t_tmux *t, double timeout)
{
	double end = t_now() + timeout;

	while (t_tmux_alive(t)) {
		if (t_now() > end)
			return 0;
		tick();
	}
	return 1;
}

void t_tmux_stop(t_tmux *t)
{
	const char *args[] = { "kill-server", NULL };
	t_run r;

	if (!t)
		return;
	r = tmux(t, args);
	t_run_free(&r);
	free(t);
}

int t_file_wait(const char *path, const char *needle, double timeout)
{
	double end = t_now() + timeout;

	for (;;) {
		FILE *f = fopen(path, "r");
		if (f) {
			char buf[65536];
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = '\0';
			if (strstr(buf, needle))
				return 1;
		}
		if (t_now() > end)
			return 0;
		tick();
	}
}
