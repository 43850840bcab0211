/*
 * `git chat save ID [-o DIR]` (issue 13, test 3; docs/attachments.md):
 * files land inside DIR under a safe name, never over an existing file or
 * through a symbolic link, the paths written on stdout and every renaming
 * said on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"

/* A message with the files `names` (created in DIR/in with their names as
 * their content). */
static char *send_files(const char *dir, const char *store, const char *key,
                        const char *const *names)
{
	const char *args[32] = { "send", "--key", key, "-m", "files" };
	char *in = t_path(dir, "in");
	size_t n = 5;

	t_mkdir(in);
	for (; *names; names++) {
		char *p = t_path(in, *names);
		t_write_file(p, *names, strlen(*names));
		args[n++] = "--attach";
		args[n++] = t_keep(p);
	}
	args[n] = NULL;
	return t_sent(t_chat(store, NULL, args));
}

Test(save, never_overwrites_nor_follows_a_link)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	const char *names[] = { "notes.txt", "archive.tar.gz", NULL };
	char *id = send_files(dir, store, key, names), *out = t_path(dir, "out");
	char *victim = t_path(dir, "victim");
	t_run r;

	t_mkdir(out);
	t_write_file(t_path(out, "notes.txt"), "mine", 4);
	t_write_file(victim, "keep", 4);
	cr_assert_eq(symlink(victim, t_path(out, "archive.tar.gz")), 0);
	r = t_chatv(store, "save", "-o", out, id);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, t_fmt("%s/notes-1.txt\n%s/archive.tar-1.gz\n", out, out));
	t_assert_contains(r.err, "note: 'notes.txt' exists; saved 'notes.txt' as 'notes-1.txt'");
	t_assert_contains(r.err, "'archive.tar.gz' exists");
	t_run_free(&r);
	cr_assert_str_eq(t_read_file(t_path(out, "notes.txt"), NULL), "mine");
	cr_assert_str_eq(t_read_file(victim, NULL), "keep", "save wrote through a link");
	cr_assert_str_eq(t_read_file(t_path(out, "notes-1.txt"), NULL), "notes.txt");
	/* Again: the next free name. */
	r = t_chatv(store, "save", "-o", out, id);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, t_fmt("%s/notes-2.txt\n", out));
	t_run_free(&r);
}

/* Valid names that are not safe as they are: a hidden file, an option,
 * a backslash. Saved under '_' and said so; the rest kept as it is. */
Test(save, safe_names)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	const char *names[] = { ".bashrc", "-rf", "back\\slash", "my notes (1).txt",
	                        "Grüße 世界.md", NULL };
	char *id = send_files(dir, store, key, names), *out = t_path(dir, "out");
	t_run r;

	t_mkdir(out);
	r = t_chatv(store, "save", "-o", out, id);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, t_fmt("%s/_bashrc\n%s/_rf\n%s/back_slash\n%s/my notes (1).txt\n"
	                              "%s/Grüße 世界.md\n", out, out, out, out, out));
	t_assert_contains(r.err, "note: saved '.bashrc' as '_bashrc'");
	t_assert_contains(r.err, "note: saved 'back\\\\slash' as 'back_slash'");
	cr_assert(!strstr(r.err, "my notes"), "a safe name is noted: %s", r.err);
	t_run_free(&r);
	r = t_sh("ls -A '%s' | wc -l", out);
	cr_assert_eq(atoi(r.out), 5, "save wrote outside its names");
	t_run_free(&r);
	cr_assert_str_eq(t_read_file(t_path(out, "_bashrc"), NULL), ".bashrc");
}

/* The default directory is the current one. */
Test(save, into_the_current_directory)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	const char *names[] = { "a.txt", NULL };
	char *id = send_files(dir, store, key, names), *here = t_path(dir, "here");
	const char *argv[] = { GITCHAT_BIN, "save", id, NULL };
	const char *env[] = { t_fmt("GIT_DIR=%s", store), NULL };
	t_run r;

	t_mkdir(here);
	r = t_run_argv(here, argv, NULL, 0, env);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "./a.txt\n");
	t_run_free(&r);
	cr_assert_str_eq(t_read_file(t_path(here, "a.txt"), NULL), "a.txt");
}

Test(save, errors)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	const char *names[] = { "a.txt", NULL };
	char *plain = t_send(store, key, "general", "no files");
	char *id = send_files(dir, store, key, names);
	t_run r;

	r = t_chatv(store, "save", plain);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "has no files");
	t_run_free(&r);
	r = t_chatv(store, "save", "-o", t_path(dir, "missing"), id);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "cannot open the directory");
	t_run_free(&r);
	r = t_chatv(store, "save", "-r", "random", id);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "is in room 'general', not 'random'");
	t_run_free(&r);
	r = t_chatv(store, "save");
	cr_assert_eq(r.status, 129);
	t_assert_contains(r.err, "which message?");
	t_run_free(&r);
}

/* export writes the files next to the page and links them relatively; the
 * page stays inert whatever the names say. */
Test(save, export_links_the_files)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	const char *names[] = { "a <b>.txt", "x\"onmouseover=alert(1).txt", NULL };
	char *id = send_files(dir, store, key, names), *page = t_path(dir, "room.html"), *html;
	char hex[13];
	t_run r;

	memcpy(hex, id, 12);
	hex[12] = '\0';
	r = t_chatv(store, "export", "-o", page);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	html = t_read_file(page, NULL);
	t_assert_contains(html, t_fmt("<a href=\"room_files/%s/a%%20%%3Cb%%3E.txt\">a &lt;b&gt;.txt</a>",
	                              hex));
	t_assert_contains(html, t_fmt("<a href=\"room_files/%s/x%%22onmouseover%%3Dalert%%281%%29.txt\">"
	                              "x&quot;onmouseover=alert(1).txt</a>", hex));
	cr_assert_str_eq(t_read_file(t_fmt("%s/room_files/%s/a <b>.txt", dir, hex), NULL),
	                 "a <b>.txt");
}
