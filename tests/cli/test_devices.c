/*
 * Linked devices (issue 12, test 3): Alice's laptop and phone, each with
 * its own key, and Bob, through a git daemon whose repository has the
 * project's hook. They link, write offline, sync: Bob sees one person, no
 * fork warning anywhere, an edit from the phone of a laptop message
 * counts; Eve's one-sided chat-link claim to Alice is ignored and verify
 * reports it; an unlink takes effect.
 */
#include "testsync.h"

/* git-chat as p, asserting exit 0 and no fork warning; stdout. */
#define ok(p, ...) run_ok((p), (const char *[]){ __VA_ARGS__, NULL })
static char *run_ok(const t_person *p, const char **args)
{
	char *err;
	char *out = t_person_ok_v(p, &err, args);

	cr_assert(!t_contains(err, "fork"), "%s: git chat %s warned of a fork:\n%s", p->name,
	          args[0], err);
	return out;
}

#define line_of(log, needle) t_line_with((log), (needle))

/* The header line of message `id` (text output shows 8 digits). */
#define msg_line(log, id) line_of((log), t_strndup((id), 8))

/* "SHA256:" and 8 characters: what text output shows. */
static char *short_fp(const t_person *p)
{
	return t_strndup(p->fp, 15);
}

/* Each of `people` syncs in turn: the last has everything, the first
 * what the ones before it had. */
static void sync_each(const t_hooked *s, t_person *const *people, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ok(people[i], "sync", s->url);
}

Test(devices, two_devices_one_person_through_a_hooked_daemon)
{
	char *dir = t_scratch_copy(), *m_laptop, *m_phone, *m_bob, *log, *out, *v;
	t_person laptop, phone, bob, eve;
	t_person *all[] = { &laptop, &phone, &eve, &bob, &laptop, &phone };
	t_hooked s = t_hooked_server(dir);

	t_person_init(&laptop, dir, "Alice");
	t_mkdir(t_path(dir, "phone"));
	t_person_init(&phone, t_path(dir, "phone"), "Alice");
	t_person_init(&bob, dir, "Bob");
	t_person_init(&eve, dir, "Eve");
	cr_assert_str_neq(laptop.hex, phone.hex);

	/* Offline: each device links the other, and writes. */
	ok(&laptop, "device", "add", phone.hex);
	ok(&phone, "device", "add", t_fmt("%s.pub", laptop.key));
	t_clock++;
	m_laptop = t_person_send(&laptop, "general", "from the laptop");
	m_phone = t_person_send(&phone, "general", "from the phone");
	m_bob = t_person_send(&bob, "general", "hi Alice");
	/* Eve claims to be one of Alice's devices, and edits her message. */
	ok(&eve, "device", "add", laptop.hex);
	sync_each(&s, all, 6);

	/* Each device's list shows the other as linked, Eve as a claim. */
	out = ok(&laptop, "device", "list");
	t_assert_contains(line_of(out, laptop.fp), "this device");
	t_assert_contains(t_fmt("%s", strstr(out, phone.fp)), "linked");
	t_assert_contains(line_of(out, eve.fp), "one-sided: it claims to be linked");
	out = ok(&phone, "device", "list");
	cr_assert(t_contains(line_of(out, laptop.fp), " linked"), "%s", out);

	/* Bob sees one person: the laptop's fingerprint on both messages (it
	 * wrote first in _identity), the phone's only with --devices. */
	log = ok(&bob, "log", "-r", "general");
	t_assert_contains(msg_line(log, m_laptop), short_fp(&laptop));
	t_assert_contains(msg_line(log, m_phone), short_fp(&laptop));
	cr_assert(!t_contains(log, short_fp(&phone)), "the phone's key is shown:\n%s", log);
	t_assert_contains(msg_line(log, m_bob), short_fp(&bob));
	log = ok(&bob, "log", "-r", "general", "--devices");
	t_assert_contains(msg_line(log, m_phone), t_fmt("device %s", short_fp(&phone)));
	cr_assert(!t_contains(msg_line(log, m_laptop), "device"), "%s", log);
	/* JSON: the person beside the device, the author object as it was. */
	log = ok(&bob, "log", "-r", "general", "--format=json");
	t_assert_contains(log, t_fmt("\"author\":{\"name\":\"Alice\",\"email\":\"alice@example.org\","
	                             "\"key\":\"%s\"", phone.hex));
	cr_assert_eq(t_count(log, t_fmt("\"person\":{\"name\":\"Alice\",\"profile\":false,"
	                                "\"name_shared\":false,\"key\":\"%s\"", laptop.hex)), 2,
	             "%s", log);

	/* The phone edits the laptop's message; Eve edits it too. */
	ok(&phone, "edit", m_laptop, "-m", "from the laptop, fixed on the phone");
	{
		const char *args[] = { "edit", m_laptop, "-m", "Eve was here", NULL };
		t_run r = t_person_chat(&eve, args);
		cr_assert_eq(r.status, 128, "eve's edit: %s", r.err);
		t_assert_contains(r.err, "not by you nor a device linked to you");
		t_run_free(&r);
	}
	/* Eve writes the edit anyway, with the library (a lying client). */
	{
		gitchat_store *st = NULL;
		gitchat_key *k = NULL;
		gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
		git_oid target, id;
		cr_assert_eq(git_oid_fromstr(&target, m_laptop), 0);
		cr_assert_eq(gitchat_store_open(&st, eve.store), 0);
		cr_assert_eq(gitchat_key_load(&k, eve.key), 0);
		o.room = "general";
		o.kind = GITCHAT_MESSAGE_EDIT;
		o.target = &target;
		o.text = "Eve was here";
		o.text_len = strlen(o.text);
		cr_assert_eq(gitchat_send(&id, st, k, &o), 0, "%s", gitchat_error_last()->message);
		gitchat_key_free(k);
		gitchat_store_free(st);
	}
	sync_each(&s, (t_person *[]){ &phone, &eve, &bob }, 3);
	log = ok(&bob, "log", "-r", "general");
	t_assert_contains(log, "from the laptop, fixed on the phone");
	cr_assert(!t_contains(log, "Eve was here"), "%s", log);
	t_assert_contains(msg_line(log, m_laptop), "(edited)");

	/* verify: Eve's claim and Eve's edit are warnings, not failures. */
	v = ok(&bob, "verify");
	t_assert_contains(v, t_fmt("refs/chat/_identity/%s", eve.hex));
	t_assert_contains(v, t_fmt("one-sided link: %s links %s", eve.fp, laptop.fp));
	t_assert_contains(v, "nor a device linked to it; ignored");
	cr_assert(!t_contains(v, t_fmt("one-sided link: %s", phone.fp)), "%s", v);

	/* The laptop unlinks the phone (lost): after a sync, the phone is a
	 * stranger to Bob, and its edit no longer speaks for Alice. */
	ok(&laptop, "device", "remove", phone.hex);
	sync_each(&s, (t_person *[]){ &laptop, &bob, &phone }, 3);
	log = ok(&bob, "log", "-r", "general");
	t_assert_contains(msg_line(log, m_phone), short_fp(&phone));
	t_assert_contains(msg_line(log, m_laptop), short_fp(&laptop));
	t_assert_contains(log, "from the laptop\n");
	cr_assert(!t_contains(log, "fixed on the phone"), "%s", log);
	/* The phone still links the laptop: a claim, no longer a device. */
	out = ok(&laptop, "device", "list");
	t_assert_contains(line_of(out, phone.fp), "one-sided: it claims to be linked");
	out = ok(&phone, "device", "list");
	t_assert_contains(line_of(out, laptop.fp), "one-sided: this device links it");
	t_server_stop(s.srv);
}

Test(devices, sync_of_one_room_brings_the_identity_room)
{
	char *dir = t_scratch_copy(), *log;
	t_person laptop, phone, bob;
	t_hooked s = t_hooked_server(dir);

	t_person_init(&laptop, dir, "Alice");
	t_mkdir(t_path(dir, "phone"));
	t_person_init(&phone, t_path(dir, "phone"), "Alice");
	t_person_init(&bob, dir, "Bob");
	ok(&laptop, "device", "add", phone.hex);
	ok(&laptop, "sync", "-r", "general", s.url);
	ok(&phone, "sync", "-r", "general", s.url);
	ok(&phone, "device", "add", laptop.hex);
	/* The state as of a commit (what a private room's rule asks): the
	 * laptop's link alone is one-sided; the phone's, which has the
	 * laptop's as a parent, makes one person. */
	{
		gitchat_persons_options o = GITCHAT_PERSONS_OPTIONS_INIT;
		gitchat_persons *ps = NULL;
		gitchat_store *st = NULL;
		gitchat_pubkey a, b;
		git_oid at;
		cr_assert_eq(gitchat_pubkey_from_hex(&a, laptop.hex), 0);
		cr_assert_eq(gitchat_pubkey_from_hex(&b, phone.hex), 0);
		cr_assert_eq(gitchat_store_open(&st, phone.store), 0);
		cr_assert_eq(git_oid_fromstr(&at, t_ref_value(phone.store, t_person_ref(&laptop, "_identity"))), 0);
		o.at = &at;
		cr_assert_eq(gitchat_persons_load(&ps, st, &o), 0, "%s", gitchat_error_last()->message);
		cr_assert_eq(gitchat_persons_same(ps, &a, &b), 0);
		gitchat_persons_free(ps);
		cr_assert_eq(git_oid_fromstr(&at, t_ref_value(phone.store, t_person_ref(&phone, "_identity"))), 0);
		cr_assert_eq(gitchat_persons_load(&ps, st, &o), 0, "%s", gitchat_error_last()->message);
		cr_assert_eq(gitchat_persons_same(ps, &a, &b), 1);
		gitchat_persons_free(ps);
		gitchat_store_free(st);
	}
	ok(&laptop, "profile", "--name", "Alice L.");
	t_person_send(&phone, "random", "elsewhere");
	t_person_send(&phone, "general", "hello");
	ok(&laptop, "sync", "-r", "general", s.url);
	ok(&phone, "sync", "-r", "general", s.url);
	ok(&bob, "sync", "-r", "general", s.url);
	cr_assert_not_null(t_ref_value(bob.store, t_fmt("refs/chat/_identity/%s", laptop.hex)));
	cr_assert_null(t_ref_value(bob.store, t_fmt("refs/chat/random/%s", phone.hex)));
	log = ok(&bob, "log", "-r", "general");
	t_assert_contains(log, t_fmt("Alice L. (%s)", short_fp(&laptop)));
	t_server_stop(s.srv);
}

Test(devices, bad_arguments_are_refused_and_write_nothing)
{
	char *dir = t_scratch_copy(), *snap;
	t_person a, b;
	t_run r;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	snap = t_snapshot(a.store);
	{
		const char *args[] = { "device", "add", a.hex, NULL };
		r = t_person_chat(&a, args);
		cr_assert_eq(r.status, 128);
		t_assert_contains(r.err, "this device's own key");
		t_run_free(&r);
	}
	{
		const char *args[] = { "device", "add", "nonsense", NULL };
		r = t_person_chat(&a, args);
		cr_assert_eq(r.status, 128);
		t_assert_contains(r.err, "'nonsense' names no single key");
		t_run_free(&r);
	}
	{
		const char *args[] = { "device", "remove", b.hex, NULL };
		r = t_person_chat(&a, args);
		cr_assert_eq(r.status, 128);
		t_assert_contains(r.err, "does not link");
		t_run_free(&r);
	}
	{
		const char *args[] = { "device", "add", NULL };
		r = t_person_chat(&a, args);
		cr_assert_eq(r.status, 129);
		t_run_free(&r);
	}
	cr_assert_str_eq(t_snapshot(a.store), snap);
	{
		const char *args[] = { "send", "-r", "_identity", "-m", "x", NULL };
		r = t_person_chat(&a, args);
		cr_assert_neq(r.status, 0);
		t_run_free(&r);
	}
}
