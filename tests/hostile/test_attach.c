/*
 * Hostile attachments (issue 13, test 3): mallory's files over the limits
 * and her file names that try to leave a directory or take over a
 * terminal are refused by the server's hook and by the victim's sync,
 * with the reason shown escaped; a valid name that is markup stays inert
 * in every reader and is saved inside the directory asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <criterion/criterion.h>

#include "hostile.h"

/* A folder files/ holding `n` blobs of `size` bytes: the root tree's id. */
static char *files_tree(const hx_world *w, int n, size_t size)
{
	char *data = calloc(1, size + 1), buf[40 * 8];
	git_oid oid;
	size_t len = 0;
	char *blob, *sub, entry[64];

	memset(data, 'm', size);
	blob = hx_write(w->attacker, data, size, GIT_OBJECT_BLOB);
	free(data);
	git_oid_fromstr(&oid, blob);
	for (int i = 1; i <= n; i++) {
		len += (size_t)sprintf(buf + len, "100644 %d", i) + 1;
		memcpy(buf + len, oid.id, 20);
		len += 20;
	}
	sub = hx_write(w->attacker, buf, len, GIT_OBJECT_TREE);
	git_oid_fromstr(&oid, sub);
	memcpy(entry, "40000 files", 12);
	memcpy(entry + 12, oid.id, 20);
	return hx_write(w->attacker, entry, 32, GIT_OBJECT_TREE);
}

/* Mallory's message carrying one file of `size` bytes named `name`. */
static char *with_file(const hx_world *w, const char *name, size_t size)
{
	hx_spec s = hx_on_heads(w, "take this");

	s.tree = files_tree(w, 1, size);
	s.headers = t_fmt("chat-room general\nchat-file 1 %zu %s\n", size, name);
	return hx_commit(w->attacker, w->mallory, &s);
}

/* The server and the victim keep a small limit; mallory's file is over it
 * by one byte: the hook refuses the push, the victim's sync the log. */
Test(attach, over_the_limit_refused_by_hook_and_sync, .timeout = 120)
{
	hx_world w;

	hx_setup(&w);
	t_git(w.server, "config chat.maxFileBytes 1000");
	t_git(w.victim, "config chat.maxFileBytes 1000");
	hx_refused_everywhere(&w, with_file(&w, "big.bin", 1001),
	                      "is 1001 bytes, over the limit of 1000 (git config chat.maxFileBytes)",
	                      "over the limit of 1000");
	/* Per message too: three files of 600 bytes, 1,500 allowed in all. */
	t_git(w.server, "config chat.maxTreeBytes 1500");
	t_git(w.victim, "config chat.maxTreeBytes 1500");
	{
		hx_spec s = hx_on_heads(&w, "three");
		s.tree = files_tree(&w, 3, 600);
		s.headers = "chat-room general\nchat-file 1 600 a\nchat-file 2 600 b\n"
		            "chat-file 3 600 c\n";
		hx_refused_everywhere(&w, hx_commit(w.attacker, w.mallory, &s),
		                      "over the limit of 1500 bytes in all", "over the limit of 1500");
	}
}

/* Names that leave a directory, drive a terminal, read backwards or run
 * long: invalid, refused both ways, and the pusher sees them escaped. */
Test(attach, hostile_names_refused_by_hook_and_sync, .timeout = 180)
{
	static const char *const names[] = {
		"../../etc/passwd", "..", "title\033]0;pwned\007", "clear\033[2J",
		"invoice\xe2\x80\xae" "fdp.exe", "c1\xc2\x9b" "31m",
	};
	hx_world w;

	hx_setup(&w);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char *id = with_file(&w, names[i], 10);
		t_run r = hx_push(&w, t_fmt("%s:%s", id, w.mref));
		cr_assert_neq(r.status, 0, "the hook took '%s'", names[i]);
		t_assert_contains(r.err, "its file 1 is invalid: the file name");
		cr_assert(!strchr(r.err, '\033') && !strstr(r.err, "\xe2\x80\xae") &&
		          !strstr(r.err, "\xc2\x9b"), "the reason shows the name raw:\n%s", r.err);
		t_run_free(&r);
		hx_sync_refuses(&w, id, "its file 1 is invalid");
	}
	{
		char *id = with_file(&w, t_fmt("%0256d", 1), 10);
		hx_refused_everywhere(&w, id, "longer than 255 bytes", "longer than 255 bytes");
	}
}

/* A valid name that is markup and looks like an option: shown inert by
 * log and export, saved inside the directory under a safe name. */
Test(attach, markup_name_shown_inert_and_saved_inside, .timeout = 120)
{
	const char *name = "-<img src=x onerror=alert(1)>.html";
	hx_world w;
	char *id, *page, *out;
	t_run r;

	hx_setup(&w);
	id = with_file(&w, name, 10);
	hx_shown_everywhere(&w, id, "take this");
	r = t_chatv(w.victim, "log", "-r", "general");
	t_assert_contains(r.out, t_fmt("[file] %s (10 bytes)", name));
	t_run_free(&r);
	page = t_fmt("%s/page.html", w.dir);
	r = t_chatv(w.victim, "export", "-r", "general", "-o", page);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	{
		char *html = t_keep(t_read_file(page, NULL));
		cr_assert(!strstr(html, "<img"), "the page holds markup from a file name");
		t_assert_contains(html, "-&lt;img src=x onerror=alert(1)&gt;.html</a>");
	}
	out = t_fmt("%s/out", w.dir);
	t_mkdir(out);
	r = t_chatv(w.victim, "save", "-o", out, id);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, t_fmt("%s/_<img src=x onerror=alert(1)>.html\n", out));
	t_run_free(&r);
}
