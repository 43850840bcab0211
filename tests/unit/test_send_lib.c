/*
 * gitchat_send called directly: what it leaves on a repository the caller
 * owns (gitchat_store_wrap), and its refusals as return codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

Test(send_lib, wrapped_repository_keeps_its_ident)
{
	const char *dir = t_scratch();
	char *path = t_fmt("%s/work", dir);
	git_repository *repo = NULL;
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	const char *name = NULL, *email = NULL;
	git_oid id;

	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(git_repository_init(&repo, path, 0), 0);
	cr_assert_eq(git_repository_set_ident(repo, "Caller", "caller@example.org"), 0);
	cr_assert_eq(gitchat_store_wrap(&store, repo), 0);
	cr_assert_eq(gitchat_key_generate(&key, "k"), 0);
	o.room = "general";
	o.text = "hello";
	o.text_len = 5;
	o.author_name = "Author";
	o.author_email = "author@example.org";
	/* Reflogs for every ref: the entry names the message's author. */
	free(t_git(t_fmt("%s/.git", path), "config core.logAllRefUpdates always"));
	cr_assert_eq(gitchat_send(&id, store, key, &o), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(git_repository_ident(&name, &email, repo), 0);
	cr_assert_str_eq(name, "Caller");
	cr_assert_str_eq(email, "caller@example.org");
	char hex[GITCHAT_PUBKEY_HEXSIZE];
	gitchat_pubkey_hex(hex, gitchat_key_public(key));
	char *log = t_git(t_fmt("%s/.git", path), "reflog show --format='%%gn <%%ge> %%gs' "
	                  "refs/chat/general/%s", hex);
	cr_assert_str_eq(log, "Author <author@example.org> git-chat: send");

	/* Without an ident of its own the repository has none afterwards. */
	cr_assert_eq(git_repository_set_ident(repo, NULL, NULL), 0);
	o.text = "again";
	o.text_len = 5;
	cr_assert_eq(gitchat_send(&id, store, key, &o), 0);
	cr_assert_eq(git_repository_ident(&name, &email, repo), 0);
	cr_assert_null(name);
	cr_assert_null(email);

	/* Refusals are return codes with a message, and write nothing. */
	char *before = t_snapshot(t_fmt("%s/.git", path));
	o.room = "Bad";
	cr_assert_eq(gitchat_send(&id, store, key, &o), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "room");
	o.room = "general";
	o.text = " \n";
	o.text_len = 2;
	cr_assert_eq(gitchat_send(&id, store, key, &o), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "empty");
	o.text = "x";
	o.text_len = 1;
	o.version = 99;
	cr_assert_eq(gitchat_send(&id, store, key, &o), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "version");
	cr_assert_str_eq(t_snapshot(t_fmt("%s/.git", path)), before);

	gitchat_key_free(key);
	gitchat_store_free(store);
	git_repository_free(repo);
}

/* One message through gitchat_send with fixed times; returns its id (hex). */
static char *lib_send(gitchat_store *store, gitchat_key *key, const char *text, long t)
{
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	char *date = t_fmt("@%ld +0000", t), hex[GIT_OID_HEXSZ + 1];
	git_oid id;

	o.room = "general";
	o.text = text;
	o.text_len = strlen(text);
	o.author_name = "Lib";
	o.author_email = "lib@example.org";
	o.author_date = date;
	o.committer_date = date;
	cr_assert_eq(gitchat_send(&id, store, key, &o), 0, "%s", gitchat_error_last()->message);
	return t_fmt("%s", git_oid_tostr(hex, sizeof(hex), &id));
}

static gitchat_key *load_key(const char *path)
{
	gitchat_key *key = NULL;
	cr_assert_eq(gitchat_init(), 0);   /* sodium_malloc needs it */
	cr_assert_eq(gitchat_key_load(&key, path), 0, "%s", gitchat_error_last()->message);
	return t_keep(key);
}

/* A store object sending many messages keeps what it learnt in memory
 * (its last head, the heads known to be its ancestors) and writes the
 * caches late. None of that may change a message: against a store opened
 * afresh for every message, with its caches removed each time, while
 * other authors' heads arrive in between (from another process) and
 * another author writes into the store directly, every message is the
 * same commit. */
Test(send_lib, a_long_lived_store_sends_what_fresh_ones_send)
{
	const char *dir = t_scratch();
	char *s1 = t_store(dir, "s1"), *s2 = t_store(dir, "s2"), *side = t_store(dir, "side");
	char *mine = t_keygen(dir, "me", 1), *b = t_keygen(dir, "b", 1), *c = t_keygen(dir, "c", 0);
	char *bhex = t_key_hex(b), *chex = t_key_hex(c);
	gitchat_key *key = load_key(mine);
	gitchat_store *live = NULL;
	char *m1 = NULL;

	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_store_open(&live, s1), 0, "%s", gitchat_error_last()->message);
	for (int i = 0; i < 14; i++) {
		long t = 1764150000L + i * 60;
		char *date = t_fmt("GIT_AUTHOR_DATE=@%ld +0000", t - 30);
		char *cdate = t_fmt("GIT_COMMITTER_DATE=@%ld +0000", t - 30);
		const char *env[] = { date, cdate, NULL };
		if (i % 3 == 1) {
			/* b wrote elsewhere; both stores fetch it (another process). */
			t_send_env(side, b, "general", t_fmt("b %d", i), env);
			free(t_git(s1, "fetch -q '%s' 'refs/chat/general/%s:refs/chat/general/%s'",
			           side, bhex, bhex));
			free(t_git(s2, "fetch -q '%s' 'refs/chat/general/%s:refs/chat/general/%s'",
			           side, bhex, bhex));
		}
		if (i % 4 == 2) {
			/* c writes into each store itself, the same commit in both. */
			char *c1 = t_send_env(s1, c, "general", t_fmt("c %d", i), env);
			char *c2 = t_send_env(s2, c, "general", t_fmt("c %d", i), env);
			cr_assert_str_eq(c1, c2);
		}
		if (i == 9)   /* a remote copy of c's log, one message ahead */
			free(t_git(s1, "update-ref refs/chat-remotes/o/general/%s refs/chat/general/%s",
			           chex, chex)),
			free(t_git(s2, "update-ref refs/chat-remotes/o/general/%s refs/chat/general/%s",
			           chex, chex));
		t_run r = t_sh("rm -rf '%s/chat'", s2);
		t_run_free(&r);
		gitchat_store *fresh = NULL;
		cr_assert_eq(gitchat_store_open(&fresh, s2), 0);
		char *text = t_fmt("message %d", i);
		m1 = lib_send(live, key, text, t);
		char *m2 = lib_send(fresh, key, text, t);
		gitchat_store_free(fresh);
		cr_assert_str_eq(m1, m2, "message %d: parents differ:\n%s\nvs\n%s", i,
		                 t_git(s1, "show -s --format=%%P %s", m1),
		                 t_git(s2, "show -s --format=%%P %s", m2));
	}
	cr_assert_str_eq(t_git(s1, "for-each-ref"), t_git(s2, "for-each-ref"));

	/* Freeing the store writes what it kept: the ancestors record of the
	 * last head, and the verified ids. */
	char *anc = t_fmt("%s/chat/ancestors/general/%s", s1, t_key_hex(mine));
	t_run r = t_sh("rm -f '%s'", anc);
	t_run_free(&r);
	gitchat_store_free(live);
	char *memo = t_read_file(anc, NULL);
	cr_assert(memo && strncmp(memo, m1, 40) == 0, "ancestors record: %s", memo ? memo : "(none)");
	size_t vlen = 0;
	char *verified = t_read_file(t_fmt("%s/chat/verified/general", s1), &vlen);
	git_oid last;
	cr_assert_eq(git_oid_fromstr(&last, m1), 0);
	cr_assert(verified && memmem(verified, vlen, last.id, GIT_OID_RAWSZ),
	          "the last message is not in the verification cache file");
	t_run v = t_chat(s1, NULL, (const char *[]){ "verify", NULL });
	cr_assert_eq(v.status, 0, "%s", v.err);
	t_run_free(&v);
}

/* The store object remembers the head it wrote; another writer of the same
 * log (another process with the same key) moves the ref under it. The next
 * message takes the new head as its first parent (nothing is lost), and a
 * head that is not ours and not valid is refused, not trusted. */
Test(send_lib, another_writer_of_the_same_log)
{
	const char *dir = t_scratch();
	char *s = t_store(dir, "s"), *mine = t_keygen(dir, "me", 1);
	char *ref = t_ref("general", mine);
	gitchat_key *key = load_key(mine);
	gitchat_store *live = NULL;

	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_store_open(&live, s), 0);
	char *m1 = lib_send(live, key, "one", 1764150000L);
	char *m2 = t_send(s, mine, "general", "two (another process)");
	cr_assert_str_eq(t_git(s, "show -s --format=%%P %s", m2), m1);
	char *m3 = lib_send(live, key, "three", 1764150120L);
	cr_assert_str_eq(t_git(s, "show -s --format=%%P %s", m3), m2);
	cr_assert_str_eq(t_git(s, "rev-list --count %s", ref), "3");

	/* An unsigned commit on top of ours: refused, the ref stays. */
	char *bad = t_git(s, "commit-tree -p %s -m forged " "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
	                  m3);
	free(t_git(s, "update-ref %s %s", ref, bad));
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	git_oid id;
	o.room = "general";
	o.text = "four";
	o.text_len = 4;
	cr_assert_eq(gitchat_send(&id, live, key, &o), GITCHAT_EVERIFY);
	t_assert_contains(gitchat_error_last()->message, "your own log");
	cr_assert_str_eq(t_git(s, "rev-parse %s", ref), bad);

	/* Put back: the head this store object wrote is trusted again. */
	free(t_git(s, "update-ref %s %s", ref, m3));
	char *m4 = lib_send(live, key, "four", 1764150180L);
	cr_assert_str_eq(t_git(s, "show -s --format=%%P %s", m4), m3);
	t_run v = t_chat(s, NULL, (const char *[]){ "verify", NULL });
	cr_assert_eq(v.status, 0, "%s", v.err);
	t_run_free(&v);

	/* Its own head's object gone (a damaged store): what the store object
	 * remembers does not stand in for it; nothing is written. */
	t_run rm = t_sh("rm -f '%s/objects/%.2s/%s'", s, m4, m4 + 2);
	cr_assert_eq(rm.status, 0);
	t_run_free(&rm);
	o.text = "five";
	o.text_len = 4;
	cr_assert_lt(gitchat_send(&id, live, key, &o), 0);
	t_assert_contains(gitchat_error_last()->message, m4);
	cr_assert_str_eq(t_git(s, "rev-parse %s", ref), m4);
	gitchat_store_free(live);
}

/* gitchat_send builds the stored commit bytes itself (to verify exactly
 * those): they must be what libgit2's git_commit_create_with_signature
 * makes of the same signed text and signature, also for text holding
 * blank lines, a reply and a trailing header-like line. */
Test(send_lib, stored_bytes_are_libgit2s)
{
	const char *dir = t_scratch();
	char *s = t_store(dir, "s"), *mine = t_keygen(dir, "me", 1);
	gitchat_key *key = load_key(mine);
	gitchat_store *store = NULL;
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	git_oid first, id, again;

	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_store_open(&store, s), 0);
	cr_assert_eq(git_oid_fromstr(&first, lib_send(store, key, "first", 1764150000L)), 0);
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	const char *text = "para one\n\npara two\n\n\nparent 0000\n";
	o.room = "general";
	o.text = text;
	o.text_len = strlen(text);
	o.reply_to = &first;
	cr_assert_eq(gitchat_send(&id, store, key, &o), 0, "%s", gitchat_error_last()->message);
	git_repository *repo = gitchat_store_repository(store);
	cr_assert_eq(git_commit_extract_signature(&sig, &data, repo, &id, "gpgsig"), 0);
	cr_assert_eq(git_commit_create_with_signature(&again, repo, data.ptr, sig.ptr, "gpgsig"), 0);
	cr_assert(git_oid_equal(&again, &id));
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	gitchat_store_free(store);
	free(t_git(s, "fsck --strict"));
}

static char *all_replaced(const char *s, const char *from, const char *to)
{
	char *r = t_fmt("%s", s);
	while (strstr(r, from))
		r = t_replace(r, from, to);
	return r;
}

/* The room's refs are read straight from refs/chat/<room>/ when that is
 * all there is, and by libgit2 otherwise. Whatever else the store holds
 * there (a stale .lock, a subdirectory, packed refs, a symbolic ref), a
 * message gets the same parents as in a store without it. */
Test(send_lib, room_listing_in_every_ref_layout)
{
	const char *dir = t_scratch();
	char *s1 = t_store(dir, "s1"), *s2 = t_store(dir, "s2");
	char *mine = t_keygen(dir, "me", 1), *a = t_keygen(dir, "a", 1), *b = t_keygen(dir, "b", 0);
	char *ahex = t_key_hex(a);
	const char *damage[] = {   /* STORE: the first store */
		"true",
		"echo garbage > 'STORE/refs/chat/general/stale.lock'",
		"mkdir -p 'STORE/refs/chat/general/sub' && "
		"cp 'STORE/refs/chat/general/KEY' 'STORE/refs/chat/general/sub/x'",
		"rm -rf 'STORE/refs/chat/general/sub' && git --git-dir='STORE' pack-refs --all",
		"true",
		"git --git-dir='STORE' symbolic-ref refs/chat/general/alias refs/chat/general/KEY",
	};
	gitchat_key *key = load_key(mine);

	for (int i = 0; i < 6; i++) {
		long t = 1764150000L + i * 60;
		char *date = t_fmt("GIT_AUTHOR_DATE=@%ld +0000", t - 30);
		char *cdate = t_fmt("GIT_COMMITTER_DATE=@%ld +0000", t - 30);
		const char *env[] = { date, cdate, NULL };
		char *other = i % 2 ? b : a;
		cr_assert_str_eq(t_send_env(s1, other, "general", t_fmt("o %d", i), env),
		                 t_send_env(s2, other, "general", t_fmt("o %d", i), env));
		t_run r = t_sh("%s", all_replaced(all_replaced(damage[i], "STORE", s1), "KEY", ahex));
		cr_assert_eq(r.status, 0, "%s", r.err);
		t_run_free(&r);
		gitchat_store *st1 = NULL, *st2 = NULL;
		cr_assert_eq(gitchat_store_open(&st1, s1), 0);
		cr_assert_eq(gitchat_store_open(&st2, s2), 0);
		char *m1 = lib_send(st1, key, t_fmt("m %d", i), t);
		char *m2 = lib_send(st2, key, t_fmt("m %d", i), t);
		gitchat_store_free(st1);
		gitchat_store_free(st2);
		cr_assert_str_eq(m1, m2, "message %d: parents differ:\n%s\nvs\n%s", i,
		                 t_git(s1, "show -s --format=%%P %s", m1),
		                 t_git(s2, "show -s --format=%%P %s", m2));
	}
	t_run p = t_sh("test -f '%s/packed-refs'", s1);
	cr_assert_eq(p.status, 0);
	t_run_free(&p);
}

/* The layers above a plain message (attachments, private rooms,
 * profiles) give headers and a tree; send writes them as given, in
 * order, and refuses a header that is not one chat-* line. */
Test(send_lib, headers_and_tree_from_the_caller)
{
	const char *dir = t_scratch();
	char *path = t_fmt("%s/s.git", dir);
	git_repository *repo = NULL;
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	const char *headers[] = { "chat-x one", "chat-y two words", "chat-file 1 4 x" };
	const char *bad[] = { "chat-x two\nlines", "other-x y", "chat-room dev", "chat-x" };
	git_oid id, blob, files, tree;
	git_treebuilder *tb = NULL;
	char hex[GIT_OID_HEXSZ + 1];

	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(git_repository_init(&repo, path, 1), 0);
	cr_assert_eq(gitchat_store_wrap(&store, repo), 0);
	cr_assert_eq(gitchat_key_generate(&key, "k"), 0);
	cr_assert_eq(git_blob_create_from_buffer(&blob, repo, "data", 4), 0);
	cr_assert_eq(git_treebuilder_new(&tb, repo, NULL), 0);
	/* A tree validity accepts (docs/attachments.md): files/1 and its header. */
	cr_assert_eq(git_treebuilder_insert(NULL, tb, "1", &blob, GIT_FILEMODE_BLOB), 0);
	cr_assert_eq(git_treebuilder_write(&files, tb), 0);
	git_treebuilder_clear(tb);
	cr_assert_eq(git_treebuilder_insert(NULL, tb, "files", &files, GIT_FILEMODE_TREE), 0);
	cr_assert_eq(git_treebuilder_write(&tree, tb), 0);
	o.room = "general";
	o.text = "hello";
	o.text_len = 5;
	o.headers = headers;
	o.header_count = 3;
	o.tree = &tree;
	cr_assert_eq(gitchat_send(&id, store, key, &o), 0, "%s", gitchat_error_last()->message);
	char *raw = t_git(path, "cat-file commit %s", git_oid_tostr(hex, sizeof(hex), &id));
	t_assert_contains(raw, "\nchat-room general\nchat-x one\nchat-y two words\n"
	                       "chat-file 1 4 x\ngpgsig ");
	t_assert_contains(raw, t_fmt("tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree)));
	cr_assert_str_eq(t_git(path, "show %s:files/1", git_oid_tostr(hex, sizeof(hex), &id)), "data");

	char *before = t_snapshot(path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		headers[1] = bad[i];
		cr_assert_eq(gitchat_send(&id, store, key, &o), GITCHAT_EINVALID, "%s", bad[i]);
		t_assert_contains(gitchat_error_last()->message, "header 2");
	}
	cr_assert_str_eq(t_snapshot(path), before);
	git_treebuilder_free(tb);
	gitchat_key_free(key);
	gitchat_store_free(store);
	git_repository_free(repo);
}
