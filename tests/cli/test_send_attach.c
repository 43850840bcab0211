/*
 * `git chat send --attach` (issue 13, test 3; DESIGN.md "Attachments",
 * docs/attachments.md): files go into the tree as files/<n>, byte for byte
 * (binary, NUL bytes, a few MB); stock git reads them; the text is
 * optional; what breaks a rule or a limit is refused before anything is
 * written; edits keep the files, redactions hide them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"

/* `len` bytes of a fixed pseudo-random stream, NUL bytes included. */
static char *bytes_of(size_t len, unsigned seed)
{
	char *d = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;

	cr_assert(d);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		d[i] = (char)(i % 7 == 0 ? 0 : x);
	}
	return t_keep(d);
}

static char *file_of(const char *dir, const char *name, size_t len, unsigned seed)
{
	char *path = t_path(dir, name);
	t_write_file(path, bytes_of(len, seed), len);
	return t_keep(path);
}

/* The file in the store's commit equals `path`, through stock git. */
static void git_show_gives(const char *store, const char *id, int n, const char *path)
{
	t_run r = t_sh("git --git-dir='%s' show %s:files/%d | cmp - '%s'", store, id, n, path);
	cr_assert_eq(r.status, 0, "files/%d of %s differs from %s: %s%s", n, id, path, r.out, r.err);
	t_run_free(&r);
}

Test(send_attach, sent_and_saved_byte_identical)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	char *bin = file_of(dir, "blob.bin", 4096, 1);
	char *big = file_of(dir, "photo.jpg", 3 * 1024 * 1024 + 17, 2);
	char *empty = file_of(dir, "empty.txt", 0, 3);
	char *out = t_path(dir, "out"), *id, *raw;
	t_run r;

	id = t_sent(t_chatv(store, "send", "--key", key, "-m", "three files", "--attach", bin,
	                  "-a", big, "--attach", empty));
	raw = t_git(store, "cat-file commit %s", id);
	t_assert_contains(raw, "\nchat-file 1 4096 blob.bin\n"
	                       "chat-file 2 3145745 photo.jpg\n"
	                       "chat-file 3 0 empty.txt\n");
	cr_assert_str_eq(t_git(store, "ls-tree -r --format='%%(objectmode) %%(path)' %s", id),
	                 "100644 files/1\n100644 files/2\n100644 files/3");
	git_show_gives(store, id, 1, bin);
	git_show_gives(store, id, 2, big);
	git_show_gives(store, id, 3, empty);
	/* Stock git checks it as any commit: signature and fsck. */
	r = t_sh("git --git-dir='%s' fsck --strict --no-dangling", store);
	cr_assert_eq(r.status, 0, "fsck: %s%s", r.out, r.err);
	t_run_free(&r);

	t_mkdir(out);
	r = t_chatv(store, "save", "-o", out, id);
	cr_assert_eq(r.status, 0, "save: %s", r.err);
	cr_assert_str_eq(r.out, t_fmt("%s/blob.bin\n%s/photo.jpg\n%s/empty.txt\n", out, out, out));
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);
	r = t_sh("cmp '%s' '%s/blob.bin' && cmp '%s' '%s/photo.jpg' && cmp '%s' '%s/empty.txt'",
	         bin, out, big, out, empty, out);
	cr_assert_eq(r.status, 0, "saved files differ: %s", r.out);
	t_run_free(&r);

	/* log shows names and sizes; JSON lists them. */
	r = t_chatv(store, "log");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "three files");
	t_assert_contains(r.out, "[file] blob.bin (4.0 KiB)\n");
	t_assert_contains(r.out, "[file] photo.jpg (3.0 MiB)\n");
	t_assert_contains(r.out, "[file] empty.txt (0 bytes)\n");
	t_run_free(&r);
	r = t_chatv(store, "log", "--format=json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "\"files\":[{\"name\":\"blob.bin\",\"size\":4096},"
	                         "{\"name\":\"photo.jpg\",\"size\":3145745},"
	                         "{\"name\":\"empty.txt\",\"size\":0}]");
	t_run_free(&r);
}

/* The commit ends right after its header's blank line: no text. */
static void no_text(const char *store, const char *id)
{
	t_run r = t_sh("git --git-dir='%s' cat-file commit %s", store, id);
	size_t len = strlen(r.out);
	cr_assert(len > 30 && !strcmp(r.out + len - 29, "-----END SSH SIGNATURE-----\n\n"),
	          "text after the header: %s", r.out + (len > 40 ? len - 40 : 0));
	t_run_free(&r);
}

/* Files alone: no text, nothing read from stdin, the commit's message empty
 * (as git writes one), and it reads back through the message cache too. */
Test(send_attach, files_without_text)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	char *f = file_of(dir, "notes.txt", 100, 4), *id;
	const char *args[] = { "send", "--key", key, "--attach", f, NULL };
	t_run r = t_chat(store, "this is not read", args);

	id = t_sent(r);
	no_text(store, id);
	for (int i = 0; i < 2; i++) {   /* from git, then from the message cache */
		r = t_chatv(store, "log", "--format=json");
		cr_assert_eq(r.status, 0, "%s", r.err);
		t_assert_contains(r.out, "\"text\":\"\"");
		t_assert_contains(r.out, "\"files\":[{\"name\":\"notes.txt\",\"size\":100}]");
		t_run_free(&r);
	}
	/* Text of only white space with files is a message of files alone. */
	id = t_sent(t_chatv(store, "send", "--key", key, "-m", "  \n", "-a", f));
	no_text(store, id);
	/* Without files the text stays mandatory. */
	r = t_chatv(store, "send", "--key", key, "-m", " ");
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "empty");
	t_run_free(&r);
}

/* Over a limit: refused before anything is written (no blob, no ref). */
Test(send_attach, over_limit_refused_before_anything_is_written)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	char *small = file_of(dir, "small.bin", 1000, 5), *large = file_of(dir, "large.bin", 1001, 6);
	char *before;
	t_run r;

	t_send(store, key, "general", "before");
	t_git(store, "config chat.maxFileBytes 1000");
	t_git(store, "config chat.maxTreeBytes 1500");
	before = t_snapshot(store);
	r = t_chatv(store, "send", "--key", key, "-m", "too big", "-a", small, "-a", large);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "large.bin' is 1001 bytes, over the limit of 1000 per file "
	                         "(git config chat.maxFileBytes); nothing was sent");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), before, "a refused send wrote something");
	r = t_chatv(store, "send", "--key", key, "-m", "too much", "-a", small, "-a",
	            file_of(dir, "other.bin", 600, 7));
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "over the limit of 1500 per message (git config chat.maxTreeBytes)");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), before, "a refused send wrote something");
	/* Exactly at the limits is fine. */
	t_sent(t_chatv(store, "send", "--key", key, "-m", "at the limit", "-a", small));
}

/* What is not a file, or not a valid name, is refused before anything is
 * written, with what to do. */
Test(send_attach, bad_files_refused)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	char *a = t_path(dir, "a"), *b = t_path(dir, "b"), *before;
	struct {
		const char *path;
		const char *why;
	} cases[] = {
		{ dir, "is not a regular file" },
		{ t_fmt("%s/missing.txt", dir), "cannot open" },
		{ t_fmt("%s/tab\there", dir), "contains a control or bidirectional character" },
		{ t_fmt("%s/esc\033[31mred", dir), "the file name 'esc\\x1b[31mred' contains" },
		{ t_fmt("%s/evil\xe2\x80\xaegnp.exe", dir), "\\u{202e}" },
		{ t_fmt("%s/latin1-\xe9.txt", dir), "is not valid UTF-8" },
	};
	t_run r;

	t_send(store, key, "general", "before");
	for (size_t i = 2; i < sizeof(cases) / sizeof(*cases); i++)
		t_write_file(cases[i].path, "x", 1);
	t_mkdir(a);
	t_mkdir(b);
	t_write_file(t_path(a, "same.txt"), "1", 1);
	t_write_file(t_path(b, "same.txt"), "2", 1);
	before = t_snapshot(store);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		r = t_chatv(store, "send", "--key", key, "-m", "x", "--attach", cases[i].path);
		cr_assert_eq(r.status, 128, "%s: %d %s", cases[i].path, r.status, r.err);
		t_assert_contains(r.err, cases[i].why);
		cr_assert(!strchr(r.err, '\033') && !strstr(r.err, "\xe2\x80\xae"),
		          "the error shows the name raw: %s", r.err);
		t_run_free(&r);
	}
	r = t_chatv(store, "send", "--key", key, "-m", "x", "-a", t_path(a, "same.txt"), "-a",
	            t_path(b, "same.txt"));
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "have the same name");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), before, "a refused send wrote something");
}

/* The name is the file's own (its last component), whatever path named it:
 * ../../etc/passwd is attached as "passwd" and saved inside DIR. */
Test(send_attach, dotdot_path_is_attached_and_saved_by_its_name)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	char *deep = t_fmt("%s/a/b", dir), *out = t_fmt("%s/a/b/out", dir), *gitdir, *id;
	const char *argv[] = { GITCHAT_BIN, "send", "--key", key, "-m", "p",
	                       "--attach", "../../etc/passwd", NULL };
	const char *env[2];
	t_run r;

	t_mkdir(t_fmt("%s/etc", dir));
	t_write_file(t_fmt("%s/etc/passwd", dir), "root:x:0:0\n", 11);
	t_mkdir(out);
	gitdir = t_fmt("GIT_DIR=%s", store);
	env[0] = gitdir;
	env[1] = NULL;
	id = t_sent(t_run_argv(deep, argv, NULL, 0, env));
	t_assert_contains(t_git(store, "cat-file commit %s", id), "\nchat-file 1 11 passwd\n");
	r = t_chatv(store, "save", "-o", out, id);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, t_fmt("%s/passwd\n", out));
	t_run_free(&r);
	cr_assert_str_eq(t_read_file(t_fmt("%s/passwd", out), NULL), "root:x:0:0\n");
}

/* An edit changes the text and keeps the files (an edit carries none);
 * a redaction hides them from log, JSON and save. */
Test(send_attach, edit_keeps_files_redaction_hides_them)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "alice", 1);
	char *f = file_of(dir, "report.pdf", 2048, 8), *id;
	t_run r;

	id = t_sent(t_chatv(store, "send", "--key", key, "-m", "draft", "-a", f));
	t_sent(t_chatv(store, "edit", "--key", key, id, "final"));
	r = t_chatv(store, "log");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "final");
	t_assert_contains(r.out, "[file] report.pdf (2.0 KiB)");
	t_run_free(&r);
	t_sent(t_chatv(store, "redact", "--key", key, id));
	r = t_chatv(store, "log");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!strstr(r.out, "report.pdf"), "a redacted message shows its file:\n%s", r.out);
	t_run_free(&r);
	r = t_chatv(store, "log", "--format=json");
	t_assert_contains(r.out, "\"redacted\":true");
	t_assert_contains(r.out, "\"files\":[]");
	t_run_free(&r);
	r = t_chatv(store, "save", "-o", dir, id);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "was deleted by its author");
	t_run_free(&r);
}
