/*
 * Conversation features: edit, redact, react and reply, as the commands
 * write them and as every renderer shows them; and what happens when
 * someone tries to edit or redact another's message (nothing, and verify
 * warns), or a deleted one (refused).
 */
#include "testgolden.h"
#include "testchat.h"

#define ROOM "features"

typedef struct {
	const char *dir;
	char *store, *alice, *bob;
	char *m1, *m2;
} fixture;

static fixture setup(void)
{
	fixture f;

	f.dir = strdup(t_scratch());
	f.store = t_store_in(f.dir);
	f.alice = t_golden_key(f.dir, "alice");
	f.bob = t_golden_key(f.dir, "bob");
	f.m1 = t_send_at(f.store, ROOM, f.alice, "Alice", T_GOLDEN_T0, NULL, "original text of alice");
	f.m2 = t_send_at(f.store, ROOM, f.bob, "Bob", T_GOLDEN_T0 + 60, f.m1, "bob answers alice");
	return f;
}

static void teardown(fixture *f)
{
	free((char *)f->dir);
	free(f->store); free(f->alice); free(f->bob); free(f->m1); free(f->m2);
}

static char *log_json(const fixture *f)
{
	t_run r = t_chat_expect(f->store, 0, NULL, "log", "-r", ROOM, "--format=json", NULL);
	free(r.err);
	return r.out;
}

static char *log_text(const fixture *f)
{
	t_run r = t_chat_expect(f->store, 0, NULL, "log", "-r", ROOM, "--color=never", NULL);
	free(r.err);
	return r.out;
}

/* The JSON line of message `id`. */
static char *json_line(const char *all, const char *id)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), "{\"id\":\"%s\"", id);
	p = strstr(all, key);
	cr_assert(p != NULL, "message %s not in the log:\n%s", id, all);
	e = strchr(p, '\n');
	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

/* A modifier signed by `keypath` straight through the library, bypassing
 * the command's own check: what a hostile or buggy client could write. */
static void send_raw(const char *store_path, const char *keypath, gitchat_message_kind kind,
                     const char *target_hex, const char *text, long long t)
{
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	git_oid target, id;

	t_set_time(t);
	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_store_open(&store, store_path), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(gitchat_key_load(&key, keypath), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(git_oid_fromstr(&target, target_hex), 0);
	o.room = ROOM;
	o.text = text;
	o.text_len = strlen(text);
	o.kind = kind;
	o.target = &target;
	cr_assert_eq(gitchat_send(&id, store, key, &o), 0, "%s", gitchat_error_last()->message);
	gitchat_key_free(key);
	gitchat_store_free(store);
	gitchat_shutdown();
}

Test(edit_redact_react, edit_shows_latest_text_at_the_original_place)
{
	fixture f = setup();
	char *json, *line, *text;

	free(t_act_at(f.store, "edit", f.alice, "Alice", T_GOLDEN_T0 + 120, f.m1, "first edit"));
	free(t_act_at(f.store, "edit", f.alice, "Alice", T_GOLDEN_T0 + 180, f.m1, "second edit"));
	json = log_json(&f);
	cr_assert_eq(t_count_lines(json), 2, "edits are not messages of their own:\n%s", json);
	line = json_line(json, f.m1);
	cr_assert(t_contains(line, "\"text\":\"second edit\""), "%s", line);
	cr_assert(t_contains(line, "\"edited\":true"), "%s", line);
	/* It stays first: shown at the original's place, not at the edit's. */
	cr_assert(!strncmp(json + 7, f.m1, 40), "%s", json);
	text = log_text(&f);
	cr_assert(t_contains(text, "Alice (SHA256:teWn6R1u)  "), "%s", text);
	cr_assert(t_contains(text, " (edited)\n  second edit\n"), "%s", text);
	/* The reply quotes the text as it is now. */
	cr_assert(t_contains(text, "↪ Alice: second edit"), "%s", text);
	free(text);
	/* The latest page alone (a view that starts at it) finds the edit of
	 * an older message it quotes. */
	{
		t_run r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, "-n", "1", "--color=never", NULL);
		cr_assert(t_contains(r.out, "↪ Alice: second edit") && !t_contains(r.out, "original"),
		          "%s", r.out);
		t_run_free(&r);
	}
	free(line); free(json);
	teardown(&f);
}

Test(edit_redact_react, redact_hides_the_text_everywhere)
{
	fixture f = setup();
	char *json, *line, *text, *page = t_path(f.dir, "p.html"), *html;
	t_run r;

	free(t_act_at(f.store, "redact", f.alice, "Alice", T_GOLDEN_T0 + 120, f.m1, NULL));
	/* An edit after the redaction does not bring the text back. `git chat
	 * edit` refuses to write one (see below); another client may. */
	send_raw(f.store, f.alice, GITCHAT_MESSAGE_EDIT, f.m1, "resurrected", T_GOLDEN_T0 + 180);
	json = log_json(&f);
	line = json_line(json, f.m1);
	cr_assert(t_contains(line, "\"text\":null"), "%s", line);
	cr_assert(t_contains(line, "\"redacted\":true"), "%s", line);
	cr_assert(!t_contains(json, "original text") && !t_contains(json, "resurrected"), "%s", json);
	text = log_text(&f);
	cr_assert(t_contains(text, "  message deleted\n"), "%s", text);
	cr_assert(t_contains(text, "↪ Alice: message deleted"), "%s", text);
	cr_assert(!t_contains(text, "original text"), "%s", text);
	r = t_chat_expect(f.store, 0, NULL, "export", "-r", ROOM, "-o", page, NULL);
	t_run_free(&r);
	html = t_read_file(page, NULL);
	cr_assert(t_contains(html, "message deleted") && !t_contains(html, "original text"));
	/* The help says what a redaction does not do. */
	r = t_chat_expect(NULL, 0, NULL, "redact", "--help", NULL);
	cr_assert(t_contains(r.out, "git history still holds it"), "%s", r.out);
	t_run_free(&r);
	free(line); free(json); free(text); free(html); free(page);
	teardown(&f);
}

Test(edit_redact_react, reactions_aggregate_and_toggle)
{
	fixture f = setup();
	char *json, *line, *text, ka[65] = "", kb[65] = "", want[256];

	free(t_act_at(f.store, "react", f.alice, "Alice", T_GOLDEN_T0 + 100, f.m2, "👍"));
	free(t_act_at(f.store, "react", f.bob, "Bob", T_GOLDEN_T0 + 110, f.m2, "👍"));
	free(t_act_at(f.store, "react", f.bob, "Bob", T_GOLDEN_T0 + 120, f.m2, "🎉"));
	free(t_act_at(f.store, "react", f.bob, "Bob", T_GOLDEN_T0 + 130, f.m2, "🎉"));   /* off again */
	free(t_act_at(f.store, "react", f.alice, "Alice", T_GOLDEN_T0 + 140, f.m1, "🎉"));
	free(t_act_at(f.store, "react", f.alice, "Alice", T_GOLDEN_T0 + 150, f.m1, "🎉"));   /* off */
	free(t_act_at(f.store, "react", f.alice, "Alice", T_GOLDEN_T0 + 160, f.m1, "🎉"));   /* on */
	text = log_text(&f);
	cr_assert(t_contains(text, "  bob answers alice\n  👍 2\n"), "%s", text);
	cr_assert(t_contains(text, "  original text of alice\n  🎉 1\n"), "%s", text);
	{
		t_run r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, "-n", "1", "--color=never", NULL);
		cr_assert(t_contains(r.out, "  bob answers alice\n  👍 2\n"), "latest page: %s", r.out);
		t_run_free(&r);
	}
	json = log_json(&f);
	cr_assert_eq(t_count_lines(json), 2, "reactions are not messages:\n%s", json);
	line = json_line(json, f.m1);
	cr_assert(t_contains(line, "\"reactions\":{\"🎉\":[\"f2feecc367ca034d37f361f499033c357709de"
	                            "847702871ec46c7e586081a9fd\"]}"), "%s", line);
	free(line);
	line = json_line(json, f.m2);
	snprintf(ka, sizeof(ka), "f2feecc367ca034d37f361f499033c357709de847702871ec46c7e586081a9fd");
	snprintf(kb, sizeof(kb), "08d281fcc64fff81964e20b7a33faf16f045cfd37bdfd2b616ec70e1dac4ed24");
	snprintf(want, sizeof(want), "\"reactions\":{\"👍\":[\"%s\",\"%s\"]}", ka, kb);
	cr_assert(t_contains(line, want), "%s", line);
	free(line); free(json); free(text);
	teardown(&f);
}

Test(edit_redact_react, commands_refuse_what_they_must_not_do)
{
	fixture f = setup();
	char *react;
	t_run r;

	/* Bob cannot edit or redact Alice's message. */
	t_set_name("Bob");
	r = t_chat_expect(f.store, 128, NULL, "edit", "--key", f.bob, f.m1, "hijack", NULL);
	cr_assert(t_contains(r.err, "not by you"), "%s", r.err);
	t_run_free(&r);
	r = t_chat_expect(f.store, 128, NULL, "redact", "--key", f.bob, f.m1, NULL);
	cr_assert(t_contains(r.err, "only its author"), "%s", r.err);
	t_run_free(&r);
	/* Acting on a reaction, not a message. */
	react = t_act_at(f.store, "react", f.bob, "Bob", T_GOLDEN_T0 + 100, f.m1, "👍");
	r = t_chat_expect(f.store, 128, NULL, "react", "--key", f.bob, react, "👍", NULL);
	cr_assert(t_contains(r.err, "is itself a reaction"), "%s", r.err);
	t_run_free(&r);
	/* Bad reactions and usage. */
	r = t_chat_expect(f.store, 129, NULL, "react", "--key", f.bob, f.m1, "two\nlines", NULL);
	t_run_free(&r);
	r = t_chat_expect(f.store, 129, NULL, "react", "--key", f.bob, f.m1, NULL);
	t_run_free(&r);
	r = t_chat_expect(f.store, 129, NULL, "edit", "--key", f.alice, NULL);
	t_run_free(&r);
	r = t_chat_expect(f.store, 128, NULL, "edit", "--key", f.alice, "0000000000", "x", NULL);
	t_run_free(&r);
	/* A message of another room is not in this one. */
	r = t_chat_expect(f.store, 128, NULL, "edit", "--key", f.alice, "-r", "other", f.m1, "x", NULL);
	cr_assert(t_contains(r.err, "is in room 'features'"), "%s", r.err);
	t_run_free(&r);
	free(react);
	teardown(&f);
}

Test(edit_redact_react, foreign_edit_and_redaction_are_ignored_and_reported)
{
	fixture f = setup();
	char *before, *after, *before_html, *after_html, *page = t_path(f.dir, "p.html");
	t_run r;

	r = t_chat_expect(f.store, 0, NULL, "export", "-r", ROOM, "-o", page, NULL);
	t_run_free(&r);
	before = log_json(&f);
	before_html = t_read_file(page, NULL);
	r = t_chat_expect(f.store, 0, NULL, "verify", NULL);
	cr_assert(!t_contains(r.out, "warning"), "%s", r.out);
	t_run_free(&r);

	/* Bob edits and redacts Alice's message through the library. */
	t_set_name("Bob");
	send_raw(f.store, f.bob, GITCHAT_MESSAGE_EDIT, f.m1, "words put in alice's mouth", T_GOLDEN_T0 + 120);
	send_raw(f.store, f.bob, GITCHAT_MESSAGE_REDACT, f.m1, "gone", T_GOLDEN_T0 + 130);

	after = log_json(&f);
	cr_assert_str_eq(after, before, "a foreign edit or redaction changed the rendering");
	r = t_chat_expect(f.store, 0, NULL, "export", "-r", ROOM, "-o", page, NULL);
	t_run_free(&r);
	after_html = t_read_file(page, NULL);
	cr_assert_str_eq(after_html, before_html);

	/* verify: still valid (exit 0), but two warnings naming commit and author. */
	r = t_chat_expect(f.store, 0, NULL, "verify", NULL);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	cr_assert(t_contains(r.out, "refs/chat/features/08d281fcc64fff81964e20b7a33faf16f045cfd"
	                             "37bdfd2b616ec70e1dac4ed24 "), "%s", r.out);
	cr_assert(t_contains(r.out, "warning: edit of ") && t_contains(r.out, "warning: redaction of "),
	          "%s", r.out);
	cr_assert(t_contains(r.out, f.m1) && t_contains(r.out, "who is not its author"), "%s", r.out);
	cr_assert(t_contains(r.err, "2 warnings"), "%s", r.err);
	t_run_free(&r);
	r = t_chat_expect(f.store, 0, NULL, "verify", "-r", ROOM, NULL);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	t_run_free(&r);
	free(before); free(after); free(before_html); free(after_html); free(page);
	teardown(&f);
}

Test(edit_redact_react, redact_or_edit_of_a_deleted_message_is_refused)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *id = t_send(store, key, "general", "regrettable"), *snap, short_id[9];
	t_run r;

	snprintf(short_id, sizeof(short_id), "%.8s", id);
	/* Editing, then redacting, a live message works. */
	r = t_chatv(store, "edit", "--key", key, id, "still regrettable");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(store, "redact", "--key", key, id);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);

	snap = t_snapshot(store);
	r = t_chatv(store, "redact", "--key", key, id);
	cr_assert_eq(r.status, 128, "%d %s", r.status, r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, t_fmt("fatal: message %s is already deleted; nothing to do\n",
	                              short_id));
	t_run_free(&r);
	r = t_chatv(store, "edit", "--key", key, "-m", "hidden anyway", short_id);
	cr_assert_eq(r.status, 128, "%d %s", r.status, r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, t_fmt("fatal: message %s was deleted; an edit would not be "
	                              "shown\n", short_id));
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), snap, "a refused command wrote something");

	/* The reader still shows the deletion, not the edit. */
	r = t_chatv(store, "log", "--format=json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "\"redacted\":true");
	cr_assert_eq(strstr(r.out, "hidden anyway"), NULL, "%s", r.out);
	t_run_free(&r);

	/* Another message of the room is not affected. */
	char *other = t_send(store, key, "general", "fine");
	r = t_chatv(store, "edit", "--key", key, other, "fine, edited");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(store, "redact", "--key", key, other);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}
