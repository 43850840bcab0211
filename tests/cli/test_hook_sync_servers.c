/*
 * `git chat sync` as the client of a hooked server, through git daemon,
 * smart HTTP and sshd (tests/lib/servers.h).
 *
 * sync verifies its own logs before pushing, so to make it push what the
 * hook must refuse, the client's verification cache is told that the bad
 * heads are valid (a buggy or lying client, running the real push code):
 * each such log is declined by the server, reported by sync with the hook's
 * reason, and the server keeps what it had; the good logs of the same sync
 * land. What sync never sends (another key's head, a rewrite, a deletion, a
 * bad ref name) leaves the server unchanged too.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <unistd.h>

#include "servers.h"
#include "testforge.h"

typedef struct {
	t_server *srv;
	char *dir, *repo, *url, *client;
} site;

static site open_site(t_server_kind kind)
{
	const char *http[] = { "--http", NULL };
	site s;
	t_run r;

	s.dir = t_keep(strdup(t_scratch()));
	t_mkdir(t_path(s.dir, "srv"));
	s.srv = t_server_start(kind, t_path(s.dir, "srv"));
	s.repo = t_store_server(t_path(s.dir, "srv"), "room.git", http);
	s.url = t_keep(t_server_url(s.srv, "room.git"));
	s.client = t_store(s.dir, "client.git");
	if (kind == T_SERVER_SSH) {
		t_server_install_known_hosts(s.srv);
		r = t_git_run(s.client, "config chat.sshKey '%s'", t_server_ssh_client_key(s.srv));
		cr_assert_eq(r.status, 0);
		t_run_free(&r);
	}
	return s;
}

static t_run sync_to(const site *s)
{
	const char *args[] = { "sync", s->url, NULL };
	return t_chat(s->client, NULL, args);
}

/* Tells the client's verification cache that `id` is valid in `room`
 * (format: src/lib/verify/cache.h). */
static void plant_valid(const char *store, const char *room, const char *id)
{
	char *dir = t_path(store, "chat/verified"), *file = t_path(dir, room);
	unsigned char rec[20], h[32] = "GCVRFY04";   /* nsorted 0: all records are tail */
	uint32_t lim[5] = { 65536, 16777216, 17, 0, 8388608 };
	git_oid oid;
	int fd;

	t_mkdir(dir);
	for (int i = 0; i < 5; i++) {
		h[8 + 4 * i] = (unsigned char)(lim[i] >> 24);
		h[9 + 4 * i] = (unsigned char)(lim[i] >> 16);
		h[10 + 4 * i] = (unsigned char)(lim[i] >> 8);
		h[11 + 4 * i] = (unsigned char)lim[i];
	}
	fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644);
	cr_assert(fd >= 0);
	if (lseek(fd, 0, SEEK_END) == 0)
		cr_assert(write(fd, h, sizeof(h)) == (ssize_t)sizeof(h));
	cr_assert_eq(git_oid_fromstr(&oid, id), 0);
	memcpy(rec, oid.id, sizeof(rec));
	cr_assert(write(fd, rec, sizeof(rec)) == (ssize_t)sizeof(rec));
	close(fd);
}

static char *rev(const char *gitdir, const char *ref)
{
	t_run r = t_git_run(gitdir, "rev-parse -q --verify '%s'", ref);
	char *id = r.status == 0 ? t_strndup(r.out, 40) : NULL;
	t_run_free(&r);
	return id;
}

/* A sync whose only push is `ref` at `id`, which the server must decline
 * with `reason` and not store. */
static void declined(const site *s, const char *ref, const char *id, const char *reason)
{
	char *before = t_refs_all(s->repo);
	t_run r = sync_to(s);

	cr_assert_eq(r.status, 1, "sync: %s%s", r.out, r.err);
	cr_assert(strstr(r.err, t_fmt("the server declined %s at %.7s", ref, id)),
	          "the declined push is not reported:\n%s", r.err);
	cr_assert(strstr(r.err, t_fmt("refusing %s: ", ref)), "no hook line:\n%s", r.err);
	cr_assert(strstr(r.err, reason), "reason '%s' not shown:\n%s", reason, r.err);
	cr_assert(strstr(r.out, "push declined by the server"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_refs_all(s->repo), before, "the server's refs changed");
	cr_assert(!t_has_object(s->repo, id), "declined commit %s was stored", id);
}

/* Sets ref to id in the client and pretends id verified. */
static void lie(const site *s, const char *ref, const char *id)
{
	t_set_ref(s->client, ref, id);
	plant_valid(s->client, "general", id);
}

static void every_case(t_server_kind kind)
{
	site s = open_site(kind);
	char *alice = t_keygen(s.dir, "alice", 1), *mallory = t_keygen(s.dir, "mallory", 1);
	char *aref = t_ref("general", alice), *a1, *a2, *id, *u, *hex = t_key_hex(alice);
	t_run r;

	/* Valid: sync creates the log on the server, then moves it on. */
	a1 = t_send(s.client, alice, "general", "hello");
	r = sync_to(&s);
	cr_assert_eq(r.status, 0, "sync: %s%s", r.out, r.err);
	t_run_free(&r);
	cr_assert_str_eq(rev(s.repo, aref), a1);
	a2 = t_send(s.client, alice, "general", "again");
	r = sync_to(&s);
	cr_assert_eq(r.status, 0, "sync: %s%s", r.out, r.err);
	t_run_free(&r);
	cr_assert_str_eq(rev(s.repo, aref), a2);

	/* What a lying client can make sync push: each is declined. */
	{
		t_forged c = { .room = "random", .text = "replayed", .signer = alice };
		c.parents[0] = a2;
		id = t_forge(s.client, &c);
		lie(&s, aref, id);
		declined(&s, aref, id, "its chat-room is 'random', not 'general'");
	}
	{
		t_forged bad = { .room = "general", .text = "unsigned parent" };
		t_forged c = { .room = "general", .text = "on an unsigned parent", .signer = alice };
		bad.parents[0] = a2;
		u = t_forge(s.client, &bad);
		c.parents[0] = u;
		id = t_forge(s.client, &c);
		lie(&s, aref, id);
		declined(&s, aref, id, t_fmt("its ancestor %s is invalid: it is not signed", u));
	}
	{
		t_forged c = { .room = "general", .text = "0123456789abcdef", .repeat = 4097,
		                .signer = alice };
		c.parents[0] = a2;
		id = t_forge(s.client, &c);
		lie(&s, aref, id);
		declined(&s, aref, id, "over the limit of 65536");
	}
	{
		/* alice's signature, on other bytes: a tampered message. */
		t_forged c = { .room = "general", .text = "signed text", .signer = alice };
		t_run raw;
		char *tampered;
		c.parents[0] = a2;
		id = t_forge(s.client, &c);
		raw = t_git_run(s.client, "cat-file commit %s | sed 's/^signed text$/other text/' | "
		                       "git --git-dir='%s' hash-object -t commit -w --stdin",
		             id, s.client);
		cr_assert_eq(raw.status, 0, "%s", raw.err);
		tampered = t_strndup(raw.out, 40);
		t_run_free(&raw);
		lie(&s, aref, tampered);
		declined(&s, aref, tampered, "bad signature");
	}
	/* The server's own limit, stricter than the client's: no lie needed. */
	t_set_ref(s.client, aref, a2);
	r = t_git_run(s.repo, "config chat.maxMessageBytes 100");
	t_run_free(&r);
	{
		char big[300];
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		id = t_send(s.client, alice, "general", big);
		declined(&s, aref, id, "over the limit of 100");
	}
	r = t_git_run(s.repo, "config --unset chat.maxMessageBytes");
	t_run_free(&r);
	t_set_ref(s.client, aref, a2);

	/* What sync never sends: the server stays as it is. */
	{
		char *before = t_refs_all(s.repo);
		t_forged c = { .room = "general", .text = "I am alice", .signer = mallory };
		c.parents[0] = a2;
		id = t_forge(s.client, &c);
		lie(&s, aref, id);                          /* another key's head */
		r = sync_to(&s);
		cr_assert_neq(r.status, 0);
		cr_assert(strstr(r.err, "not by the log's owner"), "%s", r.err);
		t_run_free(&r);
		t_set_ref(s.client, aref, a1);             /* behind the server: nothing to push */
		t_set_ref(s.client, t_fmt("refs/chat/General/%s", hex), a2);  /* bad name */
		r = sync_to(&s);
		t_run_free(&r);
		r = t_git_run(s.client, "update-ref -d '%s'", aref);                /* deleted here */
		t_run_free(&r);
		r = sync_to(&s);
		t_run_free(&r);
		cr_assert_str_eq(t_refs_all(s.repo), before, "the server changed");
	}
	t_server_stop(s.srv);
}

/* Issue 5, item 2: one bad log among good ones. */
static void one_bad_among_good(t_server_kind kind)
{
	site s = open_site(kind);
	char *alice = t_keygen(s.dir, "alice", 1), *bob = t_keygen(s.dir, "bob", 1);
	char *carol = t_keygen(s.dir, "carol", 1);
	char *aref = t_ref("general", alice), *bref = t_ref("general", bob);
	char *cref = t_ref("general", carol), *a1, *b1, *bad;
	t_forged c = { .room = "random", .text = "replayed", .signer = carol };
	t_run r;

	a1 = t_send(s.client, alice, "general", "from alice");
	b1 = t_send(s.client, bob, "general", "from bob");
	bad = t_forge(s.client, &c);
	lie(&s, cref, bad);
	r = sync_to(&s);
	cr_assert_eq(r.status, 1, "sync: %s%s", r.out, r.err);
	cr_assert(strstr(r.err, t_fmt("the server declined %s at %.7s", cref, bad)), "%s", r.err);
	cr_assert(strstr(r.err, "its chat-room is 'random', not 'general'"), "%s", r.err);
	cr_assert(!strstr(r.err, t_fmt("declined %s", aref)) &&
	          !strstr(r.err, t_fmt("declined %s", bref)), "a good log was declined:\n%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(rev(s.repo, aref), a1);
	cr_assert_str_eq(rev(s.repo, bref), b1);
	cr_assert_null(rev(s.repo, cref), "the bad log reached the server");
	cr_assert(!t_has_object(s.repo, bad));
	t_server_stop(s.srv);
}

Test(hook_sync, git_daemon, .timeout = 400) { every_case(T_SERVER_DAEMON); }
Test(hook_sync, smart_http, .timeout = 400) { every_case(T_SERVER_HTTP); }
Test(hook_sync, sshd, .timeout = 400) { every_case(T_SERVER_SSH); }
Test(hook_sync, one_bad_log_git_daemon, .timeout = 300) { one_bad_among_good(T_SERVER_DAEMON); }
Test(hook_sync, one_bad_log_smart_http, .timeout = 300) { one_bad_among_good(T_SERVER_HTTP); }
Test(hook_sync, one_bad_log_sshd, .timeout = 300) { one_bad_among_good(T_SERVER_SSH); }
