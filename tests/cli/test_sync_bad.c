/*
 * Bad data on a remote (issue 3, item 3): each bad log is rejected with a
 * message naming the remote, the ref, the commit and the reason; the local
 * log stays where it was; every other valid log is still accepted; nothing
 * invalid is shown by `log` or pushed onward.
 */
#include "testsync.h"

typedef struct {
	const char *what;
	char *refname;
	char *target;        /* what the ref points at */
	char *commit;        /* the commit the message must name */
	const char *reason;  /* a part of the reason */
} bad_case;

static void set_ref(const char *gitdir, const char *refname, const char *id)
{
	free(t_git_out(gitdir, "update-ref '%s' %s", refname, id));
}

static void copy_logs(const char *to, const char *from)
{
	free(t_git_out(to, "fetch -q '%s' '+refs/chat/*:refs/chat/*'", from));
}

Test(sync_bad, each_bad_log_rejected_others_accepted_nothing_relayed, .timeout = 300)
{
	char *dir = t_scratch_copy();
	char *origin = t_path(dir, "origin.git"), *evil = t_path(dir, "evil.git");
	char *clean = t_path(dir, "clean.git");
	t_person a, b, c, d, e, v1, v2, v4, v5, v6;
	char *b1, *b2, *c1, *d1, *u, *rewrite, *big, *out;
	bad_case cases[9];
	size_t ncases = 0, i;
	t_run r;
	gitchat_buf name = GITCHAT_BUF_INIT;
	gitchat_store *store = NULL;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_init(&c, dir, "Carol");
	t_person_init(&d, dir, "Dave");
	t_person_init(&e, dir, "Eve");
	t_person_init(&v1, dir, "Victor");
	t_person_init(&v2, dir, "Vera");
	t_person_init(&v4, dir, "Vince");
	t_person_init(&v5, dir, "Viola");
	t_person_init(&v6, dir, "Vlad");

	/* A holds B's two messages and C's one, through an honest remote. */
	b1 = t_person_send(&b, "general", "b one");
	b2 = t_person_send(&b, "general", "b two");
	c1 = t_person_send(&c, "general", "c one");
	t_person_sync_ok(&b, origin);
	t_person_sync_ok(&c, origin);
	t_person_sync_ok(&a, origin);
	cr_assert_str_eq(t_ref_value(a.store, t_person_ref(&b, "general")), b2);

	/* The evil remote: the honest logs, D's new one, and bad data. */
	free(t_git_out(dir, "init -q --bare '%s'", evil));
	copy_logs(evil, origin);
	d1 = t_person_send(&d, "general", "d one, valid and new");
	copy_logs(evil, d.store);

#define ADD_CASE(w, ref, tgt, id, why) do { \
		cases[ncases].what = (w); cases[ncases].refname = (ref); cases[ncases].target = (tgt); \
		cases[ncases].commit = (id); cases[ncases].reason = (why); ncases++; } while (0)

	{   /* signed by another key under someone's ref */
		char *k = t_craft(evil, e.key, "general", NULL, "impostor words", 0);
		ADD_CASE("other key", t_person_ref(&v1, "general"), k, k, "not by the log's owner");
	}
	{   /* unsigned */
		char *k = t_craft(evil, NULL, "general", NULL, "unsigned words", 0);
		ADD_CASE("unsigned", t_person_ref(&v2, "general"), k, k, "it is not signed");
	}
	{   /* bad signature, continuing C's real log */
		const char *parents[] = { c1, NULL };
		char *k = t_craft(evil, c.key, "general", parents, "tampered words", 1);
		ADD_CASE("bad signature", t_person_ref(&c, "general"), k, k, "bad signature");
	}
	{   /* wrong chat-room */
		char *k = t_craft(evil, v4.key, "random", NULL, "wrong room words", 0);
		ADD_CASE("wrong room", t_person_ref(&v4, "general"), k, k, "chat-room is 'random'");
	}
	{   /* a valid commit on top of an invalid parent: the parent is named */
		char *k;
		const char *parents[2] = { NULL, NULL };
		u = t_craft(evil, NULL, "general", NULL, "hidden unsigned parent", 0);
		parents[0] = u;
		k = t_craft(evil, v5.key, "general", parents, "child of a bad parent", 0);
		ADD_CASE("invalid parent", t_person_ref(&v5, "general"), k, u, "is not signed");
	}
	{   /* over the size limit */
		size_t n = 70 * 1024;
		char *k;
		big = malloc(n + 1);
		memset(big, 'z', n);
		big[n] = '\0';
		k = t_craft(evil, v6.key, "general", NULL, big, 0);
		ADD_CASE("too big", t_person_ref(&v6, "general"), k, k, "over the limit");
	}
	/* ref names that are not refs/chat/<room>/<64-hex> */
	ADD_CASE("bad key", t_keep(strdup("refs/chat/general/not-a-key")), d1, d1, "ref name");
	ADD_CASE("bad room", t_fmt("refs/chat/Bad_Room/%s", d.hex), d1, d1, "ref name");
	for (i = 0; i < ncases; i++)
		set_ref(evil, cases[i].refname, cases[i].target);
	/* a history rewrite by B's own key: the second message replaced */
	{
		const char *parents[] = { b1, NULL };
		rewrite = t_craft(evil, b.key, "general", parents, "b two, rewritten", 0);
		set_ref(evil, t_person_ref(&b, "general"), rewrite);
	}

	r = t_person_sync(&a, evil, NULL);
	cr_assert_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert_eq(gitchat_store_open(&store, a.store), 0);
	cr_assert_eq(gitchat_sync_remote_name(&name, store, evil), 0);
	for (i = 0; i < ncases; i++) {
		char *line = t_fmt("error: '%s': rejected %s at %s: ", name.ptr,
		                              cases[i].refname, cases[i].commit);
		char *at = strstr(r.err, line), *eol;
		cr_assert(at, "%s: no '%s' in:\n%s", cases[i].what, line, r.err);
		eol = strchr(at, '\n');
		cr_assert(eol);
		*eol = '\0';
		cr_assert(strstr(at, cases[i].reason), "%s: reason '%s' missing in '%s'",
		          cases[i].what, cases[i].reason, at);
		*eol = '\n';
		free(line);
	}
	/* the rewrite is a fork: named with remote, ref, commit and why */
	out = t_fmt("warning: '%s': fork of %s: the remote has %s", name.ptr,
	                       t_person_ref(&b, "general"), rewrite);
	cr_assert(t_contains(r.err, out), "no fork warning '%s' in:\n%s", out, r.err);
	cr_assert(t_contains(r.err, "history rewrite"));
	cr_assert(t_contains(r.err, b.fp), "the warning must name the author's key");
	cr_assert(t_contains(r.out, "8 logs rejected"), "%s", r.out);
	t_run_free(&r);

	/* local logs untouched, the valid new one accepted */
	cr_assert_str_eq(t_ref_value(a.store, t_person_ref(&b, "general")), b2);
	cr_assert_str_eq(t_ref_value(a.store, t_person_ref(&c, "general")), c1);
	cr_assert_str_eq(t_ref_value(a.store, t_person_ref(&d, "general")), d1);
	cr_assert_null(t_ref_value(a.store, t_person_ref(&v1, "general")));
	cr_assert_null(t_ref_value(a.store, t_person_ref(&v2, "general")));
	cr_assert_null(t_ref_value(a.store, t_person_ref(&v4, "general")));
	cr_assert_null(t_ref_value(a.store, t_person_ref(&v5, "general")));
	cr_assert_null(t_ref_value(a.store, t_person_ref(&v6, "general")));
	cr_assert_str_eq(t_refs(a.store, "refs/chat-quarantine"), "");
	out = t_refs(a.store, "refs/chat");
	cr_assert_eq(t_count_lines(out), 3, "%s", out);
	t_store_sound(a.store);

	/* nothing invalid is shown */
	{
		const char *args[] = { "log", "--format=json", NULL };
		r = t_person_chat(&a, args);
		cr_assert_eq(r.status, 0);
		cr_assert_str_eq(r.err, "", "log warned: %s", r.err);
		cr_assert(t_contains(r.out, "d one, valid and new"));
		cr_assert(!t_contains(r.out, "impostor"));
		cr_assert(!t_contains(r.out, "unsigned words"));
		cr_assert(!t_contains(r.out, "tampered"));
		cr_assert(!t_contains(r.out, "wrong room"));
		cr_assert(!t_contains(r.out, "hidden unsigned parent"));
		cr_assert(!t_contains(r.out, "child of a bad parent"));
		cr_assert(!t_contains(r.out, "zzzzzzzz"));
		t_run_free(&r);
	}

	/* nothing invalid is pushed onward: a fresh remote gets the three
	 * valid logs at our heads, and none of the bad objects */
	t_person_sync_ok(&a, clean);
	out = t_refs(clean, "refs/chat");
	cr_assert_str_eq(out, t_refs(a.store, "refs/chat"));
	for (i = 0; i < ncases; i++) {
		if (!strcmp(cases[i].target, d1))
			continue;
		r = t_sh("git --git-dir='%s' cat-file -e %s", clean, cases[i].target);
		cr_assert_neq(r.status, 0, "%s: %s reached the clean remote", cases[i].what,
		              cases[i].target);
		t_run_free(&r);
	}
	r = t_sh("git --git-dir='%s' cat-file -e %s", clean, rewrite);
	cr_assert_neq(r.status, 0, "the rewrite was pushed onward");
	t_run_free(&r);
	t_store_sound(clean);
	t_verify_commits(clean);

	/* and the evil remote keeps its data: we never force */
	cr_assert_str_eq(t_ref_value(evil, t_person_ref(&b, "general")), rewrite);

	/* again: the same rejections, nothing changes */
	r = t_person_sync(&a, evil, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(t_contains(r.out, "8 logs rejected"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(a.store, t_person_ref(&c, "general")), c1);
	gitchat_buf_dispose(&name);
	gitchat_store_free(store);
	free(big);
}

/* A received log whose ancestor our store holds damaged (the object's file
 * does not hash to its id: disk damage) is rejected with that reason, like
 * any invalid commit, and the other logs are still accepted: the sync does
 * not fail. Sync's verification reads through libgit2's object cache
 * (issue 15), whose own hash check must end in the same verdict. */
Test(sync_bad, a_damaged_ancestor_in_our_store_rejects_only_its_log, .timeout = 60)
{
	char *dir = t_scratch_copy(), *srv = t_path(dir, "srv.git");
	t_person a, b, c;
	char *m1, *c1, *other;
	t_run r;

	free(t_git_out(dir, "init -q --bare '%s'", srv));
	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_init(&c, dir, "Carol");
	m1 = t_person_send(&a, "general", "one");
	t_person_send(&a, "general", "two");   /* received: its parent is the damaged one */
	c1 = t_person_send(&c, "general", "carol");
	t_person_sync_ok(&a, srv);
	t_person_sync_ok(&c, srv);
	/* Bob's store holds m1, damaged: another commit's bytes under its name. */
	r = t_sh("git --git-dir='%s' cat-file commit %s | sed 's/^one$/ONE/' | "
	         "git --git-dir='%s' hash-object -t commit -w --stdin", a.store, m1, b.store);
	cr_assert_eq(r.status, 0, "%s", r.err);
	other = t_keep(strndup(r.out, 40));
	t_run_free(&r);
	cr_assert_str_neq(other, m1);
	t_mkdir(t_fmt("%s/objects/%.2s", b.store, m1));
	r = t_sh("cp '%s/objects/%.2s/%s' '%s/objects/%.2s/%s'", b.store, other, other + 2,
	         b.store, m1, m1 + 2);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);

	r = t_person_sync(&b, srv, NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, t_fmt("rejected %s at %s", t_person_ref(&a, "general"), m1)),
	          "%s", r.err);
	cr_assert(t_contains(r.err, "does not hash to its id"), "%s", r.err);
	cr_assert(t_contains(r.out, "1 log rejected"), "%s", r.out);
	cr_assert(!t_contains(r.out, "failed"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(b.store, t_person_ref(&c, "general")), c1);
	r = t_sh("git --git-dir='%s' rev-parse -q --verify '%s'", b.store,
	         t_person_ref(&a, "general"));
	cr_assert_neq(r.status, 0, "the log over the damaged commit was stored at %s", r.out);
	t_run_free(&r);
}

/* The count of new messages (issue 15: taken from the commits the
 * verification found valid, no longer from a second walk) counts a valid
 * commit of a rejected log when an accepted log reaches it, and not when
 * only the rejected log does. */
Test(sync_bad, a_rejected_logs_valid_commits_count_only_when_an_accepted_log_reaches_them,
     .timeout = 60)
{
	char *dir = t_scratch_copy(), *evil = t_path(dir, "evil.git");
	t_person a, d, v, w;
	const char *parents[2] = { NULL, NULL };
	char *v1, *v2, *w1, *w2, *d1;
	t_run r;

	free(t_git_out(dir, "init -q --bare '%s'", evil));
	t_person_init(&a, dir, "Alice");
	t_person_init(&d, dir, "Dave");
	t_person_init(&v, dir, "Victor");
	t_person_init(&w, dir, "Wendy");
	v1 = t_craft(evil, v.key, "general", NULL, "victor, valid", 0);
	parents[0] = v1;
	v2 = t_craft(evil, NULL, "general", parents, "victor, unsigned", 0);
	w1 = t_craft(evil, w.key, "general", NULL, "wendy, valid", 0);
	parents[0] = w1;
	w2 = t_craft(evil, NULL, "general", parents, "wendy, unsigned", 0);
	parents[0] = v1;
	d1 = t_craft(evil, d.key, "general", parents, "dave answers victor", 0);
	free(t_git_out(evil, "update-ref '%s' %s", t_person_ref(&v, "general"), v2));
	free(t_git_out(evil, "update-ref '%s' %s", t_person_ref(&w, "general"), w2));
	free(t_git_out(evil, "update-ref '%s' %s", t_person_ref(&d, "general"), d1));

	r = t_person_sync(&a, evil, NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, t_fmt("rejected %s at %s", t_person_ref(&v, "general"), v2)),
	          "%s", r.err);
	cr_assert(t_contains(r.err, t_fmt("rejected %s at %s", t_person_ref(&w, "general"), w2)),
	          "%s", r.err);
	/* d1 and v1; not w1, which only Wendy's rejected log reaches. */
	cr_assert(t_contains(r.out, "received 2 new messages (general: 2)"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(a.store, t_person_ref(&d, "general")), d1);
}
