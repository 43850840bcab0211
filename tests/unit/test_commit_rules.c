/*
 * The validity of one commit (DESIGN.md "Verification"), case by case:
 * commits are built by hand, signed through libgitchat, written straight
 * into the object database (no git fsck in the way) and checked with
 * gitchat_verify_commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#define HEAD "tree " EMPTY_TREE "\nauthor A <a@example.org> 1764150000 +0000\n" \
             "committer A <a@example.org> 1764150000 +0000\n"

static gitchat_store *store;
static gitchat_key *key;
static char *store_path;

static void setup(void)
{
	const char *dir = t_scratch();
	store_path = t_store(dir, "store");
	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_store_open(&store, store_path), 0);
	cr_assert_eq(gitchat_key_generate(&key, "a"), 0);
	t_keep(store);
	t_keep(key);
}

static char *armored(const char *payload)
{
	gitchat_buf sig = GITCHAT_BUF_INIT;
	cr_assert_eq(gitchat_sshsig_sign(&sig, key, "git", payload, strlen(payload)), 0);
	return t_keep(sig.ptr);
}

/* Writes raw bytes as a commit object, unchecked. */
static git_oid write_raw(const char *text, size_t len)
{
	git_odb *odb = NULL;
	git_oid id;
	cr_assert_eq(git_repository_odb(&odb, gitchat_store_repository(store)), 0);
	cr_assert_eq(git_odb_write(&id, odb, text, len, GIT_OBJECT_COMMIT), 0);
	git_odb_free(odb);
	return id;
}

/* Signs payload (as git does: the commit without its gpgsig header) and writes it. */
static git_oid signed_commit(const char *payload)
{
	char *text = t_commit_with_signature(payload, armored(payload));
	return write_raw(text, strlen(text));
}

static void expect(git_oid id, const char *room, const char *why)
{
	git_oid bad;
	char hex[GIT_OID_HEXSZ + 1];
	int error = gitchat_verify_commit(store, &id, room, &bad);

	git_oid_tostr(hex, sizeof(hex), &id);
	if (!why) {
		cr_assert_eq(error, 0, "%s should be valid: %s", hex, gitchat_error_last()->message);
		return;
	}
	cr_assert_eq(error, GITCHAT_EVERIFY, "%s should be invalid (%s), got %d", hex, why, error);
	t_assert_contains(gitchat_error_last()->message, why);
}

static void expect_payload(const char *payload, const char *why)
{
	expect(signed_commit(payload), "general", why);
}

Test(commit_rules, headers, .init = setup)
{
	expect_payload(HEAD "chat-room general\n\nok\n", NULL);
	expect_payload(HEAD "chat-room general\nchat-future something\n\nunknown chat-* kept\n", NULL);
	expect_payload(HEAD "chat-room general\nencoding UTF-8\n\nutf-8 named\n", NULL);
	expect_payload(HEAD "chat-room general\n\nno final newline", NULL);

	expect_payload(HEAD "\nno room\n", "no chat-room header");
	expect_payload(HEAD "chat-room general\nchat-room general\n\ntwice\n", "more than one chat-room");
	expect_payload(HEAD "chat-room dev\n\nother room\n", "its chat-room is 'dev', not 'general'");
	expect_payload(HEAD "chat-room General\n\ncase\n", "its chat-room is 'General'");
	expect_payload(HEAD "chat-room general \n\nspace\n", "its chat-room is");
	expect_payload(HEAD "chat-room general\nencoding ISO-8859-1\n\nlatin\n", "UTF-8");
	expect_payload(HEAD "chat-room general\nchat-reply " EMPTY_TREE "\nchat-reply " EMPTY_TREE
	               "\n\nreply twice\n", "chat-reply");
	expect_payload(HEAD "chat-room general\nchat-reply nothex\n\nbad reply\n", "chat-reply");
	expect_payload(HEAD "chat-room general\nchat-edit " EMPTY_TREE "\nchat-react " EMPTY_TREE
	               "\n\nboth\n", "more than one chat-edit");
	expect_payload("author A <a@example.org> 1764150000 +0000\ntree " EMPTY_TREE "\n"
	               "committer A <a@example.org> 1764150000 +0000\nchat-room general\n\norder\n",
	               "malformed commit");
	expect_payload("tree " EMPTY_TREE "\nauthor A <a@example.org> 1764150000 +0000\n"
	               "chat-room general\n\nno committer\n", "malformed commit");
	expect_payload("tree " EMPTY_TREE "\nauthor A <a@example.org> x +0000\n"
	               "committer A <a@example.org> 1764150000 +0000\nchat-room general\n\nbad time\n",
	               "malformed commit");
	/* Broken framing, each after some headers were read (nothing leaks). */
	const char *raw[] = {
		HEAD "chat-room general\n",                         /* no blank line */
		HEAD "chat-room general",                           /* header does not end */
		HEAD "gpgsig -----BEGIN SSH SIGNATURE-----\n abc",  /* continuation does not end */
		" tree " EMPTY_TREE "\n\nx\n",                     /* continuation first */
		"",
	};
	for (size_t i = 0; i < sizeof(raw) / sizeof(*raw); i++)
		expect(write_raw(raw[i], strlen(raw[i])), "general", "malformed commit");
	expect_payload("tree 0123456789abcdef0123456789abcdef01234567\n"
	               "author A <a@example.org> 1764150000 +0000\n"
	               "committer A <a@example.org> 1764150000 +0000\nchat-room general\n\nno tree\n",
	               "tree is missing");
}

Test(commit_rules, text, .init = setup)
{
	expect_payload(HEAD "chat-room general\n\n\n", "the message is empty");
	expect_payload(HEAD "chat-room general\n\n \t\n\n", "the message is empty");
	expect_payload(HEAD "chat-room general\n\nbad \xff utf-8\n", "UTF-8");
	expect_payload(HEAD "chat-room general\n\nsurrogate \xed\xa0\x80\n", "UTF-8");

	/* A NUL byte in the text (git allows it in a commit message). */
	const char nul[] = HEAD "chat-room general\n\nnul\0byte\n";
	size_t n = sizeof(nul) - 1;
	gitchat_buf s = GITCHAT_BUF_INIT;
	cr_assert_eq(gitchat_sshsig_sign(&s, key, "git", nul, n), 0);
	char *with = t_commit_with_signature(HEAD "chat-room general\n\nX", s.ptr);
	/* Rebuild: the header part of `with`, then the real message bytes. */
	size_t hlen = strlen(with) - 2;
	char *raw = t_keep(malloc(hlen + 32));
	memcpy(raw, with, hlen);
	memcpy(raw + hlen, "\nnul\0byte\n", 10);
	expect(write_raw(raw, hlen + 10), "general", "NUL");
	gitchat_buf_dispose(&s);

	/* At the limit and over it. */
	size_t limit = 64 * 1024;
	char *big = t_keep(malloc(strlen(HEAD) + 64 + limit + 2));
	int k = sprintf(big, HEAD "chat-room general\n\n");
	memset(big + k, 'x', limit);
	strcpy(big + k + limit, "\n");
	expect_payload(big, NULL);
	memset(big + k, 'y', limit + 1);
	strcpy(big + k + limit + 1, "\n");
	expect_payload(big, "over the limit");
}

Test(commit_rules, signatures, .init = setup)
{
	const char *p = HEAD "chat-room general\n\nsigned twice\n";
	char *sig = armored(p);
	char *once = t_commit_with_signature(p, sig);
	/* A second gpgsig, and a gpgsig-sha256 next to a gpgsig. */
	char *twice = t_commit_with_signature(once, sig);
	expect(write_raw(twice, strlen(twice)), "general", "more than one signature");
	char *sha256 = t_replace(twice, "gpgsig -----BEGIN", "gpgsig-sha256 -----BEGIN");
	expect(write_raw(sha256, strlen(sha256)), "general", "more than one signature");
	/* Unsigned. */
	expect(write_raw(p, strlen(p)), "general", "not signed");
	/* The signature of another payload. */
	char *other = t_commit_with_signature(p, armored(HEAD "chat-room general\n\nother\n"));
	expect(write_raw(other, strlen(other)), "general", "bad signature");
	/* Signed in another namespace. */
	gitchat_buf fsig = GITCHAT_BUF_INIT;
	cr_assert_eq(gitchat_sshsig_sign(&fsig, key, "file", p, strlen(p)), 0);
	char *file_ns = t_commit_with_signature(p, fsig.ptr);
	expect(write_raw(file_ns, strlen(file_ns)), "general", "namespace");
	gitchat_buf_dispose(&fsig);
}

/* One encoding per signed commit (issue 9): a commit that carries the
 * same signed payload and signature as a valid one, but laid out another
 * way, is invalid, for verification and for every reader of its signer. */
static void expect_other_encoding(const char *text, const char *why)
{
	git_oid id = write_raw(text, strlen(text)), bad;
	gitchat_pubkey k;
	char hex[GITCHAT_PUBKEY_HEXSIZE], *ref;

	gitchat_pubkey_hex(hex, gitchat_key_public(key));
	ref = t_fmt("refs/chat/general/%s", hex);

	expect(id, "general", why);
	cr_assert_lt(gitchat_commit_signer(&k, store, &id), 0, "the signer was read:\n%s", text);
	cr_assert_eq(gitchat_verify_ref_update(store, ref, NULL, &id, &bad), GITCHAT_EVERIFY);
	cr_assert(git_oid_equal(&bad, &id));
}

Test(commit_rules, one_encoding, .init = setup)
{
	const char *p = HEAD "chat-room general\nchat-reply " EMPTY_TREE "\n\nsaid once\n";
	char *sig = armored(p), *good = t_commit_with_signature(p, sig);
	git_oid id = write_raw(good, strlen(good));
	gitchat_pubkey k;
	const char *exact = "armored exactly as ssh-keygen writes it";

	expect(id, "general", NULL);
	cr_assert_eq(gitchat_commit_signer(&k, store, &id), 0);
	/* The continuation lines: two spaces, a space and a tab, a tab. */
	expect_other_encoding(t_commit_with_signature_indent(p, sig, "  "), exact);
	expect_other_encoding(t_commit_with_signature_indent(p, sig, " \t"), exact);
	expect_other_encoding(t_commit_with_signature_indent(p, sig, "\t"), "malformed commit");
	/* The armor: CR, trailing blanks, other widths, a blank line, junk. */
	expect_other_encoding(t_commit_with_signature(p, t_rewrap_armor(sig, 70, "\r\n")), exact);
	expect_other_encoding(t_commit_with_signature(p, t_rewrap_armor(sig, 70, " \n")), exact);
	expect_other_encoding(t_commit_with_signature(p, t_rewrap_armor(sig, 64, "\n")), exact);
	expect_other_encoding(t_commit_with_signature(p, t_rewrap_armor(sig, 76, "\n")), exact);
	expect_other_encoding(t_commit_with_signature(p, t_rewrap_armor(sig, 70, "\n\n")), exact);
	expect_other_encoding(t_commit_with_signature(p, t_fmt("%sjunk\n", sig)), exact);
	expect_other_encoding(t_replace(good, "gpgsig -----BEGIN", "gpgsig  -----BEGIN"), exact);
	/* The gpgsig header before another one: git signs the same payload. */
	char *moved = t_replace(good, "chat-reply " EMPTY_TREE "\n", "");
	moved = t_replace(moved, "\n\nsaid once", "\nchat-reply " EMPTY_TREE "\n\nsaid once");
	expect_other_encoding(moved, "a header follows the gpgsig header");
	char *first = t_replace(good, "chat-room general\nchat-reply " EMPTY_TREE "\n", "");
	first = t_replace(first, "\n\nsaid once",
	                  "\nchat-room general\nchat-reply " EMPTY_TREE "\n\nsaid once");
	expect_other_encoding(first, "a header follows the gpgsig header");
	/* Headers we read a value from: once each, on one line (they are
	 * signed, but git and we must read the same value). */
	expect_payload(HEAD "chat-room general\nencoding UTF-8\nencoding ISO-8859-1\n\nx\n",
	               "encoding header is repeated");
	expect_payload(HEAD "chat-room general\n more\n\nfolded room\n", "continues on a second line");
	expect_payload(HEAD "chat-room general\nchat-future a\n b\n\nunknown, folded\n", NULL);
}

/* The replay of issue 9: a re-wrapped copy of another author's message,
 * used as a parent, makes the new message invalid. */
Test(commit_rules, replayed_copy_as_parent, .init = setup)
{
	gitchat_key *bob = NULL;
	cr_assert_eq(gitchat_key_generate(&bob, "bob"), 0);
	const char *p = HEAD "chat-room general\n\nbob said this once\n";
	gitchat_buf s = GITCHAT_BUF_INIT;
	cr_assert_eq(gitchat_sshsig_sign(&s, bob, "git", p, strlen(p)), 0);
	char *orig = t_commit_with_signature(p, s.ptr);
	git_oid b = write_raw(orig, strlen(orig));
	expect(b, "general", NULL);
	char *copy_text = t_commit_with_signature(p, t_rewrap_armor(s.ptr, 64, "\n"));
	git_oid copy = write_raw(copy_text, strlen(copy_text)), bad;
	char hex[GIT_OID_HEXSZ + 1];
	cr_assert(!git_oid_equal(&b, &copy));
	git_oid_tostr(hex, sizeof(hex), &copy);
	git_oid m = signed_commit(t_fmt("tree " EMPTY_TREE "\nparent %s\n"
		"author M <m@example.org> 1764150060 +0000\ncommitter M <m@example.org> 1764150060 +0000\n"
		"chat-room general\n\nmallory\n", hex));
	cr_assert_eq(gitchat_verify_commit(store, &m, "general", &bad), GITCHAT_EVERIFY);
	cr_assert(git_oid_equal(&bad, &copy));
	t_assert_contains(gitchat_error_last()->message, "is invalid");
	gitchat_buf_dispose(&s);
	gitchat_key_free(bob);
}

Test(commit_rules, parents, .init = setup)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid roots[18];
	gitchat_buf p = GITCHAT_BUF_INIT;

	for (int i = 0; i < 18; i++) {
		char *root = t_fmt(HEAD "chat-room general\n\nroot %d\n", i);
		roots[i] = signed_commit(root);
	}
	/* 17 parents (own head + 16 others) is the limit. */
	for (int n = 17; n <= 18; n++) {
		gitchat_buf_clear(&p);
		gitchat_buf_puts(&p, "tree " EMPTY_TREE "\n");
		for (int i = 0; i < n; i++)
			gitchat_buf_printf(&p, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &roots[i]));
		gitchat_buf_printf(&p, "author A <a@example.org> 1764150000 +0000\n"
		                   "committer A <a@example.org> 1764150000 +0000\n"
		                   "chat-room general\n\n%d parents\n", n);
		expect_payload(p.ptr, n == 17 ? NULL : "18 parents, over the limit of 17");
	}
	/* A parent of another room, a missing parent, an unsigned parent: the
	 * child is invalid and *bad names the culprit. */
	git_oid dev = signed_commit(HEAD "chat-room dev\n\nin dev\n");
	git_oid unsigned_id = write_raw(HEAD "chat-room general\n\nunsigned\n",
	                                strlen(HEAD "chat-room general\n\nunsigned\n"));
	git_oid missing;
	git_oid_fromstr(&missing, "0123456789abcdef0123456789abcdef01234567");
	git_oid culprits[] = { dev, unsigned_id, missing };
	const char *why[] = { "its chat-room is 'dev'", "not signed", "missing" };
	for (int i = 0; i < 3; i++) {
		char *c = t_fmt("tree " EMPTY_TREE "\nparent %s\nparent %s\n"
		                "author A <a@example.org> 1764150000 +0000\n"
		                "committer A <a@example.org> 1764150000 +0000\nchat-room general\n\n"
		                "child %d\n", git_oid_tostr(hex, sizeof(hex), &roots[0]),
		                git_oid_tostr((char[GIT_OID_HEXSZ + 1]){ 0 }, GIT_OID_HEXSZ + 1,
		                              &culprits[i]), i);
		git_oid child = signed_commit(c), bad;
		cr_assert_eq(gitchat_verify_commit(store, &child, "general", &bad), GITCHAT_EVERIFY);
		t_assert_contains(gitchat_error_last()->message, why[i]);
		t_assert_contains(gitchat_error_last()->message, "ancestor");
		cr_assert(git_oid_equal(&bad, &culprits[i]), "*bad is not the culprit");
		/* And a grandchild inherits it. */
		char *g = t_fmt("tree " EMPTY_TREE "\nparent %s\nauthor A <a@example.org> 1764150000 +0000\n"
		                "committer A <a@example.org> 1764150000 +0000\nchat-room general\n\n"
		                "grandchild %d\n", git_oid_tostr(hex, sizeof(hex), &child), i);
		git_oid gc = signed_commit(g);
		cr_assert_eq(gitchat_verify_commit(store, &gc, "general", &bad), GITCHAT_EVERIFY);
		cr_assert(git_oid_equal(&bad, &culprits[i]));
	}
	/* A valid commit of 'dev' is valid there, not here; asking twice gives
	 * the same answers (the cache). */
	for (int round = 0; round < 2; round++) {
		expect(dev, "dev", NULL);
		expect(dev, "general", "its chat-room is 'dev', not 'general'");
	}
	/* The object is not a commit. */
	git_oid tree;
	git_oid_fromstr(&tree, EMPTY_TREE);
	expect(tree, "general", "not a commit");
	gitchat_buf_dispose(&p);
}

Test(commit_rules, limits_come_from_the_store_config, .init = setup)
{
	/* A 200-byte message is valid; after chat.maxMessageBytes = 100 the same
	 * commit is not, even though an earlier run cached it as valid. */
	char *text = t_fmt(HEAD "chat-room general\n\n%0200d\n", 7);
	git_oid id = signed_commit(text);
	expect(id, "general", NULL);
	gitchat_store_free(store);
	free(t_git(store_path, "config chat.maxMessageBytes 100"));
	cr_assert_eq(gitchat_store_open(&store, store_path), 0);
	t_keep(store);
	expect(id, "general", "over the limit of 100");
	free(t_git(store_path, "config --unset chat.maxMessageBytes"));
	gitchat_store_free(store);
	cr_assert_eq(gitchat_store_open(&store, store_path), 0);
	t_keep(store);
	expect(id, "general", NULL);
}

/* The commit text of a payload of `len` bytes (NULs allowed), signed. */
static char *signed_raw(size_t *rawlen, const char *payload, size_t len)
{
	gitchat_buf sig = GITCHAT_BUF_INIT, raw = GITCHAT_BUF_INIT;
	const char *blank = memmem(payload, len, "\n\n", 2);
	size_t hlen = (size_t)(blank - payload) + 1;

	cr_assert_eq(gitchat_sshsig_sign(&sig, key, "git", payload, len), 0);
	cr_assert_eq(gitchat_buf_put(&raw, payload, hlen), 0);
	cr_assert_eq(gitchat_buf_puts(&raw, "gpgsig "), 0);
	for (size_t i = 0; i < sig.size; i++) {
		cr_assert_eq(gitchat_buf_put(&raw, &sig.ptr[i], 1), 0);
		if (sig.ptr[i] == '\n' && i + 1 < sig.size)
			cr_assert_eq(gitchat_buf_puts(&raw, " "), 0);
	}
	cr_assert_eq(gitchat_buf_put(&raw, payload + hlen, len - hlen), 0);
	gitchat_buf_dispose(&sig);
	*rawlen = raw.size;
	return t_keep(raw.ptr);
}

/* What real `git fsck` says of the commit: 0 when it accepts it. */
static int git_fsck(const char *raw, size_t len)
{
	char *dir = t_path(t_scratch(), "fsck.git");
	const char *init[] = { "git", "init", "-q", "--bare", dir, NULL };
	const char *put[] = { "git", "--git-dir", dir, "hash-object", "--literally", "-t", "commit",
	                      "-w", "--stdin", NULL };
	const char *fsck[] = { "git", "--git-dir", dir, "fsck", "--no-dangling", NULL };
	t_run r;
	int status;

	r = t_run_argv(NULL, init, NULL, 0, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_run_argv(NULL, put, raw, len, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_run_argv(NULL, fsck, NULL, 0, NULL);
	status = r.status;
	t_run_free(&r);
	free(t_sh("rm -rf '%s'", dir).out);
	free(dir);
	return status;
}

/* Identity lines: whatever git fsck (and so receive.fsckObjects) refuses is
 * invalid for us too, and what it accepts is valid; each checked against
 * the real git. */
Test(commit_rules, identities_agree_with_git_fsck, .init = setup)
{
	static const struct { const char *author; const char *why; } cases[] = {
		{ "A <a@example.org> 1764150000 +0000", NULL },
		{ " <a@example.org> 1764150000 +0000", NULL },              /* empty name */
		{ "\xff\xfe bad utf-8 <a@example.org> 1764150000 +0000", NULL },
		{ "A <a@example.org> 1764150000 +0099", NULL },             /* git takes any digits */
		{ "A <a@example.org> 0 +0000", NULL },
		{ "A\0B <a@example.org> 1764150000 +0000", "NUL" },
		{ "A <a@exa\0mple.org> 1764150000 +0000", "NUL" },
		{ "A<a@example.org> 1764150000 +0000", "no space before the email" },
		{ "<a@example.org> 1764150000 +0000", "no space before the email" },
		{ "A> <a@example.org> 1764150000 +0000", "the name contains '>'" },
		{ "A <a<b@example.org> 1764150000 +0000", "the email contains" },
		{ "A a@example.org 1764150000 +0000", "there is no email" },
		{ "A <a@example.org>1764150000 +0000", "no time after the email" },
		{ "A <a@example.org> 01764150000 +0000", "leading zero" },
		{ "A <a@example.org> 1764150000 +00000", "time zone" },
		{ "A <a@example.org> 1764150000 0000", "time zone" },
		{ "A <a@example.org> 1764150000 +00a0", "time zone" },
		{ "A <a@example.org> 99999999999999999999 +0000", "too large" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *a = cases[i].author;
		/* The NUL cases hold one NUL: the string goes on after it. */
		size_t alen = strlen(a);
		if (cases[i].why && !strcmp(cases[i].why, "NUL"))
			alen += 1 + strlen(a + alen + 1);
		gitchat_buf p = GITCHAT_BUF_INIT;
		size_t rawlen;
		cr_assert_eq(gitchat_buf_puts(&p, "tree " EMPTY_TREE "\nauthor "), 0);
		cr_assert_eq(gitchat_buf_put(&p, a, alen), 0);
		cr_assert_eq(gitchat_buf_puts(&p, "\ncommitter A <a@example.org> 1764150000 +0000\n"
		                                  "chat-room general\n\nhello\n"), 0);
		char *raw = signed_raw(&rawlen, p.ptr, p.size);
		expect(write_raw(raw, rawlen), "general", cases[i].why);
		int fsck = git_fsck(raw, rawlen);
		cr_assert_eq(fsck != 0, cases[i].why != NULL, "case %zu: git fsck %s, we %s", i,
		             fsck ? "refuses" : "accepts", cases[i].why ? "refuse" : "accept");
		gitchat_buf_dispose(&p);
	}
}

/* Times within a calendar: up to 9999-12-31T23:59:59Z for the author and
 * the committer (git accepts more; no reader can show it). */
Test(commit_rules, times_stay_within_the_calendar, .init = setup)
{
	expect_payload("tree " EMPTY_TREE "\nauthor A <a@example.org> 253402300799 +0000\n"
	               "committer A <a@example.org> 253402300799 -9959\nchat-room general\n\nlast\n",
	               NULL);
	expect_payload("tree " EMPTY_TREE "\nauthor A <a@example.org> 253402300800 +0000\n"
	               "committer A <a@example.org> 1764150000 +0000\nchat-room general\n\nx\n",
	               "its author time 253402300800 is after the year 9999");
	expect_payload("tree " EMPTY_TREE "\nauthor A <a@example.org> 1764150000 +0000\n"
	               "committer A <a@example.org> 68000000000000000 +0000\nchat-room general\n\nx\n",
	               "its committer time 68000000000000000 is after the year 9999");
	expect_payload("tree " EMPTY_TREE "\nauthor A <a@example.org> 9223372036854775807 +0000\n"
	               "committer A <a@example.org> 1764150000 +0000\nchat-room general\n\nx\n",
	               "after the year 9999");
}

/* A NUL anywhere in the header, not only in an identity (git fsck:
 * nulInHeader). */
Test(commit_rules, a_nul_in_any_header_is_invalid, .init = setup)
{
	static const char p[] = HEAD "chat-room general\nchat-future a\0b\n\nhello\n";
	size_t rawlen;
	char *raw = signed_raw(&rawlen, p, sizeof(p) - 1);
	expect(write_raw(raw, rawlen), "general", "NUL");
	cr_assert_neq(git_fsck(raw, rawlen), 0);
}

/* A ref update through the one verifier: the fast-forward check on the
 * first parent, and its graph-walk fallback when the old head is further
 * back or not an ancestor at all. */
static git_oid message_on(const char *parents, const char *text)
{
	return signed_commit(t_fmt("tree " EMPTY_TREE "\n%sauthor A <a@example.org> 1764150000 +0000\n"
	                "committer A <a@example.org> 1764150000 +0000\nchat-room general\n\n%s\n",
	                parents, text));
}

Test(commit_rules, ref_update_descends_from_old, .init = setup)
{
	char hex[GITCHAT_PUBKEY_HEXSIZE], ph[GIT_OID_HEXSZ + 1], ph2[GIT_OID_HEXSZ + 1];
	git_oid c1, c2, other, merge;

	gitchat_pubkey_hex(hex, gitchat_key_public(key));
	char *ref = t_fmt("refs/chat/general/%s", hex);
	c1 = message_on("", "one");
	c2 = message_on(t_fmt("parent %s\n", git_oid_tostr(ph, sizeof(ph), &c1)), "two");
	other = message_on("", "elsewhere");
	merge = message_on(t_fmt("parent %s\nparent %s\n", git_oid_tostr(ph, sizeof(ph), &other),
	                            git_oid_tostr(ph2, sizeof(ph2), &c1)), "merged");

	cr_assert_eq(gitchat_verify_ref_update(store, ref, &c1, &c2, NULL), 0, "%s",
	             gitchat_error_last()->message);
	/* The old head as a second parent: a descendant, found by the graph walk. */
	cr_assert_eq(gitchat_verify_ref_update(store, ref, &c1, &merge, NULL), 0, "%s",
	             gitchat_error_last()->message);
	cr_assert_eq(gitchat_verify_ref_update(store, ref, &c1, &other, NULL), GITCHAT_EVERIFY);
	t_assert_contains(gitchat_error_last()->message, "history rewrite");
	cr_assert_eq(gitchat_verify_ref_update(store, ref, &c2, &c1, NULL), GITCHAT_EVERIFY);
	t_assert_contains(gitchat_error_last()->message, "history rewrite");

}
