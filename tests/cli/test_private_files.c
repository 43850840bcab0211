/*
 * Attachments in private rooms (issues 11 and 13, DESIGN.md "Attachments",
 * "Private rooms"): the names and sizes travel in the encrypted inner
 * message, each files/<n> is an age file sealed to the epoch. Real keys,
 * real git, stock `age`: a member saves the file byte for byte, stock age
 * opens the blob, the store holds neither the name nor the bytes, a file
 * whose inner size lies is reported and not saved, and a file over the
 * limit is refused before anything is written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

/* Alice, Bob (and Carol) with a private room of Alice and Bob. */
typedef struct {
	t_trio p;
	char *dir, *store, *a, *b, *room;
} world;

static world setup(void)
{
	world w;

	w.p = t_trio_new();
	w.dir = w.p.dir;
	w.store = w.p.store;
	w.a = w.p.a;
	w.b = w.p.b;
	w.room = t_ok(t_chat_as(w.store, w.a, "room create --private --member %s.pub", w.b), "room create");
	return w;
}

/* A binary file: every byte value, then a marker that must not show in
 * the store. */
static char *binary_file(const char *dir, const char *name, size_t *len)
{
	static const char marker[] = "PLAINTEXT-MARKER-31415";
	char data[256 + sizeof(marker) - 1];
	for (int i = 0; i < 256; i++)
		data[i] = (char)i;
	memcpy(data + 256, marker, sizeof(marker) - 1);
	*len = sizeof(data);
	char *path = t_path(dir, name);
	t_write_file(path, data, sizeof(data));
	return path;
}

/* The epoch identity of the room, opened with bob's own key (stock age). */
static char *epoch_key(world *w)
{
	char *g = t_git(w->store, "rev-list --max-parents=0 '%s'", t_ref(w->room, w->a));
	char *ek = t_path(w->dir, "epoch.key");
	t_ok(t_sh("git --git-dir='%s' show %s:epoch.age | age -d -i '%s' > '%s'", w->store, g,
	        w->b, ek), "age -d epoch.age");
	return ek;
}

Test(private_files, a_member_saves_it_byte_for_byte_and_stock_age_opens_the_blob)
{
	world w = setup();
	size_t len;
	char *src = binary_file(w.dir, "secret-plan.bin", &len);
	char *m = t_ok(t_chat_as(w.store, w.a, "send -r %s -m 'the plan' --attach '%s'", w.room, src),
	             "send --attach");

	/* bob saves it: the same bytes under its own name. */
	char *out = t_path(w.dir, "out");
	t_ok(t_sh("mkdir '%s'", out), "mkdir");
	char *saved = t_ok(t_chat_as(w.store, w.b, "save -o '%s' %s", out, m), "save");
	cr_assert_str_eq(saved, t_fmt("%s/secret-plan.bin", out));
	t_ok(t_sh("cmp '%s' '%s'", src, saved), "cmp saved");

	/* log shows the name and the size; JSON lists it. */
	char *log = t_ok(t_chat_as(w.store, w.b, "log -r %s --color=never", w.room), "log");
	t_assert_contains(log, "secret-plan.bin");
	char *json = t_ok(t_chat_as(w.store, w.b, "log -r %s --format=json", w.room), "log json");
	t_assert_contains(json, t_fmt("{\"name\":\"secret-plan.bin\",\"size\":%zu}", len));

	/* export writes it decrypted next to the page and links it. */
	char *page = t_path(w.dir, "page.html");
	t_run e = t_chat_as(w.store, w.b, "export -r %s -o '%s'", w.room, page);
	cr_assert_eq(e.status, 0, "export: %s", e.err);
	t_assert_contains(e.err, "private room");
	t_run_free(&e);
	char *html = t_keep(t_read_file(page, NULL));
	char *short_id = t_strndup(m, 12);
	t_assert_contains(html, t_fmt("page_files/%s/secret-plan.bin", short_id));
	t_ok(t_sh("cmp '%s' '%s/page_files/%s/secret-plan.bin'", src, w.dir, short_id),
	   "cmp exported");

	/* Stock age opens files/1 with the epoch identity. */
	char *ek = epoch_key(&w), *dec = t_path(w.dir, "dec.bin");
	t_ok(t_sh("git --git-dir='%s' show %s:files/1 | age -d -i '%s' > '%s'", w.store, m, ek, dec),
	   "age -d files/1");
	t_ok(t_sh("cmp '%s' '%s'", src, dec), "cmp age -d");

	/* The commit says no name; no object in the store holds the name or
	 * the bytes. */
	cr_assert(!t_contains(t_git(w.store, "cat-file commit %s", m), "chat-file"));
	char *all = t_ok(t_sh("git --git-dir='%s' cat-file --batch-all-objects --batch > '%s'",
	                    w.store, t_path(w.dir, "all")), "cat-file --batch-all-objects");
	(void)all;
	t_ok(t_sh("! grep -a -q 'secret-plan' '%s'", t_path(w.dir, "all")), "name in the store");
	t_ok(t_sh("! grep -a -q 'PLAINTEXT-MARKER' '%s'", t_path(w.dir, "all")), "bytes in the store");

	/* The room verifies (the sealed tree is valid), as the hook would see it. */
	t_ok(t_chat_as(w.store, w.b, "verify -r %s", w.room), "verify");
}

Test(private_files, a_file_alone_and_several_files)
{
	world w = setup();
	size_t len;
	char *one = binary_file(w.dir, "one.bin", &len);
	char *two = t_path(w.dir, "two.txt");
	t_write_file(two, "two\n", 4);
	char *m = t_ok(t_chat_as(w.store, w.a, "send -r %s --attach '%s' --attach '%s'", w.room, one, two),
	             "send files alone");
	char *out = t_path(w.dir, "out");
	t_ok(t_sh("mkdir '%s'", out), "mkdir");
	char *saved = t_ok(t_chat_as(w.store, w.b, "save -o '%s' %s", out, m), "save");
	t_assert_contains(saved, "one.bin");
	t_assert_contains(saved, "two.txt");
	t_ok(t_sh("cmp '%s' '%s/two.txt' && cmp '%s' '%s/one.bin'", two, out, one, out), "cmp");
}

/* A member who plants a message whose inner chat-file says another size
 * than its sealed blob holds: reported, nothing written. */
Test(private_files, an_inner_size_that_lies_is_reported_not_saved)
{
	world w = setup();
	char *small = t_path(w.dir, "plan.txt"), *big = t_path(w.dir, "big.txt");
	t_write_file(small, "ten bytes\n", 10);
	t_write_file(big, "twenty bytes of it!\n", 20);
	char *m1 = t_ok(t_chat_as(w.store, w.a, "send -r %s -m one --attach '%s'", w.room, small), "send 1");
	char *m2 = t_ok(t_chat_as(w.store, w.a, "send -r %s -m two --attach '%s'", w.room, big), "send 2");
	/* m1's inner message (plan.txt, 10 bytes) over m2's sealed file (20). */
	char *payload = t_commit_payload(w.store, m1);
	payload = t_replace(payload, t_fmt("tree %s", t_git(w.store, "rev-parse %s^{tree}", m1)),
	                    t_fmt("tree %s", t_git(w.store, "rev-parse %s^{tree}", m2)));
	payload = t_replace(payload, t_fmt("parent %s", t_git(w.store, "rev-parse %s^", m1)),
	                    t_fmt("parent %s", m2));
	char *lie = t_write_signed(w.store, w.a, payload);
	t_git(w.store, "update-ref '%s' %s", t_ref(w.room, w.a), lie);

	char *out = t_path(w.dir, "out");
	t_ok(t_sh("mkdir '%s'", out), "mkdir");
	t_run r = t_chat_as(w.store, w.b, "save -o '%s' %s", out, lie);
	cr_assert_neq(r.status, 0, "a lying file was saved:\n%s", r.out);
	t_assert_contains(r.err, "20 bytes decrypted");
	t_assert_contains(r.err, "says 10");
	t_run_free(&r);
	cr_assert_str_eq(t_ok(t_sh("ls -A '%s'", out), "ls"), "");
	/* The honest ones still save. */
	t_ok(t_chat_as(w.store, w.b, "save -o '%s' %s", out, m2), "save m2");
	t_ok(t_sh("cmp '%s' '%s/big.txt'", big, out), "cmp");
}

Test(private_files, over_the_limit_is_refused_before_anything_is_written)
{
	world w = setup();
	char *f = t_path(w.dir, "big.bin");
	t_write_file(f, "0123456789012345678901234567890123456789", 40);
	t_git(w.store, "config chat.maxFileBytes 32");
	char *before = t_snapshot(w.store);
	t_run r = t_chat_as(w.store, w.a, "send -r %s -m hi --attach '%s'", w.room, f);
	cr_assert_neq(r.status, 0);
	t_assert_contains(r.err, "over the limit of 32 per file");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(w.store), before, "the refused send wrote something");
	/* Under the limit it goes. */
	t_git(w.store, "config chat.maxFileBytes 40");
	t_ok(t_chat_as(w.store, w.a, "send -r %s -m hi --attach '%s'", w.room, f), "send at the limit");
}

/* The one tree rule, from outside (what the hook and a non-member see):
 * a sealed files/<n> over chat.maxFileBytes plus the age overhead makes
 * the commit invalid. */
Test(private_files, a_sealed_file_over_the_limit_is_invalid)
{
	world w = setup();
	char *m = t_ok(t_chat_as(w.store, w.a, "send -r %s -m hi", w.room), "send");
	t_git(w.store, "config chat.maxFileBytes 32");
	/* 32 + 1024 + 16 + 16 bytes of overhead at most: one more is over. */
	char *blob = t_ok(t_sh("head -c 1089 /dev/zero | git --git-dir='%s' hash-object -w --stdin",
	                     w.store), "blob");
	char *sub = t_ok(t_sh("printf '100644 blob %s\\t1\\n' | git --git-dir='%s' mktree", blob,
	                    w.store), "mktree files");
	char *tree = t_ok(t_sh("printf '040000 tree %s\\tfiles\\n' | git --git-dir='%s' mktree", sub,
	                     w.store), "mktree");
	char *payload = t_commit_payload(w.store, m);
	payload = t_replace(payload, t_fmt("tree %s", t_git(w.store, "rev-parse %s^{tree}", m)),
	                    t_fmt("tree %s", tree));
	payload = t_replace(payload, t_fmt("parent %s", t_git(w.store, "rev-parse %s^", m)),
	                    t_fmt("parent %s", m));
	char *big = t_write_signed(w.store, w.a, payload);
	t_git(w.store, "update-ref '%s' %s", t_ref(w.room, w.a), big);
	t_run r = t_chat_as(w.store, w.b, "verify -r %s", w.room);
	cr_assert_neq(r.status, 0, "an over-limit sealed file verified:\n%s", r.out);
	t_assert_contains(t_fmt("%s%s", r.out, r.err), "over chat.maxFileBytes");
	t_run_free(&r);
	/* One byte less is within the bound: valid, and then the reading
	 * rule finds that the inner message names no file. */
	t_git(w.store, "update-ref '%s' %s", t_ref(w.room, w.a), m);
	blob = t_ok(t_sh("head -c 1088 /dev/zero | git --git-dir='%s' hash-object -w --stdin",
	               w.store), "blob");
	sub = t_ok(t_sh("printf '100644 blob %s\\t1\\n' | git --git-dir='%s' mktree", blob, w.store),
	         "mktree files");
	char *tree2 = t_ok(t_sh("printf '040000 tree %s\\tfiles\\n' | git --git-dir='%s' mktree",
	                      sub, w.store), "mktree");
	char *ok_commit = t_write_signed(w.store, w.a, t_replace(payload, t_fmt("tree %s", tree),
	                                                         t_fmt("tree %s", tree2)));
	t_git(w.store, "update-ref '%s' %s", t_ref(w.room, w.a), ok_commit);
	r = t_chat_as(w.store, w.b, "verify -r %s", w.room);
	cr_assert_neq(r.status, 0);
	char *said = t_fmt("%s%s", r.out, r.err);
	cr_assert(!t_contains(said, "over chat.maxFileBytes"), "%s", said);
	t_assert_contains(said, "names other files than its tree holds");
	t_run_free(&r);
}

/* Names in plain headers in a private room (a client that leaks them):
 * valid as a commit, refused by the reading rules, never shown. */
Test(private_files, plain_chat_file_headers_in_a_private_room_are_refused)
{
	world w = setup();
	char *f = t_path(w.dir, "plan.txt");
	t_write_file(f, "ten bytes\n", 10);
	char *m = t_ok(t_chat_as(w.store, w.a, "send -r %s -m one --attach '%s'", w.room, f),
	               "send");
	char *size = t_git(w.store, "cat-file -s %s:files/1", m);
	char *payload = t_commit_payload(w.store, m);
	payload = t_replace(payload, "\n\n", t_fmt("\nchat-file 1 %s leaked-name.txt\n\n", size));
	payload = t_replace(payload, t_fmt("parent %s", t_git(w.store, "rev-parse %s^", m)),
	                    t_fmt("parent %s", m));
	char *leak = t_write_signed(w.store, w.a, payload);
	t_git(w.store, "update-ref '%s' %s", t_ref(w.room, w.a), leak);
	t_run r = t_chat_as(w.store, w.b, "verify -r %s", w.room);
	cr_assert_neq(r.status, 0);
	t_assert_contains(t_fmt("%s%s", r.out, r.err), "plain chat-file headers");
	t_run_free(&r);
	char *log = t_ok(t_chat_as(w.store, w.b, "log -r %s --color=never", w.room), "log");
	cr_assert_eq(t_count(log, "plan.txt"), 1, "%s", log);
	cr_assert(!t_contains(log, "leaked-name"), "%s", log);
}
