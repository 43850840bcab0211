/*
 * Private rooms (issue 11, DESIGN.md "Private rooms"): real keys, real
 * git, stock `age`. Stock tools read what git-chat writes and git-chat
 * reads what they write; membership (add, remove, re-add, promote,
 * history, a non-admin's change, concurrent admins, a squatted name); the
 * reading rules (a non-member, plaintext, an unknown epoch: reported,
 * never shown); direct messages found again from either side.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>

#include "testchat.h"

/* git-chat as the owner of KEY in STORE (at DATE, for author and
 * committer, when not NULL); the command line is trusted test text. */
static t_run vas(const char *date, const char *store, const char *key, const char *fmt,
                 va_list ap)
{
	char *cmd = NULL;
	t_run r;

	cr_assert(vasprintf(&cmd, fmt, ap) > 0);
	if (date)
		r = t_sh("GIT_AUTHOR_DATE='%s' GIT_COMMITTER_DATE='%s' GIT_DIR='%s' GIT_CHAT_KEY='%s' "
		         "'%s' %s", date, date, store, key, GITCHAT_BIN, cmd);
	else
		r = t_sh("GIT_DIR='%s' GIT_CHAT_KEY='%s' '%s' %s", store, key, GITCHAT_BIN, cmd);
	free(cmd);
	return r;
}

static t_run as(const char *store, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static t_run as(const char *store, const char *key, const char *fmt, ...)
{
	va_list ap;
	t_run r;

	va_start(ap, fmt);
	r = vas(NULL, store, key, fmt, ap);
	va_end(ap);
	return r;
}

static t_run as_at(const char *store, const char *key, const char *date, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static t_run as_at(const char *store, const char *key, const char *date, const char *fmt, ...)
{
	va_list ap;
	t_run r;

	va_start(ap, fmt);
	r = vas(date, store, key, fmt, ap);
	va_end(ap);
	return r;
}

/* Its output after exit 0. */
#define ok t_ok

static char *create(const char *store, const char *key, const char *members)
{
	char *room = ok(as(store, key, "room create --private --title 'Secret plans' %s", members),
	                "room create");
	cr_assert_eq(strlen(room), 25, "room name '%s'", room);
	cr_assert_eq(room[0], '_');
	return room;
}

static char *log_of(const char *store, const char *key, const char *room, t_run *full)
{
	t_run r = as(store, key, "log -r %s --color=never", room);
	char *out = t_keep(strdup(r.out));
	cr_assert_eq(r.status, 0, "log failed: %s", r.err);
	if (full)
		*full = r;
	else
		t_run_free(&r);
	return out;
}

/* The genesis (the root of the founder's log) and its epoch recipient. */
static char *genesis(const char *store, const char *room, const char *founder)
{
	return t_git(store, "rev-list --max-parents=0 '%s'", t_ref(room, founder));
}

static char *header(const char *store, const char *oid, const char *name)
{
	return t_git(store, "cat-file commit %s | sed -n 's/^%s //p' | head -1", oid, name);
}


Test(private, stock_age_reads_what_git_chat_writes)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, t_fmt("--member %s.pub", w.b));
	char *m = ok(as(w.store, w.a, "send -r %s -m 'meet at noon'", room), "send");
	char *g = genesis(w.store, room, w.a), *ek = t_path(w.dir, "epoch.key");

	/* DESIGN.md "With stock tools", as a member: bob's own key file. */
	ok(t_sh("git --git-dir='%s' show %s:epoch.age | age -d -i '%s' > '%s'", w.store, g, w.b, ek),
	   "age -d epoch.age");
	char *inner = ok(t_sh("git --git-dir='%s' log -1 --format=%%B %s | age -d -i '%s'",
	                      w.store, m, ek), "age -d message");
	t_assert_contains(inner, "meet at noon");
	/* The epoch is the one the message names. */
	char *rec = ok(t_sh("age-keygen -y '%s'", ek), "age-keygen -y");
	cr_assert_str_eq(rec, header(w.store, m, "chat-epoch"));
	/* Nothing readable in the commit itself. */
	cr_assert(!t_contains(t_git(w.store, "cat-file commit %s", m), "noon"));
	/* carol, no member, cannot open the epoch. */
	t_run r = t_sh("git --git-dir='%s' show %s:epoch.age | age -d -i '%s'", w.store, g, w.c);
	cr_assert_neq(r.status, 0);
	t_run_free(&r);
}

/* docs/private-rooms.md's worked example, run as written (the room, the
 * author and the key file put in). */
Test(private, the_documented_stock_tools_example_runs)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, t_fmt("--member %s.pub", w.b));
	char *doc = t_keep(t_read_file(GITCHAT_SOURCE_DIR "/docs/private-rooms.md", NULL));
	char *at = strstr(doc, "## Reading a private room with `git` and `age` alone");
	cr_assert(at);
	char *start = strstr(at, "```\n"), *end;
	cr_assert(start);
	start += 4;
	end = strstr(start, "```");
	cr_assert(end);
	char *script = t_strndup(start, (size_t)(end - start));
	ok(as(w.store, w.a, "send -r %s -m 'read with stock tools'", room), "send");
	script = t_replace(script, "R=_1bf9b124a29781e54d5e9890", t_fmt("R=%s", room));
	script = t_replace(script, "<author's 64 hex>", t_key_hex(w.a));
	script = t_replace(script, "~/.config/git-chat/id_ed25519", w.b);
	t_write_file(t_path(w.dir, "example.sh"), script, strlen(script));
	char *out = ok(t_sh("cd '%s' && GIT_DIR='%s' sh -e example.sh", w.dir, w.store), "example");
	t_assert_contains(out, "\nread with stock tools");
}

Test(private, git_chat_reads_what_stock_age_and_ssh_keygen_write)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, t_fmt("--member %s.pub", w.b));
	char *g = genesis(w.store, room, w.a), *epoch = header(w.store, g, "chat-epoch");
	char *inner = t_path(w.dir, "inner");
	char *head = t_git(w.store, "rev-parse %s", t_ref(room, w.a));

	t_write_file(inner, "\nwritten by stock age\n", 22);
	char *body = ok(t_sh("age -a -r %s '%s'", epoch, inner), "age -a");
	char *payload = t_fmt("tree " "4b825dc642cb6eb9a060e54bf8d69288fbee4904" "\nparent %s\n"
	                      "author Bob <bob@example.org> 1764150000 +0000\n"
	                      "committer Bob <bob@example.org> 1764150000 +0000\n"
	                      "chat-room %s\nchat-epoch %s\n\n%s\n", head, room, epoch, body);
	char *sig = t_sign_sshkeygen(w.b, "git", payload, strlen(payload));
	char *id = t_write_commit(w.store, t_commit_with_signature(payload, sig));
	t_git(w.store, "update-ref %s %s", t_ref(room, w.b), id);
	t_assert_contains(log_of(w.store, w.b, room, NULL), "written by stock age");
	t_assert_contains(log_of(w.store, w.a, room, NULL), "written by stock age");
}

/* A commit by KEY on PARENT in ROOM with extra headers and a body. */
static char *forge(const t_trio *w, const char *key, const char *room, const char *parent,
                   const char *headers, const char *body)
{
	char *payload = t_fmt("tree " "4b825dc642cb6eb9a060e54bf8d69288fbee4904" "\nparent %s\n"
	                      "author X <x@example.org> 1764150000 +0000\n"
	                      "committer X <x@example.org> 1764150000 +0000\n"
	                      "chat-room %s\n%s\n%s\n", parent, room, headers, body);
	return t_write_signed(w->store, key, payload);
}

static char *sealed(const t_trio *w, const char *epoch, const char *text)
{
	char *inner = t_path(w->dir, "inner");
	char *plain = t_fmt("\n%s\n", text);
	t_write_file(inner, plain, strlen(plain));
	return ok(t_sh("age -a -r %s '%s'", epoch, inner), "age -a");
}

Test(private, planted_messages_are_reported_and_never_shown)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, t_fmt("--member %s.pub", w.b));
	char *g = genesis(w.store, room, w.a), *epoch = header(w.store, g, "chat-epoch");
	char *head = ok(as(w.store, w.b, "send -r %s -m 'a real message'", room), "send");
	t_run r;

	/* carol is no member: she encrypts to the (public) epoch recipient. */
	char *n = forge(&w, w.c, room, head, t_fmt("chat-epoch %s\n", epoch),
	                sealed(&w, epoch, "NONMEMBER-TEXT"));
	t_git(w.store, "update-ref %s %s", t_ref(room, w.c), n);
	/* bob, a member, in plaintext, then in an epoch nobody opened. */
	char *p = forge(&w, w.b, room, head, "", "PLAINTEXT-TEXT");
	char *u = forge(&w, w.b, room, p,
	                "chat-epoch age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n",
	                "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----");
	/* and one in the right epoch whose body does not decrypt */
	char *g2 = forge(&w, w.b, room, u, t_fmt("chat-epoch %s\n", epoch),
	                 "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----");
	t_git(w.store, "update-ref %s %s", t_ref(room, w.b), g2);

	char *out = log_of(w.store, w.a, room, &r);
	t_assert_contains(out, "a real message");
	for (int i = 0; i < 3; i++)
		cr_assert(!t_contains(out, (const char *[]){ "NONMEMBER", "PLAINTEXT", "age1ql3" }[i]),
		          "shown:\n%s", out);
	t_assert_contains(r.err, n);
	t_assert_contains(r.err, "not a member");
	t_assert_contains(r.err, p);
	t_assert_contains(r.err, "plaintext");
	t_assert_contains(r.err, u);
	t_assert_contains(r.err, "epoch");
	t_assert_contains(r.err, g2);
	t_assert_contains(r.err, "does not decrypt");
	t_run_free(&r);

	r = as(w.store, w.a, "log -r %s --format=json", room);
	cr_assert_eq(r.status, 0);
	t_assert_contains(r.out, "a real message");
	cr_assert(!t_contains(r.out, "NONMEMBER") && !t_contains(r.out, "PLAINTEXT"));
	cr_assert_eq(t_count_lines(r.out), 1, "json:\n%s", r.out);
	t_run_free(&r);

	r = as(w.store, w.a, "export -r %s -o -", room);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "a real message");
	cr_assert(!t_contains(r.out, "NONMEMBER") && !t_contains(r.out, "PLAINTEXT"));
	t_assert_contains(r.err, "plaintext");   /* the warning about the page */
	t_run_free(&r);

	r = as(w.store, w.a, "verify -r %s", room);
	cr_assert_eq(r.status, 1, "verify: %d\n%s%s", r.status, r.out, r.err);
	t_assert_contains(r.out, n);
	t_assert_contains(r.out, p);
	t_assert_contains(r.out, u);
	t_assert_contains(r.out, g2);
	t_run_free(&r);
}

Test(private, membership_add_remove_readd_promote_history)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, "");
	char *bhex = t_key_hex(w.b), *chex = t_key_hex(w.c), *ek = t_path(w.dir, "ek");
	t_run r;

	ok(as(w.store, w.a, "send -r %s -m 'before bob'", room), "send");
	/* without history: bob reads from his addition on */
	ok(as(w.store, w.a, "member add -r %s %s", room, bhex), "member add");
	ok(as(w.store, w.a, "send -r %s -m 'after bob'", room), "send");
	char *out = log_of(w.store, w.b, room, NULL);
	t_assert_contains(out, "after bob");
	cr_assert(!t_contains(out, "before bob"), "%s", out);
	/* with history: carol reads everything */
	ok(as(w.store, w.a, "member add -r %s %s.pub --history", room, w.c), "member add --history");
	out = log_of(w.store, w.c, room, NULL);
	t_assert_contains(out, "before bob");
	t_assert_contains(out, "after bob");
	/* bob is no admin: his change is refused here ... */
	r = as(w.store, w.b, "member remove -r %s %s", room, chex);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "not an admin");
	t_run_free(&r);
	/* ... and, written anyway, ignored and reported */
	char *bhead = t_git(w.store, "rev-parse %s", t_ref(room, w.a));
	char *x = forge(&w, w.b, room, bhead, t_fmt("chat-member-remove %s\n", chex),
	                sealed(&w, header(w.store, genesis(w.store, room, w.a), "chat-epoch"), "x"));
	t_git(w.store, "update-ref %s %s", t_ref(room, w.b), x);
	out = ok(as(w.store, w.a, "member list -r %s", room), "member list");
	t_assert_contains(out, chex);
	r = as(w.store, w.a, "log -r %s", room);
	t_assert_contains(r.err, x);
	t_assert_contains(r.err, "not an admin");
	t_run_free(&r);
	/* promote bob; then he may remove carol */
	ok(as(w.store, w.a, "member add -r %s %s --admin", room, bhex), "promote");
	t_assert_contains(ok(as(w.store, w.a, "member list -r %s", room), "list"),
	                  t_fmt("%s", bhex));
	ok(as(w.store, w.b, "member remove -r %s %s", room, chex), "remove by a promoted admin");
	char *after = ok(as(w.store, w.a, "send -r %s -m 'carol is gone'", room), "send");
	out = ok(as(w.store, w.a, "member list -r %s", room), "list");
	cr_assert(!t_contains(out, chex), "%s", out);
	cr_assert(t_contains(out, t_fmt("%s SHA256:", bhex)) && t_contains(out, "admin"));
	/* carol cannot read what came after, with git-chat or stock age */
	out = log_of(w.store, w.c, room, NULL);
	cr_assert(!t_contains(out, "carol is gone"), "%s", out);
	char *ep = header(w.store, after, "chat-epoch");
	char *opener = t_git(w.store, "log --format=%%H %s | while read c; do "
	                     "git --git-dir='%s' cat-file commit $c | grep -q '^chat-epoch %s' && "
	                     "git --git-dir='%s' ls-tree $c | grep -q epoch.age && echo $c; done | head -1",
	                     t_ref(room, w.b), w.store, ep, w.store);
	cr_assert(*opener, "no epoch commit for %s", ep);
	r = t_sh("git --git-dir='%s' show %s:epoch.age | age -d -i '%s' > '%s'", w.store, opener,
	         w.c, ek);
	cr_assert_neq(r.status, 0, "carol opened the epoch after her removal");
	t_run_free(&r);
	/* re-added (bob is admin now), carol reads new messages again */
	ok(as(w.store, w.b, "member add -r %s %s", room, chex), "re-add");
	ok(as(w.store, w.a, "send -r %s -m 'welcome back'", room), "send");
	t_assert_contains(log_of(w.store, w.c, room, NULL), "welcome back");
}

Test(private, a_squatted_room_is_invalid)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, "");
	char *g = genesis(w.store, room, w.a);
	char *raw = t_git(w.store, "cat-file commit %s | sed '/^gpgsig/,/END SSH SIGNATURE/d'", g);
	/* mallory (carol) copies the genesis under her key with other bytes:
	 * the name does not come from her key and those bytes. */
	char *nonce = header(w.store, g, "chat-genesis");
	char *fake = t_replace(t_replace(raw, nonce, "00000000000000000000000000000000"),
	                       t_key_hex(w.a), t_key_hex(w.c));
	char *sroom = "_000000000000000000000000";
	char *sfake = t_replace(fake, room, sroom);
	char *id = t_write_signed(w.store, w.c, t_fmt("%s\n", sfake));
	t_git(w.store, "update-ref %s %s", t_ref(sroom, w.c), id);
	t_run r = as(w.store, w.c, "log -r %s", sroom);
	t_assert_contains(r.err, "genesis");
	t_run_free(&r);
	r = as(w.store, w.c, "send -r %s -m hi", sroom);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "no valid genesis");
	t_run_free(&r);
	r = as(w.store, w.c, "member list -r %s", sroom);
	cr_assert_eq(r.status, 128);
	t_run_free(&r);
}

Test(private, edits_reactions_replies_and_titles_inside)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, t_fmt("--member %s.pub", w.b));
	char *m = ok(as(w.store, w.a, "send -r %s -m 'first draft'", room), "send");
	ok(as(w.store, w.a, "edit %s -m 'final text'", m), "edit");
	ok(as(w.store, w.b, "react %s 'TADA'", m), "react");
	ok(as(w.store, w.b, "send -r %s --reply %s -m 'a reply'", room, m), "reply");
	ok(as(w.store, w.a, "room title -r %s 'New title'", room), "title");
	t_run r;
	char *out = log_of(w.store, w.b, room, &r);
	t_assert_contains(out, "final text");
	cr_assert(!t_contains(out, "first draft"), "%s", out);
	t_assert_contains(out, "TADA");
	t_assert_contains(out, "a reply");
	cr_assert(!t_contains(out, "New title"), "a title is no message:\n%s", out);
	cr_assert_eq(r.err[0], '\0', "warnings: %s", r.err);
	t_run_free(&r);
	t_assert_contains(ok(as(w.store, w.b, "rooms"), "rooms"), "New title");
	/* nothing of it in the objects */
	char *all = t_git(w.store, "cat-file --batch-all-objects --batch");
	cr_assert(!t_contains(all, "final text") && !t_contains(all, "TADA") &&
	          !t_contains(all, "New title") && !t_contains(all, "Secret plans") &&
	          !t_contains(all, t_fmt("chat-reply %s", m)));
}

Test(private, a_dm_is_found_again_from_both_sides)
{
	t_trio w = t_trio_new();
	char *other = t_store(w.dir, "b.git");
	char *bhex = t_key_hex(w.b), *ahex = t_key_hex(w.a);
	char *room = ok(as(w.store, w.a, "dm %s", bhex), "dm");
	cr_assert_str_eq(ok(as(w.store, w.a, "dm %s.pub", w.b), "dm again"), room);
	ok(as(w.store, w.a, "send --dm %s -m 'psst'", bhex), "send --dm");
	ok(as(other, w.b, "sync '%s'", w.store), "sync");
	cr_assert_str_eq(ok(as(other, w.b, "dm %s", ahex), "dm from b"), room);
	/* KEY as a fingerprint of an author seen in the store */
	cr_assert_str_eq(ok(as(other, w.b, "dm %s", t_fingerprint(w.a)), "dm by fingerprint"), room);
	t_assert_contains(log_of(other, w.b, room, NULL), "psst");
	t_assert_contains(ok(as(other, w.b, "rooms"), "rooms"), t_fingerprint(w.a));
	/* both start one offline: after a sync both pick the same */
	char *c1 = t_store(w.dir, "c1.git"), *c2 = t_store(w.dir, "c2.git");
	char *r1 = ok(as(c1, w.a, "dm %s", t_key_hex(w.c)), "dm a->c");
	char *r2 = ok(as(c2, w.c, "dm %s", ahex), "dm c->a");
	cr_assert_str_neq(r1, r2);
	ok(as(c1, w.a, "sync '%s'", c2), "sync");
	char *pick = strcmp(r1, r2) < 0 ? r1 : r2;
	cr_assert_str_eq(ok(as(c1, w.a, "dm %s", t_key_hex(w.c)), "dm"), pick);
	cr_assert_str_eq(ok(as(c2, w.c, "dm %s", ahex), "dm"), pick);
}

Test(private, concurrent_admins_converge)
{
	t_trio w = t_trio_new();
	char *r1 = w.store, *r2 = t_store(w.dir, "two.git");
	char *room = create(r1, w.a, t_fmt("--member %s.pub", w.b));
	char *chex = t_key_hex(w.c), *bhex = t_key_hex(w.b);

	ok(as(r1, w.a, "member add -r %s %s --admin", room, bhex), "promote bob");
	ok(as(r2, w.b, "sync '%s'", r1), "sync");
	/* offline: alice adds carol, bob removes himself... and alice
	 * demotes nobody; both send */
	ok(as(r1, w.a, "member add -r %s %s", room, chex), "add carol");
	ok(as(r1, w.a, "send -r %s -m 'from alice offline'", room), "send");
	ok(as(r2, w.b, "member add -r %s %s --admin", room, chex), "add carol as admin");
	ok(as(r2, w.b, "send -r %s -m 'from bob offline'", room), "send");
	ok(as(r2, w.b, "sync '%s'", r1), "sync");
	ok(as(r1, w.a, "sync '%s'", r2), "sync");
	char *l1 = ok(as(r1, w.a, "member list -r %s", room), "list");
	char *l2 = ok(as(r2, w.b, "member list -r %s", room), "list");
	cr_assert_str_eq(l1, l2);
	char *j1 = ok(as(r1, w.a, "log -r %s --format=json", room), "log");
	char *j2 = ok(as(r2, w.b, "log -r %s --format=json", room), "log");
	cr_assert_str_eq(j1, j2);
	t_assert_contains(j1, "from alice offline");
	t_assert_contains(j1, "from bob offline");
}

/* ---- the membership cache beside the order index ---- */

static char *cache_path(const char *store, const char *room)
{
	return t_fmt("%s/chat/index/%s+members", store, room);
}

static void sh_ok(const char *cmd)
{
	t_run r = t_sh("%s", cmd);
	cr_assert_eq(r.status, 0, "%s: %s", cmd, r.err);
	t_run_free(&r);
}

/* What `log` prints (both streams) with the cache as it is, then with the
 * cache gone (a cold read, which writes it again): they must be equal. */
static void assert_cold_equal(const char *store, const char *key, const char *room)
{
	t_run warm = as(store, key, "log -r %s --format=json", room), cold;
	char *head = t_fmt("%s-head", cache_path(store, room));

	cr_assert_eq(warm.status, 0, "log: %s", warm.err);
	cr_assert_eq(access(cache_path(store, room), F_OK), 0, "no membership cache after a log");
	cr_assert_eq(unlink(cache_path(store, room)), 0);
	unlink(head);
	cold = as(store, key, "log -r %s --format=json", room);
	cr_assert_eq(cold.status, 0, "cold log: %s", cold.err);
	cr_assert_str_eq(warm.out, cold.out, "the cache changed what log shows");
	cr_assert_str_eq(warm.err, cold.err, "the cache changed what log reports");
	t_run_free(&warm);
	t_run_free(&cold);
}

Test(private, the_cache_reads_as_a_cold_read_after_an_out_of_order_removal)
{
	t_trio w = t_trio_new();
	char *r1 = w.store, *r2 = t_store(w.dir, "bob.git"), *r3 = t_store(w.dir, "carol.git");
	char *room = create(r1, w.a, t_fmt("--member %s.pub --member %s.pub", w.b, w.c));
	char *bhex = t_key_hex(w.b), *chex = t_key_hex(w.c), *j;

	ok(as(r1, w.a, "member add -r %s %s --admin", room, bhex), "promote bob");
	ok(as(r1, w.a, "send -r %s -m 'before anything'", room), "send");
	ok(as(r2, w.b, "sync '%s'", r1), "bob syncs");
	ok(as(r3, w.c, "sync '%s'", r1), "carol syncs");
	/* offline: bob removes carol first, carol speaks later */
	ok(as_at(r2, w.b, "@2000000000 +0000", "member remove -r %s %s", room, chex), "remove carol");
	ok(as_at(r3, w.c, "@2000000100 +0000", "send -r %s -m 'carol, not knowing'", room), "send");
	ok(as(r1, w.a, "sync '%s'", r3), "alice gets carol's message");
	j = ok(as(r1, w.a, "log -r %s --format=json", room), "log");
	t_assert_contains(j, "carol, not knowing");
	/* the removal arrives after, and goes before carol's message */
	ok(as(r1, w.a, "sync '%s'", r2), "alice gets bob's removal");
	j = ok(as(r1, w.a, "log -r %s --format=json", room), "log");
	cr_assert(!strstr(j, "carol, not knowing"), "a removed member's message shown:\n%s", j);
	assert_cold_equal(r1, w.a, room);
	/* and an add arriving out of order: carol back, her new word shown */
	ok(as_at(r2, w.b, "@2000000200 +0000", "member add -r %s %s", room, chex), "re-add");
	ok(as_at(r1, w.a, "@2000000300 +0000", "send -r %s -m 'alice meanwhile'", room), "send");
	ok(as(r1, w.a, "log -r %s -n 5", room), "warm the cache");
	ok(as(r1, w.a, "sync '%s'", r2), "alice gets the re-add");
	assert_cold_equal(r1, w.a, room);
	ok(as(r1, w.a, "log -r %s -n 2", room), "log");
	assert_cold_equal(r1, w.a, room);
}

/* A warm page of a room whose messages all pass the rules judges only
 * its events (gitchat_members_messages_clean): a non-admin's change among
 * them is still reported, the same as a cold read that walks everything. */
Test(private, a_warm_read_reports_an_ignored_event_as_a_cold_read_does)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, t_fmt("--member %s.pub --member %s.pub", w.b, w.c));
	char *chex = t_key_hex(w.c), *bhead, *x;
	t_run r;

	ok(as(w.store, w.a, "send -r %s -m 'one'", room), "send");
	ok(as(w.store, w.b, "send -r %s -m 'two'", room), "send");
	bhead = t_git(w.store, "rev-parse %s", t_ref(room, w.b));
	x = forge(&w, w.b, room, bhead, t_fmt("chat-member-remove %s\n", chex),
	          sealed(&w, header(w.store, genesis(w.store, room, w.a), "chat-epoch"), "x"));
	t_git(w.store, "update-ref %s %s", t_ref(room, w.b), x);
	ok(as(w.store, w.a, "send -r %s -m 'three'", room), "send");
	ok(as(w.store, w.a, "log -r %s", room), "log (writes the cache)");
	r = as(w.store, w.a, "log -r %s -n 1", room);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "three");
	t_assert_contains(r.err, x);
	t_assert_contains(r.err, "not an admin");
	t_run_free(&r);
	assert_cold_equal(w.store, w.a, room);
}

Test(private, a_send_takes_the_membership_from_the_cache_not_the_room)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, t_fmt("--member %s.pub", w.b));
	char *ix = t_fmt("%s/chat/index/%s", w.store, room), *j;

	ok(as(w.store, w.a, "send -r %s -m one", room), "send");
	ok(as(w.store, w.a, "log -r %s", room), "log");
	/* Without the order index, a send that loaded the room would write
	 * it again: this one reads the cache's head and the new commits. */
	cr_assert_eq(unlink(ix), 0);
	ok(as(w.store, w.a, "send -r %s -m two", room), "send");
	ok(as(w.store, w.a, "send -r %s -m three", room), "send");
	cr_assert_neq(access(ix, F_OK), 0, "the send loaded the whole room");
	j = ok(as(w.store, w.b, "log -r %s --format=json", room), "log");
	t_assert_contains(j, "\"three\"");
	/* A membership change since (an event): the send loads the room and
	 * opens the new epoch for exactly the members now. */
	ok(as(w.store, w.a, "member remove -r %s %s", room, t_key_hex(w.b)), "remove bob");
	cr_assert_eq(unlink(ix), 0);
	ok(as(w.store, w.a, "send -r %s -m 'without bob'", room), "send");
	cr_assert_eq(access(ix, F_OK), 0, "the send after an event did not load the room");
	j = ok(as(w.store, w.b, "log -r %s --format=json", room), "log");
	cr_assert(!strstr(j, "without bob"), "a removed member reads what came after:\n%s", j);
	j = ok(as(w.store, w.a, "log -r %s --format=json", room), "log");
	t_assert_contains(j, "without bob");
}

Test(private, a_damaged_or_foreign_cache_is_never_trusted)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, t_fmt("--member %s.pub", w.b));
	char *other = create(w.store, w.a, "");
	char *cp, *j0, *j;

	ok(as(w.store, w.a, "send -r %s -m hello", room), "send");
	j0 = ok(as(w.store, w.a, "log -r %s --format=json", room), "log");
	cp = cache_path(w.store, room);
	/* torn */
	cr_assert_eq(truncate(cp, 100), 0);
	j = ok(as(w.store, w.a, "log -r %s --format=json", room), "log");
	cr_assert_str_eq(j, j0);
	/* a byte flipped in the body */
	t_flip_byte(cp, 300);
	j = ok(as(w.store, w.a, "log -r %s --format=json", room), "log");
	cr_assert_str_eq(j, j0);
	/* another room's cache (alice alone there): bob stays a member here */
	ok(as(w.store, w.a, "log -r %s", other), "log other");
	sh_ok(t_fmt("cp '%s' '%s' && cp '%s-head' '%s-head'", cache_path(w.store, other), cp,
	            cache_path(w.store, other), cp));
	ok(as(w.store, w.a, "send -r %s -m 'still to bob'", room), "send");
	j = ok(as(w.store, w.b, "log -r %s --format=json", room), "bob reads");
	t_assert_contains(j, "still to bob");
	j = ok(as(w.store, w.a, "member list -r %s", room), "list");
	t_assert_contains(j, t_key_hex(w.b));
}

/* DESIGN.md "Linked devices": a member who is not an admin may add their
 * own linked devices (linked both ways), never as admins, never someone
 * else's key or a one-sided claim; such a change written anyway counts
 * only when the links hold. */
Test(private, a_member_adds_their_own_linked_device)
{
	t_trio w = t_trio_new();
	char *b2 = t_keygen(w.dir, "bob-phone", 1), *b3 = t_keygen(w.dir, "bob-old", 1);
	char *bhex = t_key_hex(w.b), *b2hex = t_key_hex(b2), *b3hex = t_key_hex(b3);
	char *chex = t_key_hex(w.c), *room = create(w.store, w.a, "");
	t_run r;

	ok(as(w.store, w.a, "member add -r %s %s", room, bhex), "member add bob");
	ok(as(w.store, w.b, "device add %s", b2hex), "bob links his phone");
	ok(as(w.store, b2, "device add %s", bhex), "the phone links bob");
	ok(as(w.store, w.b, "device add %s", b3hex), "bob's one-sided claim");
	/* not an admin: someone else, a one-sided device, a device as admin */
	r = as(w.store, w.b, "member add -r %s %s", room, chex);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "not an admin");
	t_run_free(&r);
	r = as(w.store, w.b, "member add -r %s %s", room, b3hex);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_run_free(&r);
	r = as(w.store, w.b, "member add -r %s %s --admin", room, b2hex);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_run_free(&r);
	/* his own linked device: counted, and it reads what comes after */
	ok(as(w.store, w.b, "member add -r %s %s", room, b2hex), "bob adds his phone");
	char *out = ok(as(w.store, w.a, "member list -r %s", room), "member list");
	t_assert_contains(out, b2hex);
	cr_assert(!t_contains(out, b3hex) && !t_contains(out, chex), "%s", out);
	ok(as(w.store, w.a, "send -r %s -m 'hello phone'", room), "send");
	t_assert_contains(log_of(w.store, b2, room, NULL), "hello phone");
	ok(as(w.store, b2, "send -r %s -m 'from the phone'", room), "the phone sends");
	t_assert_contains(log_of(w.store, w.a, room, NULL), "from the phone");
	/* bob's one-sided device, added anyway: ignored and reported */
	char *bhead = t_git(w.store, "rev-parse %s", t_ref(room, w.b));
	char *ep = header(w.store, bhead, "chat-epoch");
	cr_assert(*ep, "no epoch on bob's head");
	char *x = forge(&w, w.b, room, bhead, t_fmt("chat-member-add %s member\n", b3hex),
	                sealed(&w, ep, "x"));
	t_git(w.store, "update-ref %s %s", t_ref(room, w.b), x);
	out = ok(as(w.store, w.a, "member list -r %s", room), "member list");
	cr_assert(!t_contains(out, b3hex), "%s", out);
	r = as(w.store, w.a, "log -r %s", room);
	t_assert_contains(r.err, x);
	t_assert_contains(r.err, "nor adds only their own linked devices");
	t_run_free(&r);
}

/* An unlink changes the `_identity` room, not this room's refs: a
 * membership that read the links is never taken warm from the cache. */
Test(private, an_unlink_is_seen_through_the_membership_cache)
{
	t_trio w = t_trio_new();
	char *b2 = t_keygen(w.dir, "bob-phone", 1), *b2hex = t_key_hex(b2);
	char *room = create(w.store, w.a, ""), *out;

	ok(as(w.store, w.a, "member add -r %s %s", room, t_key_hex(w.b)), "member add bob");
	ok(as(w.store, w.b, "device add %s", b2hex), "bob links his phone");
	ok(as(w.store, b2, "device add %s", t_key_hex(w.b)), "the phone links bob");
	ok(as(w.store, w.b, "member add -r %s %s", room, b2hex), "bob adds his phone");
	out = ok(as(w.store, w.a, "member list -r %s", room), "member list");
	t_assert_contains(out, b2hex);
	ok(as(w.store, w.a, "log -r %s", room), "log: the cache written");
	ok(as(w.store, w.b, "device remove %s", b2hex), "bob unlinks the phone");
	out = ok(as(w.store, w.a, "member list -r %s", room), "member list");
	cr_assert(!t_contains(out, b2hex), "an unlinked device kept its seat:\n%s", out);
}

/* ---- the reader's sealed cache of decrypted messages (keycache.h) ---- */

static char *sealed_path(const char *store, const char *room, const char *key)
{
	return t_fmt("%s/chat/index/%s+sealed-%.16s", store, room, t_key_hex(key));
}

/* The file's bytes (it must be there), kept. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	cr_assert(f, "no sealed cache at %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	b = t_keep(malloc((size_t)n + 1));
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* `log` (text) and `log --format=json`, both streams, as one string. */
static char *both_logs(const char *store, const char *key, const char *room)
{
	t_run t = as(store, key, "log -r %s --color=never", room);
	t_run j = as(store, key, "log -r %s --format=json", room);
	char *all;

	cr_assert_eq(t.status, 0, "log: %s", t.err);
	cr_assert_eq(j.status, 0, "log --format=json: %s", j.err);
	all = t_fmt("%s\n--stderr--\n%s\n--json--\n%s\n--stderr--\n%s", t.out, t.err, j.out, j.err);
	t_run_free(&t);
	t_run_free(&j);
	return all;
}

/* A room with every kind of inner message: edits, reactions, replies, a
 * title, a file. */
static char *busy_room(const t_trio *w)
{
	char *room = create(w->store, w->a, t_fmt("--member %s.pub --member %s.pub", w->b, w->c));
	char *f = t_fmt("%s/plans.txt", w->dir), *m;

	sh_ok(t_fmt("printf 'the file inside' > '%s'", f));
	m = ok(as(w->store, w->a, "send -r %s -m 'first draft'", room), "send");
	ok(as(w->store, w->a, "edit %s -m 'final text'", m), "edit");
	ok(as(w->store, w->b, "react %s 'TADA'", m), "react");
	ok(as(w->store, w->b, "send -r %s --reply %s -m 'a reply'", room, m), "reply");
	ok(as(w->store, w->a, "room title -r %s 'New title'", room), "title");
	ok(as(w->store, w->c, "send -r %s -m 'with a file' --attach '%s'", room, f), "attach");
	return room;
}

Test(private, a_warm_read_from_the_sealed_cache_shows_what_a_cold_read_does)
{
	t_trio w = t_trio_new();
	char *room = busy_room(&w), *sp = sealed_path(w.store, room, w.b), *cold, *warm, *bytes;
	const char *texts[] = { "final text", "first draft", "TADA", "a reply", "New title",
	                        "plans.txt", "with a file", "Secret plans" };
	size_t len;
	struct stat st;

	unlink(sp);
	cold = both_logs(w.store, w.b, room);
	t_assert_contains(cold, "final text");
	t_assert_contains(cold, "plans.txt");
	/* the cold read kept what it decrypted, sealed: no text, the reader's alone */
	bytes = slurp(sp, &len);
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++)
		cr_assert(!memmem(bytes, len, texts[i], strlen(texts[i])),
		          "'%s' in the clear in the sealed cache", texts[i]);
	cr_assert_eq(stat(sp, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "the sealed cache is mode %o", st.st_mode & 0777);
	warm = both_logs(w.store, w.b, room);
	cr_assert_str_eq(warm, cold, "the sealed cache changed what log shows");
	t_assert_contains(ok(as(w.store, w.b, "rooms"), "rooms"), "New title");
	/* a message since is decrypted, the rest read from the cache */
	ok(as(w.store, w.a, "send -r %s -m 'one more'", room), "send");
	warm = both_logs(w.store, w.b, room);
	unlink(sp);
	cold = both_logs(w.store, w.b, room);
	cr_assert_str_eq(warm, cold, "a cache missing the newest message reads otherwise");
	t_assert_contains(warm, "one more");
}

/* Damage of the sealed cache at `at` (-1: cut it to `cut` bytes): the
 * same output as cold, and the file written again (then left alone). */
static void damage_and_read(const t_trio *w, const char *room, const char *sp, const char *cold,
                            long at, long cut)
{
	size_t len, len2, len3;
	char *bad, *after, *again;

	if (at >= 0)
		t_flip_byte(sp, (size_t)at);
	else
		cr_assert_eq(truncate(sp, cut), 0);
	bad = slurp(sp, &len);
	cr_assert_str_eq(both_logs(w->store, w->b, room), cold, "damage at %ld changed the output", at);
	after = slurp(sp, &len2);
	cr_assert(len2 != len || memcmp(bad, after, len), "damage at %ld: not written again", at);
	cr_assert_str_eq(both_logs(w->store, w->b, room), cold);
	again = slurp(sp, &len3);
	cr_assert(len3 == len2 && !memcmp(after, again, len2),
	          "damage at %ld: the file written again was not whole", at);
}

Test(private, a_damaged_sealed_cache_reads_as_cold_and_is_written_again)
{
	t_trio w = t_trio_new();
	char *room = busy_room(&w), *sp = sealed_path(w.store, room, w.b), *cold;
	size_t len;

	cold = both_logs(w.store, w.b, room);
	slurp(sp, &len);
	cr_assert_gt(len, 32 + 112 + 28);
	damage_and_read(&w, room, sp, cold, 8, 0);                /* the version */
	damage_and_read(&w, room, sp, cold, 32 + 100, 0);         /* a block's offset */
	damage_and_read(&w, room, sp, cold, (long)len - 5, 0);    /* sealed bytes */
	slurp(sp, &len);
	damage_and_read(&w, room, sp, cold, -1, (long)len / 2);   /* torn */
	damage_and_read(&w, room, sp, cold, -1, 3);
	/* another reader's cache in its place: opens nothing, written again */
	both_logs(w.store, w.c, room);
	sh_ok(t_fmt("cp '%s' '%s'", sealed_path(w.store, room, w.c), sp));
	cr_assert_str_eq(both_logs(w.store, w.b, room), cold);
	cr_assert_str_eq(both_logs(w.store, w.b, room), cold);
}

Test(private, a_sealed_cache_opens_nothing_its_reader_has_no_epoch_for)
{
	t_trio w = t_trio_new();
	char *room = create(w.store, w.a, t_fmt("--member %s.pub --member %s.pub", w.b, w.c));
	char *cs = sealed_path(w.store, room, w.c), *as_ = sealed_path(w.store, room, w.a);
	char *before, *cold, *out;

	ok(as(w.store, w.a, "send -r %s -m 'while carol was in'", room), "send");
	before = both_logs(w.store, w.c, room);
	t_assert_contains(before, "while carol was in");
	ok(as(w.store, w.a, "member remove -r %s %s", room, t_key_hex(w.c)), "remove carol");
	ok(as(w.store, w.a, "send -r %s -m 'after carol left'", room), "send");
	t_assert_contains(both_logs(w.store, w.a, room), "after carol left");
	/* carol's own cache, from before: nothing new */
	out = both_logs(w.store, w.c, room);
	cr_assert(!strstr(out, "after carol left"), "%s", out);
	unlink(cs);
	cold = both_logs(w.store, w.c, room);
	cr_assert_str_eq(out, cold);
	/* alice's cache (it holds the new epoch) as carol's: nothing new either */
	sh_ok(t_fmt("cp '%s' '%s'", as_, cs));
	cr_assert_str_eq(both_logs(w.store, w.c, room), cold);
	sh_ok(t_fmt("cp '%s' '%s'", as_, cs));
	out = ok(as(w.store, w.c, "log -r %s --format=json", room), "log");
	cr_assert(!strstr(out, "after carol left"), "%s", out);
}
