/*
 * Hostile refs: names that are not refs/chat/<room>/<64 hex>, symbolic refs,
 * refs to tags and blobs, deletions, rewrites and rollbacks, logs put under
 * another author's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <criterion/criterion.h>

#include "hostile.h"

static char *mallory_message(const hx_world *w, const char *text)
{
	hx_spec s = { .text = text };
	s.parents[0] = w->a2;
	s.parents[1] = w->b1;
	return hx_commit(w->attacker, w->mallory, &s);
}

/* Mallory's valid message under a ref that is not a chat log's name: the
 * hook refuses it, and the victim's sync neither stores nor shows it. */
static void misnamed(const char *before, int keylen, const char *after, const char *hook_reason)
{
	hx_world w;
	char *id, *ref, *hex;
	t_run r;

	hx_setup(&w);
	id = mallory_message(&w, "under a strange name");
	hex = t_key_hex(w.mallory);
	ref = t_fmt("%s%.*s%s", before, keylen, hex, after);
	hx_hook_refuses_ref(&w, t_fmt("%s:%s", id, ref), hook_reason);
	hx_set_ref(w.attacker, ref, id);
	r = hx_sync(&w);
	cr_assert(r.status == 0 || r.status == 1, "sync exited %d:\n%s", r.status, r.err);
	t_run_free(&r);
	cr_assert(!strstr(t_git(w.victim, "for-each-ref"), id), "%s was stored", id);
	hx_readable(w.victim, NULL, 0);
	hx_readable(w.server, NULL, 0);
}

Test(refnames, key_of_63_hex_digits, .timeout = 120)
{
	misnamed("refs/chat/general/", 63, "", "64 lowercase hex digits");
}

Test(refnames, key_in_uppercase_hex, .timeout = 120)
{
	hx_world w;
	char *id, *hex, *ref;

	hx_setup(&w);
	id = mallory_message(&w, "shouting key");
	hex = t_strndup(t_key_hex(w.mallory), 64);
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	ref = t_fmt("refs/chat/general/%s", hex);
	hx_hook_refuses_ref(&w, t_fmt("%s:%s", id, ref), "64 lowercase hex digits");
	hx_set_ref(w.attacker, ref, id);
	{
		t_run r = hx_sync(&w);
		cr_assert(r.status == 0 || r.status == 1, "%s", r.err);
		t_run_free(&r);
	}
	cr_assert(!strstr(t_git(w.victim, "for-each-ref"), id), "%s was stored", id);
	hx_readable(w.victim, NULL, 0);
}

Test(refnames, key_of_a_room_that_is_invalid, .timeout = 120)
{
	misnamed("refs/chat/Gen..eral/", 64, "", "invalid|refname|bad");
}

Test(refnames, one_level_too_deep, .timeout = 120)
{
	misnamed("refs/chat/general/x/", 64, "", "refs/chat/<room>/<key>|invalid|64");
}

Test(refnames, key_not_hex, .timeout = 120)
{
	misnamed("refs/chat/general/", 60, "zzzz", "64 lowercase hex digits");
}

/* Mallory's ref is a symbolic ref to alice's log: through git push it
 * resolves, and alice's commits arrive under mallory's key; sync from a
 * path skips symbolic refs (nothing of it is stored either way). */
Test(refkinds, symbolic_ref_to_another_log, .timeout = 120)
{
	hx_world w;

	hx_setup(&w);
	t_git(w.attacker, "symbolic-ref '%s' '%s'", w.mref, w.aref);
	{
		t_run r = hx_sync(&w);
		cr_assert(r.status == 0 || r.status == 1, "sync exited %d:\n%s", r.status, r.err);
		t_run_free(&r);
	}
	cr_assert(!strstr(t_git(w.victim, "for-each-ref --format='%%(refname)'"),
	                  t_key_hex(w.mallory)));
	hx_hook_refuses_ref(&w, t_fmt("%s:%s", w.mref, w.mref), "not by the log's owner");
	hx_readable(w.victim, NULL, 0);
}

/* A symbolic ref in the reader's own store (written there by hand). */
Test(refkinds, symbolic_ref_in_the_readers_store, .timeout = 120)
{
	hx_world w;
	t_run r;

	hx_setup(&w);
	t_git(w.victim, "symbolic-ref '%s' '%s'", w.mref, w.aref);
	hx_readable(w.victim, NULL, 1);
	r = t_chatv(w.victim, "verify");
	t_assert_contains(r.out, w.mref);
	t_run_free(&r);
}

static void ref_to(git_object_t type)
{
	hx_world w;
	char *m, *obj;

	hx_setup(&w);
	m = mallory_message(&w, "tagged");
	if (type == GIT_OBJECT_TAG)
		{
		char *tag = t_fmt("object %s\ntype commit\ntag v1\n"
		                  "tagger M <m@example.org> 1764150000 +0000\n\nt\n", m);
		obj = hx_write(w.attacker, tag, strlen(tag), GIT_OBJECT_TAG);
	}
	else
		obj = hx_write(w.attacker, "a blob\n", 7, GIT_OBJECT_BLOB);
	hx_hook_refuses(&w, obj, "not a commit|tag|blob|invalid");
	hx_sync_refuses(&w, obj, "not a commit|tag|blob|invalid");
	hx_readable(w.victim, NULL, 0);
	hx_readable(w.server, NULL, 0);
}

Test(refkinds, annotated_tag_under_refs_chat, .timeout = 120)
{
	ref_to(GIT_OBJECT_TAG);
}

Test(refkinds, blob_under_refs_chat, .timeout = 120)
{
	ref_to(GIT_OBJECT_BLOB);
}

Test(refkinds, another_authors_log_under_mallorys_name, .timeout = 120)
{
	hx_world w;

	hx_setup(&w);
	hx_hook_refuses(&w, w.a2, "not by the log's owner");
	hx_sync_refuses(&w, w.a2, "not by the log's owner");
	hx_readable(w.victim, NULL, 0);
}

/* Deleting alice's log: refused by the server, and a sync from a copy
 * without it deletes nothing. */
Test(history, deleting_another_log, .timeout = 120)
{
	hx_world w;
	t_run r;

	hx_setup(&w);
	hx_hook_refuses_ref(&w, t_fmt(":%s", w.aref), "cannot be deleted|deny");
	t_git(w.attacker, "update-ref -d '%s'", w.aref);
	r = hx_sync(&w);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_git(w.victim, "rev-parse '%s'", w.aref), w.a2);
	hx_readable(w.victim, NULL, 0);
}

/* Alice's log set back to her first message in mallory's copy. */
Test(history, rolling_back_another_log, .timeout = 120)
{
	hx_world w;
	t_run r;

	hx_setup(&w);
	hx_hook_refuses_ref(&w, t_fmt("+%s:%s", w.a1, w.aref), "history rewrite|non-fast-forward");
	t_git(w.attacker, "update-ref '%s' %s", w.aref, w.a1);
	r = hx_sync(&w);
	cr_assert(r.status == 0 || r.status == 1, "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_git(w.victim, "rev-parse '%s'", w.aref), w.a2);
	hx_readable(w.victim, NULL, 0);
}

/* Mallory rewrites her own log: the server refuses, a reader keeps both
 * branches (a fork) and shows both. */
Test(history, rewriting_her_own_log, .timeout = 120)
{
	hx_world w;
	char *m1, *m2;
	const char *both[] = { "first take", "second take", hx_honest_texts[0], NULL };
	hx_spec s = { .text = "second take" };
	t_run r;

	hx_setup(&w);
	m1 = mallory_message(&w, "first take");
	hx_hook_accepts(&w, m1);
	hx_sync_accepts(&w, m1);
	s.parents[0] = w.a2;
	m2 = hx_commit(w.attacker, w.mallory, &s);
	hx_hook_refuses_ref(&w, t_fmt("+%s:%s", m2, w.mref), "history rewrite|non-fast-forward");
	hx_set_ref(w.attacker, w.mref, m2);
	r = hx_sync(&w);
	cr_assert(r.status == 0 || r.status == 1, "%s", r.err);
	t_assert_contains(r.err, "fork");
	t_run_free(&r);
	hx_readable(w.victim, both, 0);
}

/* Refs outside refs/chat carry anything; no reader looks at them. */
Test(history, invalid_commits_outside_refs_chat, .timeout = 120)
{
	hx_world w;
	hx_spec s = { .text = "unsigned, under refs/heads" };
	char *id;
	t_run r;

	hx_setup(&w);
	s.parents[0] = w.a2;
	id = hx_commit(w.attacker, NULL, &s);
	hx_set_ref(w.attacker, "refs/heads/main", id);
	r = hx_sync(&w);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert(!strstr(t_git(w.victim, "for-each-ref"), id));
	hx_readable(w.victim, NULL, 0);
}
