/*
 * What a new user meets: unknown rooms, usage errors, --help and the man
 * page, keygen's messages, sync's and rooms' counts, the demo's progress.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"


static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* A store with rooms general and random, and the key that wrote them. */
static char *two_rooms(const char *dir, char **key)
{
	char *store = t_store(dir, "store");
	*key = t_keygen(dir, "k", 1);
	free(t_send(store, *key, "general", "hello"));
	free(t_send(store, *key, "random", "elsewhere"));
	return store;
}

/* The rooms named in the error, and what to do next; nothing on stdout. */
static void assert_unknown_room(t_run r, const char *what)
{
	cr_assert_eq(r.status, 128, "%s: exit %d\n%s", what, r.status, r.err);
	cr_assert_str_eq(r.out, "", "%s printed: %s", what, r.out);
	t_assert_contains(r.err, "fatal: no room 'genral'");
	t_assert_contains(r.err, "general, random");
	t_assert_contains(r.err, "'git chat rooms'");
	cr_assert_eq(t_count_lines(r.err), 1, "%s", r.err);
}

Test(usage, unknown_room_is_an_error_for_readers)
{
	const char *dir = t_scratch();
	char *key, *store = two_rooms(dir, &key), *snap = t_snapshot(store);
	char *page = t_path(dir, "page.html");
	t_run r;

	assert_unknown_room(r = t_chatv(store, "log", "-r", "genral"), "log");
	t_run_free(&r);
	assert_unknown_room(r = t_chatv(store, "log", "-r", "genral", "--format=json"), "log json");
	t_run_free(&r);
	assert_unknown_room(r = t_chatv(store, "verify", "-r", "genral"), "verify");
	t_run_free(&r);
	assert_unknown_room(r = t_chatv(store, "export", "-r", "genral", "-o", page), "export");
	t_run_free(&r);
	/* No page, not even a temporary one, and the store as it was. */
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		cr_assert(d);
		while ((e = readdir(d)))
			cr_assert(strncmp(e->d_name, "page.html", 9) != 0, "left behind: %s", e->d_name);
		closedir(d);
	}
	cr_assert_str_eq(t_snapshot(store), snap);

	/* The rooms that exist still read; a new room is created by send. */
	r = t_chatv(store, "log", "-r", "random");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "elsewhere");
	t_run_free(&r);
	r = t_chatv(store, "verify", "-r", "general");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(store, "send", "--key", key, "-r", "genral", "-m", "a new room");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(store, "log", "-r", "genral");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "a new room");
	t_run_free(&r);
}

Test(usage, unknown_room_in_an_empty_store_says_there_are_none)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	const char *cmds[][4] = { { "log", "-r", "general", NULL },
	                          { "verify", "-r", "general", NULL } };

	for (size_t i = 0; i < 2; i++) {
		t_run r = t_chat(store, NULL, cmds[i]);
		cr_assert_eq(r.status, 128, "%s: %d %s", cmds[i][0], r.status, r.err);
		t_assert_contains(r.err, "no room 'general' in this store");
		t_assert_contains(r.err, "no rooms yet");
		t_assert_contains(r.err, "'git chat rooms'");
		t_run_free(&r);
	}
	/* verify of the whole (empty) store is not about a room: still fine. */
	t_run r = t_chatv(store, "verify");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

Test(usage, follow_waits_for_a_new_room)
{
	const char *dir = t_scratch();
	char *key, *store = two_rooms(dir, &key);
	/* follow a room nobody wrote in, and write in it a moment later */
	t_run r = t_sh("(sleep 1.5; GIT_DIR='%s' '%s' send --key '%s' -r genral -m 'first words' "
	               ">/dev/null) & GIT_DIR='%s' timeout --preserve-status -s INT 5 '%s' follow "
	               "--interval 0.2 --color=never -r genral; s=$?; wait; exit $s",
	               store, GITCHAT_BIN, key, store, GITCHAT_BIN);

	cr_assert_eq(r.status, 0, "follow ended with %d: %s", r.status, r.err);
	t_assert_contains(r.out, "first words");
	t_assert_contains(r.err, "room 'genral' has no messages yet; waiting");
	t_assert_contains(r.err, "general, random");
	{
		/* Once, not at every look (a sanitizer build may add its own lines). */
		const char *once = strstr(r.err, "has no messages yet");
		cr_assert_eq(strstr(once + 1, "has no messages yet"), NULL, "%s", r.err);
	}
	t_run_free(&r);
}

Test(usage, sync_room_only_on_the_remote_is_fine_nowhere_is_noted)
{
	const char *dir = t_scratch();
	char *key, *a = two_rooms(dir, &key), *b = t_store(dir, "b");
	t_run r;

	r = t_chatv(b, "sync", "-r", "random", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strstr(r.err, "warning"), NULL, "%s", r.err);
	t_assert_contains(r.out, "received 1 new message (random: 1)");
	t_run_free(&r);

	r = t_chatv(b, "sync", "-r", "genral", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "warning: room 'genral' is neither in this store nor on the "
	                         "remotes");
	t_assert_contains(r.err, "'git chat rooms'");
	t_run_free(&r);

	r = t_chatv(b, "sync", "-r", "genral", "--no-fetch", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "room 'genral' is not in this store, so nothing was pushed");
	t_run_free(&r);
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

Test(usage, man_page_lists_the_dispatch_table)
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

Test(usage, man_page_renders_and_installs)
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
Test(usage, usage_errors_show_the_synopsis_only)
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

Test(usage, keygen_names_the_missing_directory)
{
	const char *dir = t_scratch();
	char *path = t_path(dir, "missing/key");
	t_run r = t_chatv(NULL, "keygen", "-f", path);

	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, t_fmt("'%s'", path));
	t_assert_contains(r.err, t_fmt("the directory '%s/missing' does not exist", dir));
	t_assert_contains(r.err, "create it first");
	cr_assert_eq(strstr(r.err, ".tmp-"), NULL, "names a temporary file: %s", r.err);
	cr_assert(!exists(t_path(dir, "missing")));
	t_run_free(&r);

	/* A file where the directory should be. */
	t_write_file(t_path(dir, "plain"), "x", 1);
	r = t_chatv(NULL, "keygen", "-f", t_path(dir, "plain/key"));
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "is not a directory");
	t_run_free(&r);
}

Test(usage, keygen_again_names_the_existing_private_key)
{
	const char *dir = t_scratch();
	char *path = t_path(dir, "key"), *before, *after;
	t_run r = t_chatv(NULL, "keygen", "-f", path);

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	before = t_read_file(path, NULL);
	r = t_chatv(NULL, "keygen", "-f", path);
	cr_assert_eq(r.status, 128);
	cr_assert_str_eq(r.err, t_fmt("fatal: '%s' already exists; use --force to replace it "
	                              "(the old key is lost)\n", path));
	t_run_free(&r);
	after = t_read_file(path, NULL);
	cr_assert_str_eq(before, after, "the key changed");

	/* Only the public half left: that is the file named. */
	unlink(path);
	r = t_chatv(NULL, "keygen", "-f", path);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, t_fmt("'%s.pub' already exists", path));
	t_assert_contains(r.err, "--force");
	t_run_free(&r);

	r = t_chatv(NULL, "keygen", "-f", path, "--force");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

Test(usage, sync_and_rooms_count_alike)
{
	const char *dir = t_scratch();
	char *a = t_store(dir, "a"), *b = t_store(dir, "b"), *key = t_keygen(dir, "k", 1);
	char *first = t_send(a, key, "general", "one");
	t_run r;

	free(t_send(a, key, "general", "two"));
	r = t_chatv(a, "edit", "--key", key, first, "one, edited");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(a, "react", "--key", key, first, "+1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);

	r = t_chatv(b, "sync", "-v", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "received 4 new commits (general: 4): 2 messages, 1 edit, "
	                         "1 reaction");
	t_assert_contains(r.err, "4 new commits in room 'general': 2 messages, 1 edit, 1 reaction");
	t_run_free(&r);

	r = t_chatv(b, "rooms", "--format=json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "\"messages\":2,");
	t_run_free(&r);

	/* Messages only: said as before. */
	free(t_send(a, key, "general", "three"));
	r = t_chatv(b, "sync", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "received 1 new message (general: 1)\n");
	t_run_free(&r);
	r = t_chatv(b, "rooms");
	t_assert_contains(r.out, "3 messages");
	t_run_free(&r);
}

Test(usage, demo_tells_each_step, .timeout = 300)
{
	/* With DEMO_GIT_CHAT the demo uses this build (no install, no build). */
	t_run r = t_sh("DEMO_GIT_CHAT='%s' sh '%s/contrib/demo.sh' </dev/null", GITCHAT_BIN,
	               GITCHAT_SOURCE_DIR);

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "using " GITCHAT_BIN);
	t_assert_contains(r.err, "Alice sends");
	t_assert_contains(r.err, "Bob syncs");
	t_assert_contains(r.out, "Great, thanks!");
	t_run_free(&r);
}
