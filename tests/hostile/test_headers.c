/*
 * Hostile commit headers: times outside the calendar (issue 9, finding 3),
 * author names git refuses or a terminal would obey, missing, repeated and
 * oversized headers, encodings, mergetag, trees that are not empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <criterion/criterion.h>

#include "hostile.h"




/* Mallory's message with author (and committer) time `when`. */
static void at_time(const char *author, const char *committer, int valid)
{
	hx_spec s = { .text = "from another time", .author = author,
	              .committer = committer ? committer : author };

	if (valid)
		hx_case(&s, NULL, NULL);
	else
		hx_case(&s, "time|date|Date|author|committer", "time|date|author|committer");
}

/* Issue 9, reproduction 3. */
Test(times, author_time_near_int64_max, .timeout = 120)
{
	at_time("Mallory <m@example.org> 9223372036854775800 +0000", NULL, 0);
}

Test(times, author_time_6_8e16, .timeout = 120)
{
	at_time("Mallory <m@example.org> 68000000000000000 +0000", NULL, 0);
}

Test(times, author_time_in_year_10000, .timeout = 120)
{
	at_time("Mallory <m@example.org> 253402300800 +0000", NULL, 0);
}

Test(times, author_time_negative, .timeout = 120)
{
	at_time("Mallory <m@example.org> -1 +0000", NULL, 0);
}

Test(times, committer_time_in_year_10000, .timeout = 120)
{
	at_time("Mallory <m@example.org> 1764150000 +0000",
	        "Mallory <m@example.org> 253402300800 +0000", 0);
}

Test(times, last_second_of_year_9999_is_shown, .timeout = 120)
{
	at_time("Mallory <m@example.org> 253402300799 +0000", NULL, 1);
}

Test(times, epoch_with_the_lowest_timezone_is_shown, .timeout = 120)
{
	at_time("Mallory <m@example.org> 0 -9959", NULL, 1);
}

Test(times, timezone_plus_9999_is_shown, .timeout = 120)
{
	at_time("Mallory <m@example.org> 1764150000 +9999", NULL, 1);
}

Test(names, invalid_utf8_in_the_author_name_gives_valid_json, .timeout = 120)
{
	hx_spec s = { .text = "my name is broken", .author = "Mal\xff\xfe\xc3 <m@example.org> 1764150000 +0000" };

	hx_case(&s, NULL, NULL);
}

/* An author line git fsck refuses (receive.fsckObjects on a hooked server):
 * a reader refuses it too, so that validity is the same everywhere. */
static void fsck_ident(const char *author, const char *fsck_id)
{
	hx_spec s = { .text = "a strange author line", .author = author };

	hx_case(&s, fsck_id, "author");
}

Test(names, no_space_before_the_email, .timeout = 120)
{
	fsck_ident("Mallory<m@example.org> 1764150000 +0000", "missingSpaceBeforeEmail");
}

Test(names, no_name_before_the_email, .timeout = 120)
{
	fsck_ident("<m@example.org> 1764150000 +0000", "missingNameBeforeEmail");
}

Test(names, greater_than_in_the_name, .timeout = 120)
{
	fsck_ident("Mal>lory <m@example.org> 1764150000 +0000", "badName");
}

Test(names, less_than_in_the_email, .timeout = 120)
{
	fsck_ident("Mallory <m<@example.org> 1764150000 +0000", "badEmail");
}

Test(names, zero_padded_date, .timeout = 120)
{
	fsck_ident("Mallory <m@example.org> 01764150000 +0000", "zeroPaddedDate");
}

Test(names, nul_in_the_author_name, .timeout = 120)
{
	hx_spec s = { .text = "a NUL in my name", .author = "Mal@NUL@lory <m@example.org> 1764150000 +0000" };

	hx_case(&s, "nul|NUL", "NUL|nul");
}

/* ESC, bidi override, bell, backspace, CR in the name and the text: every
 * output shows them inert. */
Test(names, terminal_escapes_and_bidi_are_inert, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id, *log;
	const char *texts[] = { "clear", NULL };
	t_run r;

	hx_setup(&w);
	s = hx_on_heads(&w, "clear\x1b[2J\x1b]0;pwned\x07 right\xe2\x80\xaeleft\r\x08\x08 done");
	s.author = "Evil\x1b[31m\xe2\x80\xae <m@example.org> 1764150000 +0000";
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_hook_accepts(&w, id);
	hx_sync_accepts(&w, id);
	log = hx_readable(w.victim, texts, 0);
	cr_assert(!strchr(log, '\x1b') && !strchr(log, '\x07') && !strchr(log, '\x08') &&
	          !strchr(log, '\r') && !strstr(log, "\xe2\x80\xae"),
	          "a control character reached the terminal:\n%s", log);
	r = t_chatv(w.victim, "log", "-r", "general", "--color=always");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!strstr(r.out, "\x1b[2J") && !strstr(r.out, "\x1b]0;") &&
	          !strstr(r.out, "\x1b[31m\xe2") && !strstr(r.out, "\xe2\x80\xae"),
	          "the attacker's escapes reached the terminal:\n%s", r.out);
	t_run_free(&r);
	r = t_chatv(w.victim, "rooms");
	cr_assert(!strchr(r.out, '\x1b') && !strstr(r.out, "\xe2\x80\xae"), "%s", r.out);
	t_run_free(&r);
	/* Quoted in a reply, the text stays inert. */
	r = t_chatv(w.victim, "send", "--key", w.bob, "-r", "general", "--reply", id, "-m", "what?");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(w.victim, "log", "-r", "general", "--color=always");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "what?");
	cr_assert(!strstr(r.out, "\x1b[2J") && !strstr(r.out, "\x1b]0;") &&
	          !strstr(r.out, "\xe2\x80\xae") && !strchr(r.out, '\x07'), "%s", r.out);
	t_run_free(&r);
	hx_readable(w.server, texts, 0);
}

/* Mallory calls herself Alice: the fingerprint beside the name tells them
 * apart in every output. */
Test(names, claiming_another_authors_name, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id, *log, *at, *line, *mfp, *afp;

	hx_setup(&w);
	s = hx_on_heads(&w, "this is alice, really");
	s.author = "Test User <test@example.org> 1764150000 +0000";
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_shown_everywhere(&w, id, "this is alice, really");
	log = hx_readable(w.victim, NULL, 0);
	at = strstr(log, "this is alice, really");
	for (line = at; line > log && line[-1] != '\n'; line--)
		;
	for (line--; line > log && line[-1] != '\n'; line--)
		;
	line = t_strndup(line, (size_t)(at - line));
	mfp = t_strndup(t_fingerprint(w.mallory), 15);
	afp = t_strndup(t_fingerprint(w.alice), 15);
	t_assert_contains(line, mfp);
	cr_assert(!strstr(line, afp), "%s", line);
}

Test(text, html_in_the_text_is_inert_in_export, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id, *page, *html;
	t_run r;

	hx_setup(&w);
	s = hx_on_heads(&w, "<script>alert(1)</script><img src=x onerror=alert(2)>");
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_shown_everywhere(&w, id, "alert(1)");
	html = t_keep(t_path(w.dir, "x.html"));
	r = t_chatv(w.victim, "export", "-r", "general", "-o", html);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	page = t_keep(t_read_file(html, NULL));
	cr_assert(!strstr(page, "<script>alert") && !strstr(page, "<img src=x"), "%s", page);
}

Test(headers, two_chat_room_headers, .timeout = 120)
{
	hx_spec s = { .text = "two rooms", .headers = "chat-room general\nchat-room random\n" };

	hx_case(&s, "more than one chat-room", "more than one chat-room");
}

Test(headers, no_chat_room_header, .timeout = 120)
{
	hx_spec s = { .text = "no room", .headers = "" };

	hx_case(&s, "no chat-room header", "no chat-room header");
}

Test(headers, chat_room_of_another_room, .timeout = 120)
{
	hx_spec s = { .text = "wrong room", .headers = "chat-room random\n" };

	hx_case(&s, "its chat-room is 'random', not 'general'",
	        "its chat-room is 'random', not 'general'");
}

Test(headers, chat_room_with_trailing_space, .timeout = 120)
{
	hx_spec s = { .text = "spaced room", .headers = "chat-room general \n" };

	hx_case(&s, "not 'general'", "not 'general'");
}

Test(headers, two_tree_lines, .timeout = 120)
{
	hx_spec s = { .text = "two trees", .tree = HX_EMPTY_TREE "\ntree " HX_EMPTY_TREE };

	hx_case(&s, "missingAuthor|tree", "tree");
}

Test(headers, two_author_lines, .timeout = 120)
{
	hx_spec s = { .text = "two authors",
	                .author = "Mallory <m@example.org> 1764150000 +0000\n"
	                          "author Alice <a@example.org> 1764150000 +0000" };

	hx_case(&s, "author", "author");
}

Test(headers, oversized_unknown_header_is_kept_and_ignored, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *big = malloc(1024 * 1024 + 64), *id;

	hx_setup(&w);
	strcpy(big, "chat-room general\nchat-padding ");
	memset(big + strlen(big), 'x', 1024 * 1024);
	strcpy(big + strlen("chat-room general\nchat-padding ") + 1024 * 1024, "\n");
	s = hx_on_heads(&w, "with a big header");
	s.headers = t_keep(big);
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_shown_everywhere(&w, id, "with a big header");
}

Test(headers, commit_over_16_mib, .timeout = 180)
{
	hx_world w;
	hx_spec s;
	size_t n = 17 * 1024 * 1024;
	char *big = malloc(n + 64), *id;

	hx_setup(&w);
	strcpy(big, "chat-room general\nchat-padding ");
	memset(big + strlen(big), 'x', n);
	strcpy(big + strlen("chat-room general\nchat-padding ") + n, "\n");
	s = hx_on_heads(&w, "too big a commit");
	s.headers = t_keep(big);
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "16 MiB|large", "16 MiB|large");
}

Test(headers, encoding_latin1, .timeout = 120)
{
	hx_spec s = { .text = "caf\xe9", .headers = "chat-room general\nencoding ISO-8859-1\n" };

	hx_case(&s, "encoding", "encoding");
}

Test(headers, encoding_utf8_is_shown, .timeout = 120)
{
	hx_spec s = { .text = "caf\xc3\xa9 with an encoding header", .headers = "chat-room general\nencoding UTF-8\n" };

	hx_case(&s, NULL, NULL);
}

/* A mergetag header (git writes one when merging a signed tag): whether it
 * is allowed is a choice (a folded header other than gpgsig), but the hook
 * and sync must make the same one, and the room stays readable. */
Test(headers, mergetag_hook_and_sync_agree, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;
	t_run r;

	hx_setup(&w);
	s = hx_on_heads(&w, "with a mergetag");
	s.headers = t_fmt("chat-room general\nmergetag object %s\n type commit\n tag v1\n"
	                  " tagger Mallory <m@example.org> 1764150000 +0000\n \n a tag\n",
	                  w.a2);
	id = hx_commit(w.attacker, w.mallory, &s);
	r = hx_push(&w, t_fmt("%s:%s", id, w.mref));
	if (r.status == 0) {
		const char *texts[] = { "with a mergetag", hx_honest_texts[0], NULL };
		t_assert_contains(r.err, "remote: git-chat: 1 chat log update verified");
		hx_sync_accepts(&w, id);
		hx_readable(w.server, texts, 0);
		hx_readable(w.victim, texts, 0);
	} else {
		t_assert_contains(r.err, "remote: error: refusing");
		hx_sync_refuses(&w, id, "mergetag|second line|continuation");
		hx_readable(w.server, NULL, 0);
		hx_readable(w.victim, NULL, 0);
	}
	t_run_free(&r);
}

Test(headers, continuation_line_without_header, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "stray continuation");
	s.headers = "chat-room general\n stray\n";
	id = hx_commit(w.attacker, w.mallory, &s);
	/* git reads " stray" as a continuation of chat-room: the room is then
	 * "general\nstray", not general. */
	hx_refused_everywhere(&w, id, "not 'general'|continuation|second line",
	                   "not 'general'|continuation|second line");
}

Test(text, empty_text, .timeout = 120)
{
	hx_spec s = { .text = " \t\r\n " };

	hx_case(&s, "empty", "empty");
}

Test(text, over_the_64_kib_limit, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *big = malloc(65537 + 1), *id;

	hx_setup(&w);
	memset(big, 'y', 65537);
	big[65537] = '\0';
	s = hx_on_heads(&w, t_keep(big));
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "over the limit of 65536", "over the limit of 65536");
}

Test(text, exactly_64_kib_is_shown, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *big = malloc(65536 + 1), *id;

	hx_setup(&w);
	memcpy(big, "sixty-four-", 11);
	memset(big + 11, 'z', 65536 - 11);
	big[65536] = '\0';
	s = hx_on_heads(&w, t_keep(big));
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_shown_everywhere(&w, id, "sixty-four-");
}

Test(text, invalid_utf8_text, .timeout = 120)
{
	hx_spec s = { .text = "bad \xc0\xaf bytes" };

	hx_case(&s, "UTF-8", "UTF-8");
}

Test(text, nul_in_text, .timeout = 120)
{
	hx_spec s = { .text = "before@NUL@after" };

	hx_case(&s, "NUL|nul", "NUL");
}

static char *tree_with(const hx_world *w, const char *mode, const char *name, git_object_t type,
                       const char *data)
{
	git_oid oid;
	char *blob = hx_write(w->attacker, data, strlen(data), type);
	size_t ml = strlen(mode), nl = strlen(name);
	char *entry = malloc(ml + nl + 2 + 20), *id;

	git_oid_fromstr(&oid, blob);
	memcpy(entry, mode, ml);
	entry[ml] = ' ';
	memcpy(entry + ml + 1, name, nl + 1);
	memcpy(entry + ml + nl + 2, oid.id, 20);
	id = hx_write(w->attacker, entry, ml + nl + 22, GIT_OBJECT_TREE);
	free(entry);
	return id;
}

/* A tree holding `sub` as its one folder files/ (DESIGN.md "Attachments"). */
static char *in_files(const hx_world *w, const char *sub)
{
	git_oid oid;
	char entry[64];

	git_oid_fromstr(&oid, sub);
	memcpy(entry, "40000 files", 12);
	memcpy(entry + 12, oid.id, 20);
	return hx_write(w->attacker, entry, 32, GIT_OBJECT_TREE);
}

/* Mallory's message with one file: files/<name> as `mode`, named by a
 * chat-file header for `data`. */
static void tree_case(const char *text, const char *mode, const char *name, git_object_t type,
                      const char *data, const char *hook_reason, const char *sync_reason)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, text);
	s.tree = in_files(&w, tree_with(&w, mode, name, type, data));
	s.headers = t_fmt("chat-room general\nchat-file 1 %zu notes.txt\n", strlen(data));
	id = hx_commit(w.attacker, w.mallory, &s);
	if (hook_reason)
		hx_refused_everywhere(&w, id, hook_reason, sync_reason);
	else
		hx_shown_everywhere(&w, id, text);
}

Test(trees, attachment_file_is_shown, .timeout = 120)
{
	tree_case("see the attachment", "100644", "1", GIT_OBJECT_BLOB, "some notes\n",
	          NULL, NULL);
}

/* The first version's flat tree of files, without chat-file headers. */
Test(trees, attachment_without_header, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "a file nobody names");
	s.tree = tree_with(&w, "100644", "notes.txt", GIT_OBJECT_BLOB, "some notes\n");
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "no chat-file header", "no chat-file header");
}

Test(trees, symlink_in_the_tree, .timeout = 120)
{
	tree_case("a link", "120000", "1", GIT_OBJECT_BLOB, "/etc/passwd",
	          "not a plain file", "not a plain file");
}

Test(trees, executable_in_the_tree, .timeout = 120)
{
	tree_case("run me", "100755", "1", GIT_OBJECT_BLOB, "#!/bin/sh\n",
	          "not a plain file", "not a plain file");
}

Test(trees, subdirectory_in_the_tree, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *sub, *id;
	git_oid oid;
	char entry[64];

	hx_setup(&w);
	sub = tree_with(&w, "100644", "inner", GIT_OBJECT_BLOB, "x\n");
	git_oid_fromstr(&oid, sub);
	memcpy(entry, "40000 1", 8);
	memcpy(entry + 8, oid.id, 20);
	s = hx_on_heads(&w, "a directory");
	s.tree = in_files(&w, hx_write(w.attacker, entry, 28, GIT_OBJECT_TREE));
	s.headers = "chat-room general\nchat-file 1 2 dir\n";
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "not a plain file", "not a plain file");
}

Test(trees, tree_line_names_a_blob, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "a blob for a tree");
	s.tree = hx_write(w.attacker, "not a tree\n", 11, GIT_OBJECT_BLOB);
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "tree", "tree");
}

/* Names git's fsck refuses in a tree (receive.fsckObjects on the server):
 * a reader must not accept what a hooked server never could. */
Test(trees, attachment_named_dotdot, .timeout = 120)
{
	tree_case("dot dot", "100644", "..", GIT_OBJECT_BLOB, "x\n",
	          "hasDotdot|not named 1", "not named 1");
}

Test(trees, attachment_named_dotgit, .timeout = 120)
{
	tree_case("dot git", "100644", ".GIT", GIT_OBJECT_BLOB, "x\n",
	          "hasDotgit|not named 1", "not named 1");
}

Test(trees, submodule_in_the_tree, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id, entry[64];
	git_oid oid;

	hx_setup(&w);
	git_oid_fromstr(&oid, w.a1);
	memcpy(entry, "160000 1", 9);
	memcpy(entry + 9, oid.id, 20);
	s = hx_on_heads(&w, "a submodule");
	s.tree = in_files(&w, hx_write(w.attacker, entry, 29, GIT_OBJECT_TREE));
	s.headers = "chat-room general\nchat-file 1 2 sub\n";
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "not a plain file", "not a plain file");
}

/* Two blob entries in one tree, written in the order given, as files/. */
static char *tree_of_two(const hx_world *w, const char *first, const char *second)
{
	git_oid oid;
	char *blob = hx_write(w->attacker, "x\n", 2, GIT_OBJECT_BLOB), buf[256];
	size_t n = 0;

	git_oid_fromstr(&oid, blob);
	n += (size_t)sprintf(buf + n, "100644 %s", first) + 1;
	memcpy(buf + n, oid.id, 20);
	n += 20;
	n += (size_t)sprintf(buf + n, "100644 %s", second) + 1;
	memcpy(buf + n, oid.id, 20);
	n += 20;
	return in_files(w, hx_write(w->attacker, buf, n, GIT_OBJECT_TREE));
}

Test(trees, entries_out_of_order, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "unsorted");
	s.tree = tree_of_two(&w, "2", "1");
	s.headers = "chat-room general\nchat-file 1 2 a\nchat-file 2 2 b\n";
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "treeNotSorted|out of order", "out of order");
}

Test(trees, the_same_name_twice, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "duplicate");
	s.tree = tree_of_two(&w, "1", "1");
	s.headers = "chat-room general\nchat-file 1 2 a\nchat-file 2 2 b\n";
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "duplicateEntries|treeNotSorted|twice", "twice");
}
