/*
 * git-style command lines (src/cli/options.c): options after the
 * operands, "--", clusters and --opt=value, every argument checked before
 * a remote or the store is touched; and the man page's OPTIONS against the
 * tables (what each command's --help shows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

typedef struct {
	const char *dir;
	char *store, *remote, *key, *id;
} fixture;

/* A store with a message in general and one in random, and a remote
 * "origin" (a path: real git, no server) that has none of them. */
static fixture setup(void)
{
	fixture f;
	t_run r;

	f.dir = t_scratch();
	f.store = t_store(f.dir, "store");
	f.remote = t_store(f.dir, "remote");
	f.key = t_keygen(f.dir, "k", 1);
	f.id = t_send(f.store, f.key, "general", "hello");
	free(t_send(f.store, f.key, "random", "elsewhere"));
	r = t_chatv(f.store, "remote", "add", "origin", f.remote);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	return f;
}

static void assert_unchanged(const char *what, const char *before, const char *store)
{
	cr_assert_str_eq(t_snapshot(store), before, "%s changed the store '%s'", what, store);
}

Test(options, sync_takes_options_after_the_remote)
{
	fixture f = setup();
	char *before = t_snapshot(f.remote);
	t_run r = t_chatv(f.store, "sync", "origin", "--no-push");

	/* Once: pushed the draft, then "no remote named '--no-push'". */
	cr_assert_eq(r.status, 0, "%s", r.err);
	assert_unchanged("sync origin --no-push", before, f.remote);
	t_run_free(&r);

	r = t_chatv(f.store, "sync", "origin", "-r", "general");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert(strstr(t_git(f.remote, "for-each-ref --format='%%(refname)' refs/chat/"),
	                 "refs/chat/general/"));
	cr_assert_null(strstr(t_git(f.remote, "for-each-ref --format='%%(refname)' refs/chat/"),
	                      "refs/chat/random/"), "-r general after the remote pushed random");
}

Test(options, a_bad_argument_touches_neither_remote_nor_store)
{
	fixture f = setup();
	char *remote = t_snapshot(f.remote), *store = t_snapshot(f.store);
	const char *const cases[][6] = {
		{ "sync", "origin", "--bogus", NULL },
		{ "sync", "origin", "-r", "Not A Room", NULL },
		{ "sync", "origin", "typo", NULL },
		{ "sync", "origin", "-r", NULL },
		{ "send", "-m", "hi", "--bogus", NULL },
		{ "send", "-r", "general", "-m", "hi", "stray" },
		{ "edit", f.id, "-m", "new", "--room=café", NULL },
		{ "react", f.id, "+1", "-r", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		t_run r = t_chat(f.store, NULL, cases[i]);
		cr_assert(r.status == 129 || r.status == 128, "%s %s: exit %d\n%s", cases[i][0],
		          cases[i][1], r.status, r.err);
		cr_assert_str_eq(r.out, "", "%s printed %s", cases[i][0], r.out);
		assert_unchanged(cases[i][0], remote, f.remote);
		assert_unchanged(cases[i][0], store, f.store);
		t_run_free(&r);
	}
	/* The misspelt remote is named, with the ones there are. */
	t_run r = t_chatv(f.store, "sync", "origin", "typo");
	t_assert_contains(r.err, "no remote named 'typo'; nothing was synced");
	t_run_free(&r);
}

Test(options, usage_errors_exit_129_with_the_synopsis)
{
	fixture f = setup();
	const char *const cases[][5] = {
		{ "log", "--no-such", NULL }, { "log", "-n", NULL }, { "log", "--unread=yes", NULL },
		{ "log", "--ma", "3", NULL },   /* --max-count or --mark-read? */
		{ "sync", "-qv", NULL },
	};
	const char *want[] = { "error: unknown option '--no-such'\nusage: git chat log ",
	                       "error: option '-n' needs a value\nusage: git chat log ",
	                       "error: option '--unread' takes no value\nusage: git chat log ",
	                       "error: ambiguous option '--ma'",
	                       "error: -q and -v cannot be used together\nusage: git chat sync " };

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		t_run r = t_chat(f.store, NULL, cases[i]);
		cr_assert_eq(r.status, 129, "%s: %d\n%s", cases[i][1], r.status, r.err);
		cr_assert_eq(strncmp(r.err, want[i], strlen(want[i])), 0, "%s", r.err);
		cr_assert_null(strstr(r.err, "\n\n"), "more than the synopsis: %s", r.err);
		t_run_free(&r);
	}
}

Test(options, clusters_joined_values_and_prefixes)
{
	fixture f = setup();
	t_run r;

	free(t_send(f.store, f.key, "general", "HELLO again"));
	/* -iF clustered, -n joined, --grep=, --format= and --room by prefix */
	r = t_chatv(f.store, "log", "-iFn1", "--grep=hello", "--form=json", "--ro", "general");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 1, "%s", r.out);
	t_assert_contains(r.out, "HELLO again");
	t_run_free(&r);
	r = t_chatv(f.store, "log", "--format", "json", "-rgeneral", "--after=@0", "--before=@1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);
}

Test(options, double_dash_ends_the_options)
{
	fixture f = setup();
	t_run r = t_chatv(f.store, "edit", "--key", f.key, f.id, "--", "-1 is the answer");

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(f.store, "log", "-r", "general", "--format=json");
	t_assert_contains(r.out, "-1 is the answer");
	t_run_free(&r);
	/* After "--" an option is an argument: here one too many. */
	r = t_chatv(f.store, "redact", "--", f.id, "--key");
	cr_assert_eq(r.status, 129, "%s", r.err);
	t_assert_contains(r.err, "unexpected argument '--key'");
	t_run_free(&r);
}

Test(options, edit_and_react_take_options_after_the_id)
{
	fixture f = setup();
	t_run r = t_chatv(f.store, "edit", f.id, "-m", "changed", "--key", f.key);

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(f.store, "react", f.id, "+1", "-r", "general", "--key", f.key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(f.store, "log", "-r", "general");
	t_assert_contains(r.out, "changed");
	t_assert_contains(r.out, "+1");
	t_run_free(&r);
	/* The room is checked wherever -r stands. */
	r = t_chatv(f.store, "react", f.id, "+1", "-r", "random", "--key", f.key);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "random");
	t_run_free(&r);
}

/* "-r, --room ROOM" lines of a --help: the options, in order, one a line. */
static char *help_options(const char *cmd)
{
	t_run r = t_chatv(NULL, cmd, "--help");
	char *out = calloc(1, strlen(r.out) + 1), *line, *save = NULL;

	cr_assert_eq(r.status, 0);
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line + strspn(line, " "), *end;
		if (strncmp(line, "    ", 4) || *p != '-' || (p - line) > 8)
			continue;
		end = strstr(p, "  ");
		strncat(out, p, end ? (size_t)(end - p) : strlen(p));
		strcat(out, "\n");
	}
	t_run_free(&r);
	return t_keep(out);
}

/* The same from the man page's ".SS git chat CMD" section: ".B -r, --room \fIROOM\fR". */
static char *man_options(const char *man, const char *cmd)
{
	char *head = t_fmt(".SS git chat %s\n", strchr(cmd, '-') ? t_replace(cmd, "-", "\\-") : cmd);
	const char *p = strstr(man, head), *end;
	char *out;

	if (!p)
		return t_keep(calloc(1, 1));
	p += strlen(head);
	end = strstr(p, "\n.S");
	out = t_keep(calloc(1, (size_t)(end - p) + 1));
	while (p < end) {
		const char *nl = strchr(p, '\n');
		if (!strncmp(p, ".TP\n.B ", 7)) {
			const char *b = p + 7, *e = strchr(b, '\n');
			char *l = t_strndup(b, (size_t)(e - b)), *o = l;
			/* roff to plain: "\-" is "-"; "\fI", "\fR" only change the font */
			for (const char *q = l; *q; q++) {
				if (q[0] == '\\' && q[1] == '-')
					q++;
				else if (q[0] == '\\' && q[1] == 'f' && q[2]) {
					q += 2;
					continue;
				}
				*o++ = *q;
			}
			*o = '\0';
			strcat(out, l);
			strcat(out, "\n");
		}
		p = nl + 1;
	}
	return out;
}

Test(options, the_man_page_lists_every_option_of_the_tables)
{
	char *man = t_read_file(GITCHAT_SOURCE_DIR "/docs/git-chat.1", NULL);
	t_run r = t_chatv(NULL, "--help");
	char *line, *save = NULL, *cmds = strstr(r.out, "commands:\n");
	size_t n = 0;

	cr_assert(cmds);
	for (line = strtok_r(cmds + 10, "\n", &save); line && !strncmp(line, "   ", 3) && line[3] != ' ';
	     line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		cr_assert_eq(sscanf(line, "%31s", name), 1);
		char *help = help_options(name), *inman = man_options(man, name);
		cr_assert_str_eq(inman, help, "'%s': the man page's options differ from --help "
		                 "(the table):\nman:\n%s\ntable:\n%s", name, inman, help);
		n++;
	}
	cr_assert_geq(n, 16);
	/* log's --after and --before work: the table shows them. */
	t_assert_contains(help_options("log"), "--after DATE\n");
	t_assert_contains(help_options("log"), "--before DATE\n");
	t_assert_contains(man, ".BR \\-P \", \" \\-\\-no\\-pager");
	t_run_free(&r);
}
