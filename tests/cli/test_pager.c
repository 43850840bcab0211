/*
 * The pager of 'git chat log' (src/cli/pager.c), as git's: GIT_PAGER,
 * core.pager, PAGER, less with LESS=FRX and LV=-c; --no-pager and -P; none
 * when stdout is no terminal; a pager that cannot run; waiting for it.
 * log runs on a real pseudo-terminal (forkpty); the pagers are scripts
 * that record what they got.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"

typedef struct {
	const char *dir;
	char *store, *key;
} fixture;

static fixture setup(void)
{
	fixture f;

	f.dir = t_scratch();
	f.store = t_store(f.dir, "store");
	f.key = t_keygen(f.dir, "k", 1);
	free(t_send(f.store, f.key, "general", "paged text"));
	return f;
}

/* A pager script: its input, LESS and LV into NAME.out, then NAME.done. */
static char *fake_pager(const fixture *f, const char *name)
{
	char *path = t_path(f->dir, name);
	/* Off the terminal at once: the terminal's end then says git-chat ended. */
	char *script = t_fmt("#!/bin/sh\nexec >/dev/null 2>&1\n"
	                     "{ echo \"LESS=${LESS-unset} LV=${LV-unset} args=$*\"; cat; } > '%s.out'\n"
	                     "sleep 0.2\n"   /* so that a git-chat that does not wait is seen */
	                     "echo done > '%s.done'\n", path, path);
	t_write_file(path, script, strlen(script));
	cr_assert_eq(chmod(path, 0755), 0);
	return path;
}

typedef struct {
	int status;
	char *tty;   /* what reached the terminal */
} pty_run;

static pty_run on_pty(const fixture *f, const char *const *env, const char *const *args)
{
	pty_run r;

	r.tty = t_keep(t_chat_pty(f->store, env, args, &r.status));
	return r;
}

static char *read_or_empty(const char *path)
{
	return access(path, F_OK) == 0 ? t_read_file(path, NULL) : "";
}

Test(pager, git_pager_gets_the_output_and_less_settings)
{
	fixture f = setup();
	char *pager = fake_pager(&f, "p");
	const char *env[] = { t_fmt("GIT_PAGER=%s", pager), NULL };
	const char *args[] = { "log", NULL };
	pty_run r = on_pty(&f, env, args);
	char *got;

	cr_assert_eq(r.status, 0, "%s", r.tty);
	got = read_or_empty(t_fmt("%s.out", pager));
	t_assert_contains(got, "LESS=FRX LV=-c");
	t_assert_contains(got, "paged text");
	cr_assert_null(strstr(r.tty, "paged text"), "on the terminal past the pager: %s", r.tty);
	/* git-chat waited for the pager to end. */
	cr_assert_str_eq(read_or_empty(t_fmt("%s.done", pager)), "done\n");
}

Test(pager, the_user_settings_of_less_are_kept)
{
	fixture f = setup();
	char *pager = fake_pager(&f, "p");
	const char *env[] = { t_fmt("GIT_PAGER=%s", pager), "LESS=-S", "LV=x", NULL };
	const char *args[] = { "log", NULL };
	pty_run r = on_pty(&f, env, args);

	cr_assert_eq(r.status, 0, "%s", r.tty);
	t_assert_contains(read_or_empty(t_fmt("%s.out", pager)), "LESS=-S LV=x");
}

Test(pager, git_pager_then_core_pager_then_pager_then_less)
{
	fixture f = setup();
	char *a = fake_pager(&f, "a"), *b = fake_pager(&f, "b"), *c = fake_pager(&f, "c");
	char *bin = t_path(f.dir, "bin");
	const char *args[] = { "log", NULL };

	t_mkdir(bin);
	fake_pager(&f, "bin/less");
	free(t_git(f.store, "config core.pager '%s'", b));
	{
		const char *env[] = { t_fmt("GIT_PAGER=%s", a), t_fmt("PAGER=%s", c), NULL };
		cr_assert_eq(on_pty(&f, env, args).status, 0);
		t_assert_contains(read_or_empty(t_fmt("%s.out", a)), "paged text");
		cr_assert_str_eq(read_or_empty(t_fmt("%s.out", b)), "");
	}
	{
		const char *env[] = { t_fmt("PAGER=%s", c), NULL };
		cr_assert_eq(on_pty(&f, env, args).status, 0);
		t_assert_contains(read_or_empty(t_fmt("%s.out", b)), "paged text");
		cr_assert_str_eq(read_or_empty(t_fmt("%s.out", c)), "");
	}
	free(t_git(f.store, "config --unset core.pager"));
	{
		const char *env[] = { t_fmt("PAGER=%s", c), NULL };
		cr_assert_eq(on_pty(&f, env, args).status, 0);
		t_assert_contains(read_or_empty(t_fmt("%s.out", c)), "paged text");
	}
	{
		const char *env[] = { t_fmt("PATH=%s:%s", bin, getenv("PATH")), NULL };
		cr_assert_eq(on_pty(&f, env, args).status, 0);
		t_assert_contains(read_or_empty(t_fmt("%s/less.out", bin)), "LESS=FRX LV=-c");
		t_assert_contains(read_or_empty(t_fmt("%s/less.out", bin)), "paged text");
	}
}

Test(pager, no_pager_options_cat_and_pipes_page_nothing)
{
	fixture f = setup();
	char *pager = fake_pager(&f, "p");
	const char *env[] = { t_fmt("GIT_PAGER=%s", pager), NULL };
	const char *forms[][3] = { { "--no-pager", "log", NULL }, { "-P", "log", NULL } };
	char *out = t_fmt("%s.out", pager);

	for (size_t i = 0; i < 2; i++) {
		pty_run r = on_pty(&f, env, forms[i]);
		cr_assert_eq(r.status, 0, "%s", r.tty);
		t_assert_contains(r.tty, "paged text");
		cr_assert_str_eq(read_or_empty(out), "", "%s paged", forms[i][0]);
	}
	{
		const char *cat[] = { "GIT_PAGER=cat", NULL }, *args[] = { "log", NULL };
		pty_run r = on_pty(&f, cat, args);
		cr_assert_eq(r.status, 0, "%s", r.tty);
		t_assert_contains(r.tty, "paged text");
	}
	/* stdout a pipe: no pager, even when one is set. */
	setenv("GIT_PAGER", pager, 1);
	t_run r = t_chatv(f.store, "log");
	unsetenv("GIT_PAGER");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "paged text");
	cr_assert_str_eq(read_or_empty(out), "");
	t_run_free(&r);
	/* "--no-pager" is git's top-level option, not log's. */
	r = t_chatv(f.store, "log", "--no-pager");
	cr_assert_eq(r.status, 129);
	t_run_free(&r);
}

Test(pager, a_pager_that_cannot_run_leaves_the_output_on_the_terminal)
{
	fixture f = setup();
	const char *env[] = { "GIT_PAGER=/nonexistent/pager", NULL }, *args[] = { "log", NULL };
	pty_run r = on_pty(&f, env, args);

	cr_assert_eq(r.status, 0, "%s", r.tty);
	t_assert_contains(r.tty, "cannot run the pager '/nonexistent/pager'");
	t_assert_contains(r.tty, "paged text");
}

Test(pager, a_pager_that_quits_early_is_no_error)
{
	fixture f = setup();
	const char *env[] = { "GIT_PAGER=true", NULL }, *args[] = { "log", NULL };
	pty_run r;

	for (int i = 0; i < 50; i++)
		free(t_send(f.store, f.key, "general", "more text to fill the pipe"));
	r = on_pty(&f, env, args);
	cr_assert_eq(r.status, 0, "%s", r.tty);
	cr_assert_null(strstr(r.tty, "fatal"), "%s", r.tty);
}
