/*
 * What tells a user how to run git-chat: the man page (its command list is
 * main.c's dispatch table; it renders and installs), --help, the synopsis
 * on a usage error, and the closest command to a mistyped one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <criterion/criterion.h>

#include "testchat.h"


static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* The dispatch table of src/cli/main.c: { "name", cmd_x, "summary" }. */
static size_t dispatch_table(char names[][32], char summaries[][128], size_t max)
{
	char *src = t_read_file(GITCHAT_SOURCE_DIR "/src/cli/main.c", NULL), *p = src;
	size_t n = 0;
	char name[32], fn[64], summary[128];

	while ((p = strstr(p, "{ \"")) && n < max) {
		if (sscanf(p, "{ \"%31[^\"]\", %63[a-z_], \"%127[^\"]\"", name, fn, summary) == 3 &&
		    strncmp(summary, "(hidden)", 8) != 0) {
			strcpy(names[n], name);
			strcpy(summaries[n], summary);
			n++;
		}
		p += 3;
	}
	free(src);
	return n;
}

/* roff to plain: "\-" is "-". */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == '-')
			s++;
		*o++ = *s;
	}
	*o = '\0';
}

Test(help, man_page_lists_the_dispatch_table)
{
	char names[64][32], summaries[64][128];
	size_t n = dispatch_table(names, summaries, 64), k = 0;
	char *man = t_read_file(GITCHAT_SOURCE_DIR "/docs/git-chat.1", NULL);
	char *sec = strstr(man, "\n.SH COMMANDS\n"), *end, *line;

	cr_assert_geq(n, 10, "read only %zu commands from main.c", n);
	cr_assert(sec, "no COMMANDS section");
	end = strstr(sec + 1, "\n.SH ");
	cr_assert(end);
	*end = '\0';
	/* .TP / .B name / summary, in the table's order */
	for (line = strtok(sec, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, ".B ", 3) != 0)
			continue;
		char name[64], *summary = strtok(NULL, "\n");
		snprintf(name, sizeof(name), "%s", line + 3);
		unescape(name);
		cr_assert(summary, "no summary after %s", name);
		unescape(summary);
		cr_assert_lt(k, n, "the man page lists '%s', which main.c does not have", name);
		cr_assert_str_eq(name, names[k], "man page: '%s', main.c: '%s'", name, names[k]);
		cr_assert_str_eq(summary, summaries[k], "'%s': man page and main.c differ", name);
		k++;
	}
	cr_assert_eq(k, n, "the man page lists %zu commands, main.c %zu", k, n);

	/* `git chat --help` (and -h, help) lists them too, on stdout. */
	const char *forms[][2] = { { "--help", NULL }, { "-h", NULL }, { "help", NULL } };
	for (size_t i = 0; i < 3; i++) {
		t_run r = t_chat(NULL, NULL, forms[i]);
		cr_assert_eq(r.status, 0);
		cr_assert_str_eq(r.err, "");
		for (k = 0; k < n; k++) {
			t_assert_contains(r.out, names[k]);
			t_assert_contains(r.out, summaries[k]);
		}
		t_run_free(&r);
	}
}

Test(help, man_page_renders_and_installs)
{
	const char *dir = t_scratch();
	t_run r = t_sh("command -v man");

	/* Not a skip: a page nobody renders is a page nobody checked. */
	cr_assert_eq(r.status, 0, "man is missing: install man-db (.ci/install-deps does)");
	t_run_free(&r);
	r = t_sh("MANWIDTH=80 man --warnings -l '%s/docs/git-chat.1'", GITCHAT_SOURCE_DIR);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "", "man warns: %s", r.err);
	t_assert_contains(r.out, "git-chat - offline-first");
	t_assert_contains(r.out, "EXIT STATUS");
	t_run_free(&r);
	/* cmake --install puts it where `man git-chat` (what git runs for
	 * `git chat --help`) finds it. */
	r = t_sh("cmake --install '%s' --prefix '%s/inst' >/dev/null", GITCHAT_BUILD_DIR, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert(exists(t_path(dir, "inst/share/man/man1/git-chat.1")), "not installed");
	r = t_sh("cd '%s' && MANPATH='%s/inst/share/man' PATH='%s/inst/bin':\"$PATH\" "
	         "MANPAGER=cat MANWIDTH=80 git chat --help", dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "GIT-CHAT(1)");
	t_run_free(&r);
}

/* "error: ..." and the synopsis: the lines of --help before the first blank. */
Test(help, usage_errors_show_the_synopsis_only)
{
	char names[64][32], summaries[64][128];
	size_t n = dispatch_table(names, summaries, 64);
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");

	for (size_t i = 0; i < n; i++) {
		t_run h = t_chatv(store, names[i], "--help"), r;
		char *blank = strstr(h.out, "\n\n"), *want;

		cr_assert_eq(h.status, 0, "%s --help: %d", names[i], h.status);
		cr_assert(blank, "%s --help has no synopsis: %s", names[i], h.out);
		want = t_fmt("error: unknown option '--no-such-option'\n%.*s\n",
		             (int)(blank - h.out), h.out);
		r = t_chatv(store, names[i], "--no-such-option");
		cr_assert_eq(r.status, 129, "%s: %d", names[i], r.status);
		cr_assert_str_eq(r.err, want, "%s", names[i]);
		cr_assert_str_eq(r.out, "");
		cr_assert_gt(t_count_lines(h.out), t_count_lines(r.err), "%s", names[i]);
		t_run_free(&r);
		t_run_free(&h);
	}
	t_run r = t_chatv(store, "log", "-n", "many");
	cr_assert_eq(r.status, 129);
	cr_assert_eq(strncmp(r.err, "error: -n needs a count, not 'many'\nusage: git chat log ", 56),
	             0, "%s", r.err);
	cr_assert_eq(strstr(r.err, "Shows the conversation"), NULL, "%s", r.err);
	t_run_free(&r);

	r = t_chatv(store, "frobnicate");
	cr_assert_eq(r.status, 129);
	cr_assert_str_eq(r.err, "error: 'frobnicate' is not a git-chat command; 'git chat -h' "
	                        "lists them\nusage: git chat <command> [<options>]\n");
	t_run_free(&r);
}

Test(help, unknown_command_suggests_the_closest)
{
	struct { const char *typed, *suggest; } cases[] = {
		{ "snd", "send" }, { "lgo", "log" }, { "roms", "rooms" }, { "veriyf", "verify" },
		{ "allowed-signer", "allowed-signers" }, { "frobnicate", NULL }, { "xyzzy", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		t_run r = t_chatv(NULL, cases[i].typed);
		char *want = t_fmt("error: '%s' is not a git-chat command; 'git chat -h' lists them\n"
		                   "%s%s%s"
		                   "usage: git chat <command> [<options>]\n", cases[i].typed,
		                   cases[i].suggest ? "did you mean '" : "",
		                   cases[i].suggest ? cases[i].suggest : "",
		                   cases[i].suggest ? "'?\n" : "");
		cr_assert_eq(r.status, 129, "%s: %d", cases[i].typed, r.status);
		cr_assert_str_eq(r.out, "");
		cr_assert_str_eq(r.err, want);
		t_run_free(&r);
	}
	/* What it points to does list them. */
	t_run r = t_chatv(NULL, "-h");
	t_assert_contains(r.out, "allowed-signers");
	t_run_free(&r);
}
