/*
 * Profile names (issue 12, test 4), through a git daemon whose repository
 * has the project's hook: a name is shown beside the fingerprint instead
 * of each commit's author name, a newer one replaces it, a name two people
 * claim is told apart by longer fingerprints; hostile names are refused by
 * `git chat profile` and, written by a lying client, shown inert (ignored,
 * and reported by verify).
 */
#include "testsync.h"

#define ok(p, ...) t_person_ok((p), __VA_ARGS__)

/* The line of `log` that holds message `id` (text shows 8 digits). */
#define msg_line(log, id) t_line_with((log), t_strndup((id), 8))

/* A chat-name header written with the library, as a client that skips
 * the name check would: the commit is valid, so the hook takes it. */
static void write_raw_name(const t_person *p, const char *name)
{
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	gitchat_store *st = NULL;
	gitchat_key *k = NULL;
	const char *header = t_fmt("chat-name %s", name);
	git_oid id;

	cr_assert_eq(gitchat_store_open(&st, p->store), 0);
	cr_assert_eq(gitchat_key_load(&k, p->key), 0);
	o.room = "_identity";
	o.text = "set the profile name";
	o.text_len = strlen(o.text);
	o.headers = &header;
	o.header_count = 1;
	o.author_name = p->name;
	o.author_email = p->email;
	cr_assert_eq(gitchat_send(&id, st, k, &o), 0, "%s", gitchat_error_last()->message);
	gitchat_key_free(k);
	gitchat_store_free(st);
}

Test(profile, shown_replaced_and_a_shared_name_told_apart)
{
	char *dir = t_scratch_copy(), *m_alice, *m_carol, *m_bob, *log, *out, *json;
	t_person alice, bob, carol;
	t_hooked s = t_hooked_server(dir);

	t_person_init(&alice, dir, "Alice");
	t_person_init(&bob, dir, "Bob");
	t_person_init(&carol, dir, "Carol");
	m_alice = t_person_send(&alice, "general", "hello");
	m_bob = t_person_send(&bob, "general", "hi");
	ok(&alice, "profile", "--name", "Alice L.");
	ok(&alice, "sync", s.url);
	ok(&bob, "sync", s.url);
	log = ok(&bob, "log", "-r", "general");
	t_assert_contains(msg_line(log, m_alice), t_fmt("Alice L. (%.15s)", alice.fp));
	/* Bob has no profile: his commit's name, as before. */
	t_assert_contains(msg_line(log, m_bob), t_fmt("Bob (%.15s)", bob.fp));
	out = ok(&alice, "profile");
	t_assert_contains(out, "name\tAlice L.\n");
	t_assert_contains(out, t_fmt("person\t%s\n", alice.fp));

	/* A newer name replaces the older one. */
	ok(&alice, "profile", "--name", "Alice Liddell");
	ok(&alice, "sync", s.url);
	ok(&bob, "sync", s.url);
	log = ok(&bob, "log", "-r", "general");
	t_assert_contains(msg_line(log, m_alice), t_fmt("Alice Liddell (%.15s)", alice.fp));
	cr_assert(!t_contains(log, "Alice L. ("), "%s", log);

	/* Carol claims the same name: both are shown with 16 characters of
	 * their own fingerprints, and JSON says the name is shared. */
	m_carol = t_person_send(&carol, "general", "I am Alice too");
	ok(&carol, "profile", "--name", "alice liddell");
	ok(&carol, "sync", s.url);
	ok(&bob, "sync", s.url);
	log = ok(&bob, "log", "-r", "general");
	t_assert_contains(msg_line(log, m_alice), t_fmt("Alice Liddell (%.23s)", alice.fp));
	t_assert_contains(msg_line(log, m_carol), t_fmt("alice liddell (%.23s)", carol.fp));
	json = ok(&bob, "log", "-r", "general", "--format=json");
	cr_assert_eq(t_count(json, "\"name_shared\":true"), 2, "%s", json);
	t_assert_contains(json, "\"author\":{\"name\":\"Alice\",");
	/* A name two people claim names no single key. */
	{
		const char *args[] = { "device", "add", "Alice Liddell", NULL };
		t_run r = t_person_chat(&bob, args);
		cr_assert_eq(r.status, 128);
		t_assert_contains(r.err, alice.fp);
		t_assert_contains(r.err, carol.fp);
		t_run_free(&r);
	}
	t_server_stop(s.srv);
}

Test(profile, hostile_names_are_refused_or_shown_inert)
{
	static const char *const bad[] = {
		"Eve\x1b[31mred",                 /* a terminal escape */
		"Eve\x07",                        /* BEL */
		"Eve\xe2\x80\xae" "evil",         /* U+202E right-to-left override */
		"Eve\xe2\x81\xa6" "x",            /* U+2066 left-to-right isolate */
		"E\xe2\x80\x8bve",                /* U+200B zero width space */
		"Bob (SHA256:abcdefgh)",          /* a fingerprint of someone else */
		" Eve",
		"\xc3\x28",                       /* not UTF-8 */
		"0123456789012345678901234567890123456789012345678901234567890123x",
	};
	char *dir = t_scratch_copy(), *snap, *m_eve, *log, *v;
	t_person eve, bob;
	t_hooked s = t_hooked_server(dir);
	size_t i;

	t_person_init(&eve, dir, "Eve");
	t_person_init(&bob, dir, "Bob");
	m_eve = t_person_send(&eve, "general", "hello");
	snap = t_snapshot(eve.store);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *args[] = { "profile", "--name", bad[i], NULL };
		t_run r = t_person_chat(&eve, args);
		cr_assert_eq(r.status, 128, "name %zu was taken: %s", i, r.out);
		t_assert_contains(r.err, "profile name");
		t_assert_contains(r.err, "choose another name");
		t_run_free(&r);
	}
	cr_assert_str_eq(t_snapshot(eve.store), snap, "a refused name wrote something");
	/* 64 bytes is the limit, and fits. */
	ok(&eve, "profile", "--name",
	   "0123456789012345678901234567890123456789012345678901234567890123");

	/* A lying client writes them anyway: the hook takes the valid commits,
	 * every reader ignores the names (the last good one stays). */
	for (i = 0; i < 6; i++)
		write_raw_name(&eve, bad[i]);
	ok(&eve, "sync", s.url);
	ok(&bob, "sync", s.url);
	log = ok(&bob, "log", "-r", "general");
	/* (text output cuts a name at 48 columns) */
	t_assert_contains(msg_line(log, m_eve),
	                  t_fmt("012345678901234567890123456789012345678901234567\xe2\x80\xa6 "
	                        "(%.15s)", eve.fp));
	cr_assert(!strchr(log, '\x1b') && !strchr(log, '\x07'), "a control reached the output");
	cr_assert(!t_contains(log, "\xe2\x80\xae") && !t_contains(log, "evil"), "%s", log);
	v = ok(&bob, "verify", "-r", "_identity");
	cr_assert_eq(t_count(v, "profile name ignored"), 6, "%s", v);
	cr_assert(!strchr(v, '\x1b'), "verify printed an escape");
	t_server_stop(s.srv);
}
