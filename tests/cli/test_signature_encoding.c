/*
 * One encoding per signed message (issue 9, findings 1 and 2), end to end:
 * Mallory signs with `ssh-keygen -Y sign -n git`, lays the gpgsig header
 * out another way (continuation lines indented by two spaces, a tab, CR
 * line ends, 64 or 76 columns, gpgsig before another header), and pushes
 * it with stock git through a real git daemon: the hooked server refuses
 * it with the reason; a plain server takes it, and `git chat sync` into
 * another store refuses it. A store that holds such a commit anyway (an
 * older version stored it) stays readable: log, rooms, export show
 * everything else, verify names the commit and the reason.
 *
 * The same for a byte with the high bit set in place of a '/' or '+'
 * (libsodium 1.0.18 reads 0xAF as '/' and 0xAB as '+').
 *
 * The replay: a re-wrapped copy of Bob's signed message (same signed
 * bytes, another commit id) used as a parent of Mallory's message is
 * refused, so Bob is not shown saying the same thing twice and his
 * reaction is not toggled off.
 */
#include <criterion/criterion.h>

#include "servers.h"
#include "testforge.h"

typedef struct {
	t_server *srv;
	char *dir, *hooked, *hooked_url, *plain, *plain_url;
	char *alice, *mallory;          /* key files: ours, ssh-keygen's */
	char *astore, *mstore, *reader; /* chat stores */
	char *mref;
} site;

static site open_site(void)
{
	const char *http[] = { "--http", NULL };
	site s;

	s.dir = t_keep(strdup(t_scratch()));
	t_mkdir(t_path(s.dir, "srv"));
	s.srv = t_server_start(T_SERVER_DAEMON, t_path(s.dir, "srv"));
	s.hooked = t_store_server(t_path(s.dir, "srv"), "hooked.git", http);
	s.hooked_url = t_keep(t_server_url(s.srv, "hooked.git"));
	s.plain = t_keep(t_server_new_repo(s.srv, "plain.git"));
	s.plain_url = t_keep(t_server_url(s.srv, "plain.git"));
	s.alice = t_keygen(s.dir, "alice", 1);
	s.mallory = t_keygen(s.dir, "mallory", 0);
	s.astore = t_store(s.dir, "alice.git");
	s.mstore = t_store(s.dir, "mallory.git");
	s.reader = t_store(s.dir, "reader.git");
	s.mref = t_ref("general", s.mallory);
	return s;
}

static t_run push_to(const site *s, const char *url, const char *refspec)
{
	const char *argv[] = { "git", "--git-dir", s->mstore, "push", url, refspec, NULL };
	return t_run_argv(NULL, argv, NULL, 0, t_server_git_env(s->srv));
}

static t_run chat_sync(const char *store, const char *url)
{
	const char *args[] = { "sync", url, NULL };
	return t_chat(store, NULL, args);
}

static void synced(const char *store, const char *url)
{
	t_run r = chat_sync(store, url);
	cr_assert_eq(r.status, 0, "sync %s failed:\n%s", url, r.err);
	t_run_free(&r);
}

/* Mallory's own message, signed by ssh-keygen, laid out by `layout`. */
typedef char *(*layout_fn)(const char *payload, const char *sig);

static char *forge(const site *s, const char *parents, const char *text, layout_fn layout)
{
	char *payload = t_fmt("tree %s\n%sauthor Mallory <m@example.org> 1764150100 +0000\n"
	                       "committer Mallory <m@example.org> 1764150100 +0000\n"
	                       "chat-room general\nchat-future x\n\n%s\n",
	                       T_EMPTY_TREE, parents, text);
	char *sig = t_sign_sshkeygen(s->mallory, "git", payload, strlen(payload));
	char *id = t_write_commit(s->mstore, layout(payload, sig));
	t_set_ref(s->mstore, s->mref, id);
	return id;
}

/* The hooked server refuses the push with `reason`, and keeps its refs. */
static void hook_refuses(const site *s, const char *reason)
{
	char *before = t_refs_all(s->hooked);
	t_run r = push_to(s, s->hooked_url, t_fmt("+%s:%s", s->mref, s->mref));

	cr_assert_neq(r.status, 0, "the hook accepted it:\n%s", r.err);
	t_assert_contains(r.err, t_fmt("remote: error: refusing %s: ", s->mref));
	t_assert_contains(r.err, reason);
	cr_assert_str_eq(t_refs_all(s->hooked), before, "the server's refs changed");
	t_run_free(&r);
}

/* A server without the hook takes it; `git chat sync` does not. */
static void sync_refuses(const site *s, const char *id, const char *reason)
{
	t_run r = push_to(s, s->plain_url, t_fmt("+%s:%s", s->mref, s->mref));
	cr_assert_eq(r.status, 0, "push to the plain server: %s", r.err);
	t_run_free(&r);
	r = chat_sync(s->reader, s->plain_url);
	t_assert_contains(r.err, reason);
	t_run_free(&r);
	r = t_git_run(s->reader, "for-each-ref --format='%%(objectname)' refs/chat");
	cr_assert(!strstr(r.out, id), "sync stored %s under refs/chat:\n%s", id, r.out);
	t_run_free(&r);
}

/* Everything but Mallory's message is shown; verify names hers. */
static void room_readable(const site *s, const char *id, const char *reason)
{
	char *html = t_path(s->dir, "room.html");
	t_run r = t_chatv(s->reader, "log", "-r", "general");

	cr_assert_eq(r.status, 0, "log failed:\n%s", r.err);
	t_assert_contains(r.out, "hello from alice");
	cr_assert(!strstr(r.out, "mallory"), "an invalid message was shown:\n%s", r.out);
	t_run_free(&r);
	r = t_chatv(s->reader, "log", "-r", "general", "--format=json");
	cr_assert_eq(r.status, 0, "log --format=json failed:\n%s", r.err);
	t_assert_contains(r.out, "hello from alice");
	t_run_free(&r);
	r = t_chatv(s->reader, "rooms");
	cr_assert_eq(r.status, 0, "rooms failed:\n%s", r.err);
	t_assert_contains(r.out, "general");
	t_run_free(&r);
	r = t_chatv(s->reader, "export", "-r", "general", "-o", html);
	cr_assert_eq(r.status, 0, "export failed:\n%s", r.err);
	t_assert_contains(t_read_text(html), "hello from alice");
	t_run_free(&r);
	r = t_chatv(s->reader, "verify", "-r", "general");
	cr_assert_neq(r.status, 0, "verify found nothing:\n%s", r.out);
	t_assert_contains(r.out, id);
	t_assert_contains(r.out, reason);
	t_run_free(&r);
}

static char *indent2(const char *p, const char *sig) { return t_commit_with_signature_indent(p, sig, "  "); }
static char *indent_tab(const char *p, const char *sig) { return t_commit_with_signature_indent(p, sig, " \t"); }
static char *crlf(const char *p, const char *sig)
{
	return t_commit_with_signature(p, t_rewrap_armor(sig, 70, "\r\n"));
}
static char *width64(const char *p, const char *sig)
{
	return t_commit_with_signature(p, t_rewrap_armor(sig, 64, "\n"));
}
static char *width76(const char *p, const char *sig)
{
	return t_commit_with_signature(p, t_rewrap_armor(sig, 76, "\n"));
}
/* 0xAF for the first '/' of the base64 (0xAB for a '+' if there is none). */
static char *high_bit(const char *p, const char *sig)
{
	char *s = t_replace(sig, "", ""), *body = strchr(s, '\n') + 1, *at;

	if ((at = strchr(body, '/')) != NULL)
		*at = '\xaf';
	else if ((at = strchr(body, '+')) != NULL)
		*at = '\xab';
	cr_assert(at != NULL, "the signature has no '/' or '+' to replace:\n%s", sig);
	return t_commit_with_signature(p, s);
}
static char *gpgsig_first(const char *p, const char *sig)
{
	char *c = t_commit_with_signature(t_replace(p, "chat-future x\n", ""), sig);
	return t_replace(c, "-----END SSH SIGNATURE-----\n", "-----END SSH SIGNATURE-----\nchat-future x\n");
}

Test(signature_encoding, refused_by_hook_and_sync_room_stays_readable, .timeout = 240)
{
	static const struct { const char *name; layout_fn layout; const char *reason; } cases[] = {
		{ "two spaces", indent2, "armored exactly as ssh-keygen writes it" },
		{ "a tab", indent_tab, "armored exactly as ssh-keygen writes it" },
		{ "CR", crlf, "armored exactly as ssh-keygen writes it" },
		{ "64 columns", width64, "armored exactly as ssh-keygen writes it" },
		{ "76 columns", width76, "armored exactly as ssh-keygen writes it" },
		{ "a high-bit byte for '/' or '+'", high_bit, "armored exactly as ssh-keygen writes it" },
		{ "gpgsig first", gpgsig_first, "a header follows the gpgsig header" },
	};
	site s = open_site();

	t_send(s.astore, s.alice, "general", "hello from alice");
	synced(s.astore, s.plain_url);
	synced(s.reader, s.plain_url);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *id = forge(&s, "", t_fmt("mallory %s", cases[i].name), cases[i].layout);
		cr_log_info("case: %s", cases[i].name);
		hook_refuses(&s, cases[i].reason);
		sync_refuses(&s, id, cases[i].reason);
		/* As an older version would have stored it. */
		t_set_ref(s.reader, s.mref, id);
		room_readable(&s, id, cases[i].reason);
		t_run r = t_git_run(s.reader, "update-ref -d '%s'", s.mref);
		t_run_free(&r);
	}
	t_server_stop(s.srv);
}

Test(signature_encoding, replayed_copy_refused, .timeout = 240)
{
	site s = open_site();
	char *bob = t_keygen(s.dir, "bob", 1), *bstore = t_store(s.dir, "bob.git");
	char *a1 = t_send(s.astore, s.alice, "general", "hello from alice");
	synced(s.astore, s.plain_url);
	synced(bstore, s.plain_url);
	char *b1 = t_send(bstore, bob, "general", "bob says this once");
	t_run r = t_chatv(bstore, "react", "--key", bob, "-r", "general", a1, "👍");
	cr_assert_eq(r.status, 0, "react: %s", r.err);
	t_run_free(&r);
	char *b2 = t_git(bstore, "rev-parse '%s'", t_ref("general", bob));
	synced(bstore, s.plain_url);
	synced(s.mstore, s.plain_url);
	synced(s.reader, s.plain_url);

	/* Copies of Bob's two messages: the same signed bytes, the armor at
	 * 64 columns; then Mallory's message on top of them. */
	char *parents = "";
	const char *orig[] = { b1, b2 };
	for (size_t i = 0; i < 2; i++) {
		char *copy = t_write_commit(s.mstore, t_commit_with_signature(
			t_commit_payload(s.mstore, orig[i]),
			t_rewrap_armor(t_commit_signature(s.mstore, orig[i]), 64, "\n")));
		cr_assert_str_neq(copy, orig[i]);
		parents = t_fmt("%sparent %s\n", parents, copy);
	}
	char *m = forge(&s, parents, "mallory replays bob", t_commit_with_signature);
	hook_refuses(&s, "is invalid: the signature is not armored exactly");
	sync_refuses(&s, m, "is invalid: the signature is not armored exactly");

	r = t_chatv(s.reader, "log", "-r", "general");
	cr_assert_eq(r.status, 0, "log failed:\n%s", r.err);
	cr_assert_eq(t_count(r.out, "bob says this once"), 1, "Bob shown twice:\n%s", r.out);
	t_assert_contains(r.out, "👍 1");
	cr_assert(!strstr(r.out, "mallory"), "Mallory's message was shown:\n%s", r.out);
	t_run_free(&r);
	t_server_stop(s.srv);
}
