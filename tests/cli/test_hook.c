/*
 * The pre-receive hook through stock `git push` to a local path: git runs
 * receive-pack, which runs hooks/pre-receive (installed by `git chat init
 * --server`) with the pushed objects in its quarantine. Each refused case
 * checks that the server is unchanged and that the pusher sees the reason.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testforge.h"

typedef struct {
	char *dir, *server, *client;
	char *alice, *bob, *mallory;     /* key files */
	char *aref, *bref;               /* their refs in room general */
	char *a1;                        /* alice's first message, on the server */
} world;

static t_run push(const char *client, const char *server, const char *refspec)
{
	return t_git_run(client, "push '%s' '%s'", server, refspec);
}

static void push_ok(const char *client, const char *server, const char *refspec)
{
	t_run r = push(client, server, refspec);
	cr_assert_eq(r.status, 0, "push %s failed:\n%s", refspec, r.err);
	cr_assert(strstr(r.err, "remote: git-chat: "), "the hook did not run:\n%s", r.err);
	t_run_free(&r);
}

static void setup(world *w)
{
	w->dir = t_keep(strdup(t_scratch()));
	w->server = t_store_server(w->dir, "server.git", NULL);
	w->client = t_store(w->dir, "client.git");
	w->alice = t_keygen(w->dir, "alice", 1);
	w->bob = t_keygen(w->dir, "bob", 1);
	w->mallory = t_keygen(w->dir, "mallory", 0);
	w->aref = t_ref("general", w->alice);
	w->bref = t_ref("general", w->bob);
	w->a1 = t_send(w->client, w->alice, "general", "hello from alice");
	push_ok(w->client, w->server, w->aref);
}

/* Pushes `refspec`, expects a refusal naming `dst` and `reason`, and the
 * server exactly as before (refs, and `forged` not stored). */
static void refused(const world *w, const char *refspec, const char *dst, const char *forged,
                    const char *reason)
{
	char *before = t_refs_all(w->server), *after, line[512];
	t_run r = push(w->client, w->server, refspec);

	cr_assert_neq(r.status, 0, "push %s was accepted:\n%s", refspec, r.err);
	snprintf(line, sizeof(line), "remote: error: refusing %s: ", dst);
	cr_assert(strstr(r.err, line), "no refusal line for %s:\n%s", dst, r.err);
	cr_assert(strstr(r.err, reason), "reason '%s' not shown:\n%s", reason, r.err);
	cr_assert(strstr(r.err, "pre-receive hook declined"), "%s", r.err);
	after = t_refs_all(w->server);
	cr_assert_str_eq(after, before, "the server's refs changed");
	if (forged)
		cr_assert(!t_has_object(w->server, forged), "refused object %s was stored", forged);
	t_run_free(&r);
}

static char *spec(const char *src, const char *dst)
{
	char *s = NULL;
	s = t_fmt("%s:%s", src, dst);
	return s;
}

Test(hook, valid_pushes_land)
{
	world w;
	char *bob_store, *a2, *b1, *b1_parent;
	t_run r;

	setup(&w);
	/* Bob has alice's log and answers: his first commit's parent is her head. */
	bob_store = t_store(w.dir, "bob.git");
	r = t_git_run(bob_store, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.server);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	b1 = t_send(bob_store, w.bob, "general", "hello alice");
	r = t_git_run(bob_store, "rev-parse %s^1", b1);
	cr_assert_eq(r.status, 0, "bob's message has no parent: %s", r.err);
	b1_parent = t_strndup(r.out, 40);
	cr_assert_str_eq(b1_parent, w.a1);
	t_run_free(&r);
	push_ok(bob_store, w.server, w.bref);
	/* A fast-forward of alice's log. */
	a2 = t_send(w.client, w.alice, "general", "second");
	push_ok(w.client, w.server, w.aref);
	r = t_git_run(w.server, "rev-parse '%s' '%s'", w.aref, w.bref);
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, a2, 40) == 0 && strncmp(r.out + 41, b1, 40) == 0, "%s", r.out);
	t_run_free(&r);
	{
		const char *args[] = { "verify", NULL };
		r = t_chat(w.server, NULL, args);
		cr_assert_eq(r.status, 0, "verify on the server: %s%s", r.out, r.err);
		t_run_free(&r);
	}
}

Test(hook, several_rooms_and_dependent_refs_in_one_push)
{
	world w;
	char *rref, *a2, *b1, *r1;
	t_run r;

	setup(&w);
	/* Bob answers alice's new message before either is on the server. */
	a2 = t_send(w.client, w.alice, "general", "new from alice");
	r1 = t_send(w.client, w.alice, "random", "in another room");
	b1 = t_send(w.client, w.bob, "general", "answer to the new one");
	r = t_git_run(w.client, "rev-parse %s^1", b1);
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, a2, 40) == 0, "%s", r.out);
	t_run_free(&r);
	rref = t_ref("random", w.alice);
	r = push(w.client, w.server, "refs/chat/*:refs/chat/*");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "3 chat log updates verified"), "%s", r.err);
	t_run_free(&r);
	r = t_git_run(w.server, "rev-parse '%s' '%s'", w.bref, rref);
	cr_assert(strncmp(r.out, b1, 40) == 0 && strncmp(r.out + 41, r1, 40) == 0, "%s", r.out);
	t_run_free(&r);
}

/* A fast-forward whose path to the old head runs through commits the server
 * already has (another log's), not through the pushed ones: the hook cannot
 * see it in the push and leaves the ancestry test to the library. */
Test(hook, fast_forward_through_existing_commits)
{
	world w;
	t_forged c = { .room = "general", .text = "answering bob only", .time = 1764160000 };
	char *bob_store, *b1, *id;
	t_run r;

	setup(&w);
	bob_store = t_store(w.dir, "bob.git");
	r = t_git_run(bob_store, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.server);
	t_run_free(&r);
	b1 = t_send(bob_store, w.bob, "general", "seen alice's first");   /* parent: a1 */
	push_ok(bob_store, w.server, w.bref);
	r = t_git_run(w.client, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.server);
	t_run_free(&r);
	c.parents[0] = b1;   /* alice's next message, with bob's as its only parent */
	c.signer = w.alice;
	id = t_forge(w.client, &c);
	push_ok(w.client, w.server, spec(id, w.aref));
	r = t_git_run(w.server, "rev-parse '%s'", w.aref);
	cr_assert(strncmp(r.out, id, 40) == 0, "%s", r.out);
	t_run_free(&r);
}

/* One forged commit pushed onto a log, refused with its reason: the cases
 * that differ only in what the commit says, who signs it and where it goes. */
enum { UNSIGNED, BY_ALICE, BY_MALLORY };
typedef struct {
	const char *room, *text;
	size_t repeat;
	int on_a1;           /* parent: alice's first message (else a root commit) */
	int signer;
	int bobs_log;        /* pushed as bob's log (a new one), else onto alice's */
	const char *reason;
} forged_case;

static const forged_case forged_cases[] = {
	/* signed by another key */
	{ "general", "I am alice", 0, 1, BY_MALLORY, 0, "not by the log's owner" },
	/* unsigned */
	{ "general", "no signature", 0, 1, UNSIGNED, 0, "it is not signed" },
	/* the unsigned first commit of a new log */
	{ "general", "no signature", 0, 0, UNSIGNED, 1, "it is not signed" },
	/* the wrong chat-room */
	{ "random", "replayed into general", 0, 1, BY_ALICE, 0,
	  "its chat-room is 'random', not 'general'" },
	/* no chat-room */
	{ NULL, "no room at all", 0, 1, BY_ALICE, 0, "it has no chat-room header" },
	/* a message over the limit */
	{ "general", "0123456789abcdef", 4097, 1, BY_ALICE, 0, "over the limit of 65536" },
};

/* Indices, not the cases: Criterion's workers get copies of the
 * parameters, and pointers in them need not survive that. */
ParameterizedTestParameters(hook, forged_commit_refused)
{
	static size_t idx[sizeof(forged_cases) / sizeof(*forged_cases)];

	for (size_t i = 0; i < sizeof(idx) / sizeof(*idx); i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(*idx));
}

ParameterizedTest(size_t *i, hook, forged_commit_refused)
{
	const forged_case *fc = &forged_cases[*i];
	t_forged c = { .room = fc->room, .text = fc->text, .repeat = fc->repeat };
	const char *ref;
	world w;
	char *id;

	setup(&w);
	ref = fc->bobs_log ? w.bref : w.aref;
	c.parents[0] = fc->on_a1 ? w.a1 : NULL;
	c.signer = fc->signer == BY_ALICE ? w.alice : fc->signer == BY_MALLORY ? w.mallory : NULL;
	id = t_forge(w.client, &c);
	refused(&w, spec(id, ref), ref, id, fc->reason);
}

/* Alice signs `c`, whose ancestor `u` is unsigned: the push is refused,
 * naming that ancestor. */
static void refused_over_unsigned(world *w, t_forged *c, const char *u)
{
	char reason[128], *id;

	c->signer = w->alice;
	id = t_forge(w->client, c);
	snprintf(reason, sizeof(reason), "its ancestor %s is invalid: it is not signed", u);
	refused(w, spec(id, w->aref), w->aref, id, reason);
}

Test(hook, invalid_parent)
{
	world w;
	t_forged bad = { .room = "general", .text = "unsigned root" };
	t_forged c = { .room = "general", .text = "signed, on a bad parent" };
	char *u;

	setup(&w);
	u = t_forge(w.client, &bad);
	c.parents[0] = w.a1;
	c.parents[1] = u;
	refused_over_unsigned(&w, &c, u);
	cr_assert(!t_has_object(w.server, u));
}

/* The parent is a valid message, already on the server, of another room:
 * what the hook trusts is per room. */
Test(hook, parent_from_another_room_on_the_server)
{
	world w;
	t_forged c = { .room = "general", .text = "pulls in another room" };
	char *other, *rref, *id;

	setup(&w);
	other = t_send(w.client, w.alice, "random", "in random");
	rref = t_ref("random", w.alice);
	push_ok(w.client, w.server, rref);
	c.parents[0] = w.a1;
	c.parents[1] = other;
	c.signer = w.alice;
	id = t_forge(w.client, &c);
	refused(&w, spec(id, w.aref), w.aref, id, "its chat-room is 'random', not 'general'");
}

Test(hook, forced_rewrite)
{
	world w;
	t_forged c = { .room = "general", .text = "a different second message" };
	char *a2, *other, *s;

	setup(&w);
	a2 = t_send(w.client, w.alice, "general", "second");
	push_ok(w.client, w.server, w.aref);
	/* Rewinding to an older head. */
	s = t_fmt("+%s:%s", w.a1, w.aref);
	refused(&w, s, w.aref, NULL, "does not descend from the current head");
	/* A valid, signed, but diverging continuation. */
	c.parents[0] = w.a1;
	c.signer = w.alice;
	other = t_forge(w.client, &c);
	{
		char *f = NULL;
		f = t_fmt("+%s:%s", other, w.aref);
		refused(&w, f, w.aref, other, "(a history rewrite)");
	}
	(void)a2;
}

Test(hook, deletion)
{
	world w;
	char *s;

	setup(&w);
	s = spec("", w.aref);
	refused(&w, s, w.aref, NULL, "a chat log cannot be deleted");
}

Test(hook, bad_ref_names)
{
	world w;
	char *hex, *s, *dst;
	const char *rooms[] = { "Bad", "-dash", "_under",
		"a1234567890123456789012345678901234567890123456789012345678901234" };

	setup(&w);
	hex = t_key_hex(w.alice);
	refused(&w, spec(w.a1, "refs/chat/general/notakey"), "refs/chat/general/notakey", NULL,
	        "does not end in a key of 64 lowercase hex digits");
	for (size_t i = 0; i < sizeof(rooms) / sizeof(*rooms); i++) {
		dst = t_fmt("refs/chat/%s/%s", rooms[i], hex);
		refused(&w, spec(w.a1, dst), dst, NULL, strlen(rooms[i]) > 64
		        ? "is not of the form refs/chat/<room>/<key>" : "names an invalid room");
	}
	dst = t_fmt("refs/chat/general/%s/extra", hex);
	refused(&w, spec(w.a1, dst), dst, NULL, "is not of the form refs/chat/<room>/<key>");
	refused(&w, spec(w.a1, "refs/chat/general"), "refs/chat/general", NULL,
	        "is not of the form refs/chat/<room>/<key>");
	/* Upper-case hex names the same key, but not the same ref. */
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	s = t_fmt("refs/chat/general/%s", hex);
	refused(&w, spec(w.a1, s), s, NULL, "64 lowercase hex digits");
}

/* The server's own limit applies, whatever the client's was. */
Test(hook, server_limit_from_its_config)
{
	world w;
	char *id, big[300];
	t_run r;

	setup(&w);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	id = t_send(w.client, w.alice, "general", big);
	r = t_git_run(w.server, "config chat.maxMessageBytes 100");
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	refused(&w, w.aref, w.aref, id, "over the limit of 100");
}

Test(hook, one_bad_ref_refuses_the_whole_push)
{
	world w;
	t_forged c = { .room = "general", .text = "forged bob" };
	char *a2, *forged, *refs, *before;
	t_run r;

	setup(&w);
	a2 = t_send(w.client, w.alice, "general", "good");
	c.signer = w.mallory;
	forged = t_forge(w.client, &c);
	t_set_ref(w.client, w.bref, forged);
	before = t_refs_all(w.server);
	r = push(w.client, w.server, "refs/chat/*:refs/chat/*");
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, w.bref) && strstr(r.err, "not by the log's owner"), "%s", r.err);
	cr_assert(strstr(r.err, "1 of 2 ref updates are refused"), "%s", r.err);
	cr_assert(strstr(r.err, "no ref was updated"), "%s", r.err);
	refs = t_refs_all(w.server);
	cr_assert_str_eq(refs, before);
	cr_assert(!t_has_object(w.server, a2), "the good log's commit was stored");
	t_run_free(&r);
	/* Alone, the good log lands. */
	push_ok(w.client, w.server, w.aref);
}

/* The hook trusts the room's current heads (it accepted them before) and
 * verifies only what the push adds: an invalid commit that is already an
 * ancestor of a chat head is not looked at again... */
Test(hook, existing_heads_are_trusted)
{
	world w;
	t_forged bad = { .room = "general", .text = "planted unsigned", .time = 1764150001 };
	t_forged c = { .room = "general", .text = "on top", .time = 1764150002 };
	char *u, *id;

	setup(&w);
	bad.parents[0] = w.a1;
	u = t_forge(w.server, &bad);
	t_set_ref(w.server, w.aref, u);      /* planted by the operator, bypassing the hook */
	c.parents[0] = u;
	c.signer = w.alice;
	id = t_forge(w.client, &c);
	t_forge(w.client, &bad);
	push_ok(w.client, w.server, spec(id, w.aref));
}

/* ...but an object the server holds outside the room's chat heads is not
 * trusted: it is verified like a new one. */
Test(hook, objects_outside_chat_heads_are_verified)
{
	world w;
	t_forged bad = { .room = "general", .text = "parked unsigned" };
	t_forged c = { .room = "general", .text = "on the parked one" };
	char *u;

	setup(&w);
	bad.parents[0] = w.a1;
	u = t_forge(w.server, &bad);
	t_set_ref(w.server, "refs/heads/parked", u);
	t_forge(w.client, &bad);
	c.parents[0] = u;
	refused_over_unsigned(&w, &c, u);
}

Test(hook, other_refs_allowed_by_default)
{
	world w;
	char *s;
	t_run r;

	setup(&w);
	s = spec(w.a1, "refs/heads/main");
	r = push(w.client, w.server, s);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_git_run(w.server, "rev-parse refs/heads/main");
	cr_assert(strncmp(r.out, w.a1, 40) == 0);
	t_run_free(&r);
}

Test(hook, other_refs_denied_on_a_chat_only_server)
{
	world w;
	t_run r;

	setup(&w);
	r = t_git_run(w.server, "config chat.hook.otherRefs deny");
	t_run_free(&r);
	refused(&w, spec(w.a1, "refs/heads/main"), "refs/heads/main", NULL,
	        "this server takes only chat logs");
	refused(&w, spec(w.a1, "refs/tags/v1"), "refs/tags/v1", NULL, "chat.hook.otherRefs deny");
}

Test(hook, other_refs_setting_must_be_known)
{
	world w;
	char *before, *after;
	t_run r;

	setup(&w);
	r = t_git_run(w.server, "config chat.hook.otherRefs maybe");
	t_run_free(&r);
	before = t_refs_all(w.server);
	r = push(w.client, w.server, spec(w.a1, "refs/heads/main"));
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "chat.hook.otherRefs' is 'maybe'; set it to 'allow' or 'deny'"),
	          "%s", r.err);
	after = t_refs_all(w.server);
	cr_assert_str_eq(after, before);
	t_run_free(&r);
}

static int dir_has_prefix(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	cr_assert(d != NULL, "%s", dir);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			found = 1;
	closedir(d);
	return found;
}

/* The hook writes nothing: no verify cache, nothing left in the quarantine. */
Test(hook, leaves_no_files)
{
	world w;
	t_forged c = { .room = "general", .text = "unsigned" };
	char *chatdir, *objects, *id;
	struct stat st;
	t_run r;

	setup(&w);
	t_send(w.client, w.alice, "general", "accepted");
	push_ok(w.client, w.server, w.aref);
	c.parents[0] = w.a1;
	id = t_forge(w.client, &c);
	r = push(w.client, w.server, spec(id, w.bref));
	cr_assert_neq(r.status, 0);
	t_run_free(&r);
	chatdir = t_path(w.server, "chat");
	cr_assert(stat(chatdir, &st) < 0, "the hook wrote %s", chatdir);
	objects = t_path(w.server, "objects");
	cr_assert(!dir_has_prefix(objects, "incoming-"), "a quarantine was left behind");
	cr_assert(!dir_has_prefix(w.server, "tmp"), "temporary files were left behind");
}

/* Concurrent pushes: the hook holds no lock and shares no file, and git's
 * compare-and-swap on each ref keeps racing updates of one log honest. */
Test(hook, concurrent_pushes)
{
	world w;
	enum { N = 6 };
	char *stores[N], *keys[N], *refs[N], name[32];
	gitchat_buf cmd = GITCHAT_BUF_INIT;
	t_run r;

	setup(&w);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "c%d.git", i);
		stores[i] = t_store(w.dir, name);
		snprintf(name, sizeof(name), "k%d", i);
		keys[i] = t_keygen(w.dir, name, 1);
		refs[i] = t_ref("general", keys[i]);
		for (int j = 0; j < 3; j++)
			t_send(stores[i], keys[i], "general", "busy");
		gitchat_buf_printf(&cmd, "git --git-dir='%s' push -q '%s' '%s' & p%d=$!; ",
		                   stores[i], w.server, refs[i], i);
	}
	gitchat_buf_puts(&cmd, "fail=0; ");
	for (int i = 0; i < N; i++)
		gitchat_buf_printf(&cmd, "wait $p%d || fail=1; ", i);
	gitchat_buf_puts(&cmd, "exit $fail");
	r = t_sh("%s", cmd.ptr);
	cr_assert_eq(r.status, 0, "a concurrent push failed: %s", r.err);
	t_run_free(&r);
	for (int i = 0; i < N; i++) {
		char *mine = NULL;
		r = t_git_run(stores[i], "rev-parse '%s'", refs[i]);
		mine = t_strndup(r.out, 40);
		t_run_free(&r);
		r = t_git_run(w.server, "rev-parse '%s'", refs[i]);
		cr_assert(strncmp(r.out, mine, 40) == 0, "log %d did not land", i);
		t_run_free(&r);
	}
	/* Two racing updates of the same log from the same start: git lets at
	 * most one through, and whatever lands is valid. */
	{
		char *s1 = t_store(w.dir, "race1.git"), *s2;
		r = t_git_run(s1, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.server);
		t_run_free(&r);
		s2 = t_store(w.dir, "race2.git");
		r = t_git_run(s2, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.server);
		t_run_free(&r);
		t_send(s1, w.alice, "general", "from device one");
		t_send(s2, w.alice, "general", "from device two");
		r = t_sh("git --git-dir='%s' push -q '%s' '%s' 2>/dev/null & p1=$!; "
		         "git --git-dir='%s' push -q '%s' '%s' 2>/dev/null & p2=$!; "
		         "a=0; wait $p1 && a=$((a+1)); wait $p2 && a=$((a+1)); echo $a",
		         s1, w.server, w.aref, s2, w.server, w.aref);
		cr_assert(r.out[0] == '1', "not exactly one of two diverging pushes landed: %s", r.out);
		t_run_free(&r);
	}
	{
		const char *args[] = { "verify", NULL };
		r = t_chat(w.server, NULL, args);
		cr_assert_eq(r.status, 0, "verify on the server: %s%s", r.out, r.err);
		t_run_free(&r);
	}
	gitchat_buf_dispose(&cmd);
}
