/*
 * Private rooms through a real server (issue 11, test 2 and the server
 * side): three members chat through git daemon with the hook and
 * chat.hook.privateMembers; neither the server's objects nor a
 * non-member's full replica hold any text, title, reply target or
 * reaction; the hook refuses a non-member's log from headers alone.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "servers.h"
#include "testforge.h"

static const char *secrets[] = { "the launch code is 4711", "Operation Nightjar",
	                         "reply to the launch code", "EMOJI-PARTY", "edited: 4712" };

static void holds_none(const char *gitdir, const char *what)
{
	t_run r = t_sh("git --git-dir='%s' cat-file --batch-all-objects --batch", gitdir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_gt(r.out_len, 1000, "%s: no objects?", what);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++)
		cr_assert(!memmem(r.out, r.out_len, secrets[i], strlen(secrets[i])),
		          "%s holds '%s'", what, secrets[i]);
	t_run_free(&r);
}

Test(private_server, members_chat_through_a_hooked_daemon_and_nothing_leaks, .timeout = 300)
{
	char *dir = t_keep(strdup(t_scratch())), *root = t_path(dir, "srv");
	const char *extra[] = { "--private-members", NULL };
	t_server *srv;
	char *url, *repo, *a, *b, *c, *d, *sa, *sb, *sc, *sd, *room, *m1;

	t_set_identity("Alice", "alice@example.org");
	t_mkdir(root);
	srv = t_server_start(T_SERVER_DAEMON, root);
	repo = t_store_server(root, "p.git", extra);
	url = t_keep(t_server_url(srv, "p.git"));
	a = t_keygen(dir, "alice", 1);
	b = t_keygen(dir, "bob", 1);
	c = t_keygen(dir, "carol", 1);
	d = t_keygen(dir, "dave", 1);
	sa = t_store(dir, "a.git");
	sb = t_store(dir, "b.git");
	sc = t_store(dir, "c.git");
	sd = t_store(dir, "d.git");

	room = t_ok(t_chat_as(sa, a, "room create --private --title '%s' --member %s.pub --member %s.pub",
	             secrets[1], b, c), "room create");
	m1 = t_ok(t_chat_as(sa, a, "send -r %s -m '%s'", room, secrets[0]), "send");
	t_ok(t_chat_as(sa, a, "sync %s", url), "sync a");
	t_ok(t_chat_as(sb, b, "sync %s", url), "sync b");
	t_ok(t_chat_as(sb, b, "send -r %s --reply %s -m '%s'", room, m1, secrets[2]), "reply");
	t_ok(t_chat_as(sb, b, "sync %s", url), "sync b");
	t_ok(t_chat_as(sc, c, "sync %s", url), "sync c");
	t_ok(t_chat_as(sc, c, "react %s %s", m1, secrets[3]), "react");
	t_ok(t_chat_as(sc, c, "sync %s", url), "sync c");
	t_ok(t_chat_as(sa, a, "sync %s", url), "sync a");
	t_ok(t_chat_as(sa, a, "edit %s -m '%s'", m1, secrets[4]), "edit");
	t_ok(t_chat_as(sa, a, "sync %s", url), "sync a");
	t_ok(t_chat_as(sb, b, "sync %s", url), "sync b");
	t_ok(t_chat_as(sc, c, "sync %s", url), "sync c");

	/* every member sees the same conversation */
	char *jb = t_ok(t_chat_as(sb, b, "log -r %s --format=json", room), "log b");
	char *jc = t_ok(t_chat_as(sc, c, "log -r %s --format=json", room), "log c");
	cr_assert_str_eq(jb, jc);
	t_assert_contains(jb, secrets[4]);
	t_assert_contains(jb, secrets[2]);
	t_assert_contains(jb, secrets[3]);
	t_assert_contains(t_ok(t_chat_as(sc, c, "rooms"), "rooms"), secrets[1]);

	/* the server and a non-member's full replica hold none of it */
	t_ok(t_chat_as(sd, d, "sync %s", url), "sync d");
	cr_assert_str_eq(t_git(sd, "for-each-ref --format='%%(objectname)' refs/chat | sort"),
	                 t_git(repo, "for-each-ref --format='%%(objectname)' refs/chat | sort"));
	holds_none(repo, "the server");
	holds_none(sd, "dave's replica");

	/* dave's own log in the room: valid commits, but no member's */
	char *head = t_git(sd, "rev-parse %s", t_ref(room, a));
	t_forged f = { .room = room, .text = "let me in", .signer = d };
	f.parents[0] = head;
	char *id = t_forge(sd, &f);
	char *refspec = t_fmt("%s:%s", id, t_ref(room, d));
	const char *argv[] = { "git", "--git-dir", sd, "push", url, refspec, NULL };
	t_run r = t_run_argv(NULL, argv, NULL, 0, t_server_git_env(srv));
	cr_assert_neq(r.status, 0, "the push was accepted:\n%s", r.err);
	t_assert_contains(r.err, "is not a member of private room");
	t_run_free(&r);
	/* a member's push still lands */
	t_ok(t_chat_as(sb, b, "send -r %s -m 'still here'", room), "send");
	t_ok(t_chat_as(sb, b, "sync %s", url), "sync b");
	t_server_stop(srv);
}
