/*
 * The hook behind real servers on 127.0.0.1 (tests/lib/servers.h): git
 * daemon, smart HTTP (lighttpd + git http-backend) and sshd, with stock
 * `git push` as the client. Valid pushes land; each kind of bad push is
 * refused, leaves the server's repository as it was, and the pusher sees
 * the reason as "remote: error: refusing REF: ...".
 */
#include <criterion/criterion.h>

#include "servers.h"
#include "testforge.h"

typedef struct {
	t_server *srv;
	char *url, *repo, *client;
	char *alice, *mallory, *aref, *head;
} site;

static t_run push(const site *s, const char *refspec)
{
	const char *argv[] = { "git", "--git-dir", s->client, "push", s->url, refspec, NULL };
	return t_run_argv(NULL, argv, NULL, 0, t_server_git_env(s->srv));
}

static void lands(site *s, const char *refspec, const char *dst, const char *id)
{
	t_run r = push(s, refspec);
	cr_assert_eq(r.status, 0, "push %s failed:\n%s", refspec, r.err);
	cr_assert(strstr(r.err, "remote: git-chat: 1 chat log update verified"),
	          "the hook did not run:\n%s", r.err);
	t_run_free(&r);
	r = t_git_run(s->repo, "rev-parse '%s'", dst);
	cr_assert(strncmp(r.out, id, 40) == 0, "%s is %s, not %s", dst, r.out, id);
	t_run_free(&r);
}

static void refused(const site *s, const char *refspec, const char *dst, const char *forged,
                    const char *reason)
{
	char *before = t_refs_all(s->repo), *line = t_fmt("remote: error: refusing %s: ", dst);
	t_run r = push(s, refspec);

	cr_assert_neq(r.status, 0, "push %s was accepted:\n%s", refspec, r.err);
	cr_assert(strstr(r.err, line), "no refusal line for %s:\n%s", dst, r.err);
	cr_assert(strstr(r.err, reason), "reason '%s' not shown:\n%s", reason, r.err);
	cr_assert_str_eq(t_refs_all(s->repo), before, "the server's refs changed");
	if (forged)
		cr_assert(!t_has_object(s->repo, forged), "refused object %s was stored", forged);
	t_run_free(&r);
}

static void every_case(t_server_kind kind)
{
	const char *dir = t_scratch();
	const char *http[] = { "--http", NULL };
	char *root = t_path(dir, "srv"), *hex, *id, *u, *a1;
	site s;

	t_mkdir(root);
	s.srv = t_server_start(kind, root);
	s.repo = t_store_server(root, "room.git", http);
	s.url = t_keep(t_server_url(s.srv, "room.git"));
	s.client = t_store(dir, "client.git");
	s.alice = t_keygen(dir, "alice", 1);
	s.mallory = t_keygen(dir, "mallory", 0);
	s.aref = t_ref("general", s.alice);
	hex = t_key_hex(s.alice);

	/* Valid: a creation, then a fast-forward. */
	a1 = t_send(s.client, s.alice, "general", "hello");
	lands(&s, s.aref, s.aref, a1);
	s.head = t_send(s.client, s.alice, "general", "again");
	lands(&s, s.aref, s.aref, s.head);

	{
		t_forged c = { .room = "general", .text = "I am alice", .signer = s.mallory };
		c.parents[0] = s.head;
		id = t_forge(s.client, &c);
		refused(&s, t_fmt("%s:%s", id, s.aref), s.aref, id, "not by the log's owner");
	}
	{
		t_forged c = { .room = "general", .text = "unsigned" };
		c.parents[0] = s.head;
		id = t_forge(s.client, &c);
		refused(&s, t_fmt("%s:%s", id, s.aref), s.aref, id, "it is not signed");
	}
	{
		t_forged c = { .room = "random", .text = "replayed", .signer = s.alice };
		c.parents[0] = s.head;
		id = t_forge(s.client, &c);
		refused(&s, t_fmt("%s:%s", id, s.aref), s.aref, id,
		        "its chat-room is 'random', not 'general'");
	}
	{
		t_forged bad = { .room = "general", .text = "unsigned parent" };
		t_forged c = { .room = "general", .text = "on a bad parent", .signer = s.alice };
		u = t_forge(s.client, &bad);
		c.parents[0] = s.head;
		c.parents[1] = u;
		id = t_forge(s.client, &c);
		refused(&s, t_fmt("%s:%s", id, s.aref), s.aref, id,
		        t_fmt("its ancestor %s is invalid: it is not signed", u));
	}
	{
		t_forged c = { .room = "general", .text = "diverging", .signer = s.alice };
		c.parents[0] = a1;
		id = t_forge(s.client, &c);
		refused(&s, t_fmt("+%s:%s", id, s.aref), s.aref, id, "(a history rewrite)");
		refused(&s, t_fmt("+%s:%s", a1, s.aref), s.aref, NULL, "(a history rewrite)");
	}
	refused(&s, t_fmt(":%s", s.aref), s.aref, NULL, "a chat log cannot be deleted");
	refused(&s, t_fmt("%s:refs/chat/General/%s", s.head, hex),
	        t_fmt("refs/chat/General/%s", hex), NULL, "names an invalid room");
	refused(&s, t_fmt("%s:refs/chat/general/%.63s", s.head, hex),
	        t_fmt("refs/chat/general/%.63s", hex), NULL, "64 lowercase hex digits");
	{
		t_forged c = { .room = "general", .text = "0123456789abcdef", .repeat = 4097,
		                .signer = s.alice };
		c.parents[0] = s.head;
		id = t_forge(s.client, &c);
		refused(&s, t_fmt("%s:%s", id, s.aref), s.aref, id, "over the limit of 65536");
	}
	/* After all that, the good log still moves on. */
	id = t_send(s.client, s.alice, "general", "still here");
	lands(&s, s.aref, s.aref, id);
	t_server_stop(s.srv);
}

Test(hook_servers, git_daemon, .timeout = 300)
{
	every_case(T_SERVER_DAEMON);
}

Test(hook_servers, smart_http, .timeout = 300)
{
	every_case(T_SERVER_HTTP);
}

Test(hook_servers, sshd, .timeout = 300)
{
	every_case(T_SERVER_SSH);
}
