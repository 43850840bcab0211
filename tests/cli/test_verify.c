/*
 * `git chat verify` and `git chat log` on a store that another tool has
 * tampered with: verify names every bad log (ref, commit, reason) and exits
 * 1; log shows exactly the valid messages and warns about the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

typedef struct {
	char *key, *hex, *ref;
	char *msgs[3];
} author;

static void make_author(author *a, const char *dir, const char *name, int ours)
{
	a->key = t_keygen(dir, name, ours);
	a->hex = t_key_hex(a->key);
	a->ref = t_ref("general", a->key);
}

static void send_n(author *a, const char *store, const char *name, int n)
{
	char text[32];
	for (int i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%s%d", name, i + 1);
		a->msgs[i] = t_send(store, a->key, "general", text);
	}
}

static void set_ref(const char *store, const char *ref, const char *oid)
{
	free(t_git(store, "update-ref %s %s", ref, oid));
}

/* The line of `verify` output for `ref`, which must name `commit` and `why`. */
static void assert_problem(const char *out, const char *ref, const char *commit, const char *why)
{
	char *prefix = NULL;
	const char *line;
	prefix = t_fmt("%s %s ", ref, commit);
	line = strstr(out, prefix);
	cr_assert(line != NULL, "no line '%s...' in:\n%s", prefix, out);
	char *l = t_strndup(line, strcspn(line, "\n"));
	t_assert_contains(l, why);
	free(l);
	free(prefix);
}

static void assert_shown(const char *json, const char *oid, int shown)
{
	char *needle = NULL;
	needle = t_fmt("{\"id\":\"%s\"", oid);
	if (shown)
		cr_assert(strstr(json, needle) != NULL, "valid message %s is not shown", oid);
	else
		cr_assert(strstr(json, needle) == NULL, "invalid commit %s is shown", oid);
	free(needle);
}

Test(verify, clean_store)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	author a;
	const char *verify[] = { "verify", NULL };
	t_run r;

	r = t_chat(store, NULL, verify);
	cr_assert_eq(r.status, 0, "empty store: %s", r.err);
	t_run_free(&r);
	make_author(&a, dir, "a", 1);
	send_n(&a, store, "a", 3);
	r = t_chat(store, NULL, verify);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "");
	t_assert_contains(r.err, "all logs verified");
	t_run_free(&r);
}

Test(verify, tampered_store)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	author a, b, c, d, e, f, g, m;
	char *p, *tmp;

	make_author(&a, dir, "a", 1);
	make_author(&b, dir, "b", 0);
	make_author(&c, dir, "c", 1);
	make_author(&d, dir, "d", 0);
	make_author(&e, dir, "e", 1);
	make_author(&f, dir, "f", 0);
	make_author(&g, dir, "g", 1);
	make_author(&m, dir, "mallory", 0);
	send_n(&a, store, "a", 3);
	send_n(&c, store, "c", 3);
	send_n(&d, store, "d", 3);
	send_n(&e, store, "e", 2);
	char *e_other = t_send(store, e.key, "other", "e in other");
	send_n(&f, store, "f", 1);
	send_n(&g, store, "g", 1);
	/* B writes last: every original message is an ancestor of b2, so the
	 * originals stay reachable and valid whatever happens to the refs. */
	send_n(&b, store, "b", 2);

	/* A: chat-room changed (re-signed by A, so the signature is good). */
	p = t_commit_payload(store, a.msgs[2]);
	tmp = t_replace(p, "\nchat-room general\n", "\nchat-room other\n");
	char *a_room = t_write_signed(store, a.key, t_replace(tmp, "\n\na3", "\n\na3 moved"));
	set_ref(store, a.ref, a_room);

	/* C: the head re-signed by another key. */
	p = t_commit_payload(store, c.msgs[2]);
	char *c_mallory = t_write_signed(store, m.key, t_replace(p, "\n\nc3", "\n\nc3 by mallory"));
	set_ref(store, c.ref, c_mallory);

	/* D: parent rewritten (d2 -> d1), the old signature kept. */
	p = t_commit_payload(store, d.msgs[2]);
	tmp = t_replace(p, d.msgs[1], d.msgs[0]);
	char *sig = t_commit_signature(store, d.msgs[2]);
	char *d_parent = t_write_commit(store, t_commit_with_signature(tmp, sig));
	set_ref(store, d.ref, d_parent);

	/* E: parent rewritten to E's own message of another room, re-signed by
	 * E: the commit is fine, its ancestor is not (for this room). */
	p = t_commit_payload(store, e.msgs[1]);
	char *e_parent = t_write_signed(store, e.key, t_replace(p, e.msgs[0], e_other));
	set_ref(store, e.ref, e_parent);

	/* F: an unsigned commit on top of f1. */
	p = t_commit_payload(store, f.msgs[0]);
	tmp = t_replace(p, "\n\nf1", "\n\nunsigned");
	char *f_parent_line = NULL;
	f_parent_line = t_fmt("tree " EMPTY_TREE "\nparent %s\n", f.msgs[0]);
	char *f_unsigned = t_write_commit(store, t_replace(tmp, "tree " EMPTY_TREE "\n", f_parent_line));
	set_ref(store, f.ref, f_unsigned);

	/* G: the ref points at a blob; and a ref whose name is not a key. */
	char *blob = t_git(store, "hash-object -w --stdin </dev/null");
	set_ref(store, g.ref, blob);
	set_ref(store, "refs/chat/general/not-a-key", b.msgs[1]);

	const char *verify[] = { "verify", NULL };
	t_run r = t_chat(store, NULL, verify);
	cr_assert_eq(r.status, 1, "verify exit %d: %s%s", r.status, r.out, r.err);
	cr_assert_eq(t_count_lines(r.out), 7, "one line per bad log:\n%s", r.out);
	t_assert_contains(r.err, "7 problems found");
	assert_problem(r.out, a.ref, a_room, "its chat-room is 'other', not 'general'");
	assert_problem(r.out, c.ref, c_mallory, "signed by");
	assert_problem(r.out, c.ref, c_mallory, t_fingerprint(m.key));
	assert_problem(r.out, c.ref, c_mallory, t_fingerprint(c.key));
	assert_problem(r.out, d.ref, d_parent, "bad signature");
	assert_problem(r.out, e.ref, e_other, "its chat-room is 'other', not 'general'");
	assert_problem(r.out, e.ref, e_other, "ancestor");
	assert_problem(r.out, f.ref, f_unsigned, "not signed");
	assert_problem(r.out, g.ref, blob, "not a commit");
	assert_problem(r.out, "refs/chat/general/not-a-key", b.msgs[1], "not refs/chat/<room>/<");
	cr_assert(!strstr(r.out, b.ref), "the untouched log of B was reported:\n%s", r.out);
	t_run_free(&r);

	/* One room at a time: 'other' holds only E's valid message. */
	const char *verify_other[] = { "verify", "-r", "other", NULL };
	r = t_chat(store, NULL, verify_other);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	t_run_free(&r);
	const char *verify_general[] = { "verify", "-r", "general", NULL };
	r = t_chat(store, NULL, verify_general);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(t_count_lines(r.out), 6, "%s", r.out);   /* all but the ref name */
	t_run_free(&r);

	/* log: every valid message, none of the invalid commits, a warning for each. */
	const char *log[] = { "log", "--format=json", NULL };
	r = t_chat(store, NULL, log);
	cr_assert_eq(r.status, 0, "log: %s", r.err);
	author *all[] = { &a, &b, &c, &d, &e, &f, &g };
	int counts[] = { 3, 2, 3, 3, 2, 1, 1 };
	size_t valid = 0;
	for (size_t i = 0; i < 7; i++)
		for (int k = 0; k < counts[i]; k++, valid++)
			assert_shown(r.out, all[i]->msgs[k], 1);
	/* Mallory's commit is a valid message, by Mallory; only the ref is wrong. */
	assert_shown(r.out, c_mallory, 1);
	char *mhex = NULL;
	mhex = t_fmt("\"text\":\"c3 by mallory\"");
	t_assert_contains(r.out, mhex);
	t_assert_contains(strstr(r.out, c_mallory), m.hex);
	cr_assert_eq(t_count_lines(r.out), valid + 1, "%s", r.out);
	const char *bad[] = { a_room, d_parent, e_parent, e_other, f_unsigned };
	for (size_t i = 0; i < 5; i++) {
		assert_shown(r.out, bad[i], 0);
		t_assert_contains(r.err, bad[i]);
	}
	t_assert_contains(r.err, "warning: ");
	t_assert_contains(r.err, c.ref);
	t_assert_contains(r.err, "bad signature");
	cr_assert(!strstr(r.out, "\"text\":\"a3 moved\"") && !strstr(r.out, "\"text\":\"unsigned\""),
	          "%s", r.out);
	t_run_free(&r);

	/* The text format skips the same commits. */
	const char *logtext[] = { "log", "--format=json", NULL };
	r = t_chat(store, NULL, logtext);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(t_count_lines(r.out), valid + 1);
	t_run_free(&r);
}

Test(verify, log_keeps_earlier_messages_of_a_damaged_log)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	author a;
	const char *log[] = { "log", "--format=json", NULL };
	const char *verify[] = { "verify", NULL };
	t_run r;

	make_author(&a, dir, "a", 1);
	send_n(&a, store, "a", 3);
	/* a3 with its text changed, signature kept: the payload no longer matches. */
	char *p = t_commit_payload(store, a.msgs[2]);
	char *sig = t_commit_signature(store, a.msgs[2]);
	char *forged = t_write_commit(store, t_commit_with_signature(t_replace(p, "\n\na3", "\n\nA3"),
	                                                             sig));
	set_ref(store, a.ref, forged);

	r = t_chat(store, NULL, log);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	t_assert_contains(r.out, "\"text\":\"a1\"");
	t_assert_contains(r.out, "\"text\":\"a2\"");
	/* (As JSON text: bare "a3" can occur in any hex id or key.) */
	cr_assert(!strstr(r.out, "\"text\":\"A3\"") && !strstr(r.out, "\"text\":\"a3\""),
	          "%s", r.out);
	t_assert_contains(r.err, "skipping commit");
	t_assert_contains(r.err, forged);
	t_assert_contains(r.err, "bad signature");
	t_run_free(&r);

	r = t_chat(store, NULL, verify);
	cr_assert_eq(r.status, 1);
	assert_problem(r.out, a.ref, forged, "bad signature");
	t_run_free(&r);

	/* The author's next message refuses to build on a bad log. */
	char *before = t_snapshot(store);
	const char *send[] = { "send", "--key", a.key, "-m", "a4", NULL };
	r = t_chat(store, NULL, send);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, a.ref);
	t_assert_contains(r.err, "git chat verify");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), before);

	/* Put the original back: all is well again (the cache remembers no
	 * verdict for a commit that is gone from the ref). */
	set_ref(store, a.ref, a.msgs[2]);
	r = t_chat(store, NULL, verify);
	cr_assert_eq(r.status, 0, "%s", r.out);
	t_run_free(&r);
	r = t_chat(store, NULL, log);
	cr_assert_eq(t_count_lines(r.out), 3);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);
}

/* The verification cache must not turn one verdict into another: a commit
 * valid in one room is not valid in another, and an invalid one stays
 * invalid across runs. */
Test(verify, cache_keeps_verdicts_apart)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	author a;
	make_author(&a, dir, "a", 1);
	send_n(&a, store, "a", 2);
	const char *verify[] = { "verify", NULL };

	/* Point a ref of room 'dev' at a valid message of 'general'. */
	char *dev_ref = NULL;
	dev_ref = t_fmt("refs/chat/dev/%s", a.hex);
	set_ref(store, dev_ref, a.msgs[1]);
	for (int run = 0; run < 3; run++) {
		/* Last run: without the on-disk cache, so that 'dev' (checked
		 * first) cannot decide anything for 'general'. */
		if (run == 2) {
			t_run rm = t_sh("rm -rf '%s/chat'", store);
			t_run_free(&rm);
		}
		t_run r = t_chat(store, NULL, verify);
		cr_assert_eq(r.status, 1, "run %d: %s", run, r.out);
		assert_problem(r.out, dev_ref, a.msgs[1], "its chat-room is 'general', not 'dev'");
		cr_assert_eq(t_count_lines(r.out), 1, "%s", r.out);
		t_run_free(&r);
	}
	free(t_git(store, "update-ref -d %s", dev_ref));
	t_run r = t_chat(store, NULL, verify);
	cr_assert_eq(r.status, 0, "%s", r.out);
	t_run_free(&r);
}
