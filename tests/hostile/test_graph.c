/*
 * Hostile commit graphs: too many parents, parents that are not commits or
 * belong to another room, long chains, and edits, reactions and replies that
 * point where they should not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <criterion/criterion.h>

#include "hostile.h"



/* Accepted both ways; the room shows `texts` (plus the honest ones) and not
 * `hidden`. Returns the victim's log. */
static char *accepted(const hx_world *w, const char *id, const char *text, const char *hidden)
{
	const char *texts[] = { hx_honest_texts[0], hx_honest_texts[1], hx_honest_texts[2],
	                        text, NULL };
	char *log;

	hx_hook_accepts(w, id);
	hx_sync_accepts(w, id);
	hx_readable(w->server, texts, 0);
	log = hx_readable(w->victim, texts, 0);
	if (hidden)
		cr_assert(!strstr(log, hidden), "'%s' is shown:\n%s", hidden, log);
	return log;
}

Test(parents, eighteen_parents, .timeout = 120)
{
	hx_world w;
	hx_spec s, root = { .text = "a root" };
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "many parents");
	for (int i = 2; i < 18; i++) {
		root.text = t_fmt("root %d", i);
		s.parents[i] = hx_commit(w.attacker, w.mallory, &root);
	}
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "over the limit of 17", "over the limit of 17");
}

Test(parents, seventeen_parents_is_the_limit, .timeout = 120)
{
	hx_world w;
	hx_spec s, root = { .text = "a root" };
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "seventeen parents");
	for (int i = 2; i < 17; i++) {
		root.text = t_fmt("root %d", i);
		s.parents[i] = hx_commit(w.attacker, w.mallory, &root);
	}
	id = hx_commit(w.attacker, w.mallory, &s);
	accepted(&w, id, "seventeen parents", NULL);
}

Test(parents, the_same_parent_twice, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "twice the same parent");
	s.parents[2] = w.a2;
	id = hx_commit(w.attacker, w.mallory, &s);
	/* Not against a rule of DESIGN.md: shown once. */
	cr_assert_eq(t_count(accepted(&w, id, "twice the same parent", NULL),
	                     "twice the same parent"), 1);
}

static void parent_object(git_object_t type)
{
	hx_world w;
	hx_spec s;
	char *obj, *id;

	hx_setup(&w);
	if (type == GIT_OBJECT_TREE)
		obj = HX_EMPTY_TREE;
	else if (type == GIT_OBJECT_BLOB)
		obj = hx_write(w.attacker, "a blob\n", 7, GIT_OBJECT_BLOB);
	else
		{
		char *tag = t_fmt("object %s\ntype commit\ntag v1\n"
		                  "tagger M <m@example.org> 1764150000 +0000\n\nt\n", w.a1);
		obj = hx_write(w.attacker, tag, strlen(tag), GIT_OBJECT_TAG);
	}
	hx_write(w.attacker, "", 0, GIT_OBJECT_TREE);
	s = hx_on_heads(&w, "a parent that is not a commit");
	s.parents[2] = obj;
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "not a commit|tree|blob|tag|invalid|bad",
	                   "not a commit|invalid|missing");
}

Test(parents, parent_is_a_tree, .timeout = 120)
{
	parent_object(GIT_OBJECT_TREE);
}

Test(parents, parent_is_a_blob, .timeout = 120)
{
	parent_object(GIT_OBJECT_BLOB);
}

Test(parents, parent_is_a_tag, .timeout = 120)
{
	parent_object(GIT_OBJECT_TAG);
}

Test(parents, parent_in_another_room, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *r1, *id;

	hx_setup(&w);
	r1 = t_send(w.honest, w.alice, "random", "over in random");
	t_git(w.attacker, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.honest);
	s = hx_on_heads(&w, "crossing rooms");
	s.parents[2] = r1;
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "chat-room is 'random'", "chat-room is 'random'");
}

/* A log of 2,000 valid messages, each the parent of the next. */
Test(parents, deep_chain_of_2000, .timeout = 600)
{
	hx_world w;
	hx_spec s;
	char *id;
	const char *texts[] = { "link 1999", "link 0", NULL };

	hx_setup(&w);
	s = hx_on_heads(&w, "link 0");
	id = hx_commit(w.attacker, w.mallory, &s);
	for (int i = 1; i < 2000; i++) {
		hx_spec n = { .text = t_fmt("link %d", i) };
		n.parents[0] = id;
		id = hx_commit(w.attacker, w.mallory, &n);
	}
	hx_hook_accepts(&w, id);
	hx_sync_accepts(&w, id);
	hx_readable(w.victim, texts, 0);
	hx_readable(w.server, texts, 0);
}

/* Another author's message cannot be edited or redacted by mallory. */
Test(targets, edit_of_someone_elses_message_is_ignored, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;
	t_run r;

	hx_setup(&w);
	s = hx_on_heads(&w, "alice says she is wrong");
	s.headers = t_fmt("chat-room general\nchat-edit %s\n", w.a1);
	id = hx_commit(w.attacker, w.mallory, &s);
	accepted(&w, id, hx_honest_texts[0], "alice says she is wrong");
	r = t_chatv(w.victim, "verify");
	t_assert_contains(r.out, "warning");
	t_run_free(&r);
}

Test(targets, redaction_of_someone_elses_message_is_ignored, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "gone");
	s.headers = t_fmt("chat-room general\nchat-redact %s\n", w.b1);
	id = hx_commit(w.attacker, w.mallory, &s);
	accepted(&w, id, hx_honest_texts[1], NULL);
}

static void pointing_at(const char *header, const char *target_kind)
{
	hx_world w;
	hx_spec s;
	char *target, *id;

	hx_setup(&w);
	if (strcmp(target_kind, "nowhere") == 0)
		target = "0123456789abcdef0123456789abcdef01234567";
	else if (strcmp(target_kind, "other room") == 0) {
		target = t_send(w.honest, w.alice, "random", "over in random");
		t_git(w.attacker, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.honest);
		t_git(w.victim, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.honest);
	} else {
		target = HX_EMPTY_TREE;
	}
	s = hx_on_heads(&w, "\xf0\x9f\x91\x8d");
	s.headers = t_fmt("chat-room general\n%s %s\n", header, target);
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_hook_accepts(&w, id);
	hx_sync_accepts(&w, id);
	hx_readable(w.server, NULL, 0);
	hx_readable(w.victim, NULL, 0);
}

Test(targets, reaction_to_a_nonexistent_message, .timeout = 120)
{
	pointing_at("chat-react", "nowhere");
}

Test(targets, reaction_to_a_message_of_another_room, .timeout = 120)
{
	pointing_at("chat-react", "other room");
}

Test(targets, edit_of_a_tree, .timeout = 120)
{
	pointing_at("chat-edit", "tree");
}

Test(targets, reply_to_a_nonexistent_message, .timeout = 120)
{
	pointing_at("chat-reply", "nowhere");
}

Test(targets, reply_to_a_message_of_another_room, .timeout = 120)
{
	pointing_at("chat-reply", "other room");
}

Test(targets, edit_and_react_in_one_commit, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = hx_on_heads(&w, "both");
	s.headers = t_fmt("chat-room general\nchat-edit %s\nchat-react %s\n", w.a1, w.b1);
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_refused_everywhere(&w, id, "more than one chat-edit", "more than one chat-edit");
}

/* Mallory edits her own message of room random from room general: the edit
 * applies in neither room. */
Test(targets, edit_across_rooms_is_ignored, .timeout = 120)
{
	hx_world w;
	hx_spec s, r = { .text = "mallory in random", .headers = "chat-room random\n" };
	char *mr, *id;
	t_run l;

	hx_setup(&w);
	mr = hx_commit(w.attacker, w.mallory, &r);
	s = hx_on_heads(&w, "rewritten from general");
	s.headers = t_fmt("chat-room general\nchat-edit %s\n", mr);
	id = hx_commit(w.attacker, w.mallory, &s);
	t_git(w.attacker, "update-ref '%s' %s", t_ref("random", w.mallory), mr);
	accepted(&w, id, hx_honest_texts[0], "rewritten from general");
	l = t_chatv(w.victim, "log", "-r", "random");
	cr_assert_eq(l.status, 0, "%s", l.err);
	t_assert_contains(l.out, "mallory in random");
	cr_assert(!strstr(l.out, "rewritten from general"), "%s", l.out);
	t_run_free(&l);
}
