/*
 * The one valid form of a message's files (DESIGN.md "Attachments",
 * docs/decisions.md): the tree is `files/` holding `1`..`N`, plain blobs,
 * nothing else; `chat-file <n> <size> <name>` headers numbered 1..N in
 * order, sizes equal to the blobs', valid and distinct names, within the
 * limits, on ordinary messages only, and no text at all or a valid one.
 * Commits are built by hand, signed through libgitchat, written straight
 * into the object database and checked with gitchat_verify_commit, the
 * check the hook, sync and every reader use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#define IDENT "author A <a@example.org> 1764150000 +0000\n" \
              "committer A <a@example.org> 1764150000 +0000\nchat-room general\n"

static gitchat_store *store;
static gitchat_key *key;

static void setup(void)
{
	const char *dir = t_scratch();
	char *path = t_store(dir, "store");

	t_git(path, "config chat.maxFileBytes 1000");
	t_git(path, "config chat.maxTreeBytes 1500");
	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_store_open(&store, path), 0);
	cr_assert_eq(gitchat_key_generate(&key, "a"), 0);
	t_keep(store);
	t_keep(key);
}

static char *blob(size_t len)
{
	git_oid id;
	char *data = calloc(1, len + 1), hex[GIT_OID_HEXSZ + 1];

	memset(data, 'x', len);
	cr_assert_eq(git_blob_create_from_buffer(&id, gitchat_store_repository(store), data, len), 0);
	free(data);
	return t_fmt("%s", git_oid_tostr(hex, sizeof(hex), &id));
}

/* A tree from "mode name hex" lines, written as given (no sorting, no
 * checks): what a hostile client can write. */
static char *tree(const char *const *entries)
{
	gitchat_buf raw = GITCHAT_BUF_INIT;
	git_odb *odb = NULL;
	git_oid id, e;
	char hex[GIT_OID_HEXSZ + 1], mode[16], name[300], oid[64];

	for (; *entries; entries++) {
		cr_assert_eq(sscanf(*entries, "%15s %299s %63s", mode, name, oid), 3);
		cr_assert_eq(git_oid_fromstr(&e, oid), 0);
		gitchat_buf_printf(&raw, "%s %s", mode, name);
		gitchat_buf_put(&raw, "", 1);
		gitchat_buf_put(&raw, e.id, GIT_OID_RAWSZ);
	}
	cr_assert_eq(git_repository_odb(&odb, gitchat_store_repository(store)), 0);
	cr_assert_eq(git_odb_write(&id, odb, raw.ptr ? raw.ptr : "", raw.size, GIT_OBJECT_TREE), 0);
	git_odb_free(odb);
	gitchat_buf_dispose(&raw);
	return t_fmt("%s", git_oid_tostr(hex, sizeof(hex), &id));
}

/* The usual tree: files/1..n over the blobs given. */
static char *files_tree(const char *const *blobs)
{
	const char *entries[16];
	const char *root[2] = { NULL, NULL };
	size_t n = 0;

	for (; *blobs; blobs++, n++)
		entries[n] = t_fmt("100644 %zu %s", n + 1, *blobs);
	entries[n] = NULL;
	root[0] = t_fmt("40000 files %s", tree(entries));
	return tree(root);
}

static void expect(const char *tree_hex, const char *headers, const char *body, const char *why)
{
	char *payload = t_fmt("tree %s\n" IDENT "%s\n%s", tree_hex, headers, body);
	char *text = t_commit_with_signature(payload, ({
		gitchat_buf sig = GITCHAT_BUF_INIT;
		cr_assert_eq(gitchat_sshsig_sign(&sig, key, "git", payload, strlen(payload)), 0);
		t_keep(sig.ptr); }));
	git_odb *odb = NULL;
	git_oid id;
	int error;

	cr_assert_eq(git_repository_odb(&odb, gitchat_store_repository(store)), 0);
	cr_assert_eq(git_odb_write(&id, odb, text, strlen(text), GIT_OBJECT_COMMIT), 0);
	git_odb_free(odb);
	error = gitchat_verify_commit(store, &id, "general", NULL);
	if (!why) {
		cr_assert_eq(error, 0, "should be valid: %s\n%s", gitchat_error_last()->message, payload);
		return;
	}
	cr_assert_eq(error, GITCHAT_EVERIFY, "should be invalid (%s):\n%s", why, payload);
	t_assert_contains(gitchat_error_last()->message, why);
}

Test(attach_rules, the_valid_forms, .init = setup)
{
	const char *two[] = { blob(10), blob(0), NULL };

	expect(files_tree(two), "chat-file 1 10 a.txt\nchat-file 2 0 empty\n", "text\n", NULL);
	/* Files alone: nothing after the blank line. */
	expect(files_tree(two), "chat-file 1 10 a.txt\nchat-file 2 0 empty\n", "", NULL);
	/* Names as DESIGN.md allows: any UTF-8 without '/' and controls. */
	expect(files_tree(two), "chat-file 1 10 Grüße 世界 (1).tar.gz\nchat-file 2 0 .hidden\n",
	       "x\n", NULL);
	{
		char *n255 = t_fmt("%0255d", 7);
		const char *one[] = { blob(1), NULL };
		expect(files_tree(one), t_fmt("chat-file 1 1 %s\n", n255), "x\n", NULL);
	}
}

Test(attach_rules, trees_other_than_files_1_to_n, .init = setup)
{
	char *b = blob(4), *b2 = blob(5);
	const char *one[] = { b, NULL };
	char *files1 = files_tree(one);
	const char *sub1[] = { t_fmt("100644 1 %s", b), NULL };
	char *sub = tree(sub1);

	/* Headers without a tree, a tree without headers. */
	expect(EMPTY_TREE, "chat-file 1 4 a\n", "x\n", "name 1 files but its tree is empty");
	expect(files1, "", "x\n", "no chat-file header names a file");
	/* An extra entry beside files/, or inside it. */
	expect(tree((const char *[]){ t_fmt("40000 files %s", sub), t_fmt("100644 zz %s", b), NULL }),
	       "chat-file 1 4 a\n", "x\n", "other than the one folder 'files'");
	expect(tree((const char *[]){ t_fmt("40000 files %s", tree((const char *[]){
	           t_fmt("100644 1 %s", b), t_fmt("100644 2 %s", b2), NULL })), NULL }),
	       "chat-file 1 4 a\n", "x\n", "holds 2 entries, its chat-file headers name 1");
	/* A gap: 1 and 3 for two files; a leading zero; 0. */
	expect(tree((const char *[]){ t_fmt("40000 files %s", tree((const char *[]){
	           t_fmt("100644 1 %s", b), t_fmt("100644 3 %s", b2), NULL })), NULL }),
	       "chat-file 1 4 a\nchat-file 2 5 b\n", "x\n", "an entry not named 1 to 2");
	expect(tree((const char *[]){ t_fmt("40000 files %s", tree((const char *[]){
	           t_fmt("100644 01 %s", b), NULL })), NULL }),
	       "chat-file 1 4 a\n", "x\n", "an entry not named 1 to 1");
	/* Flat, as the first version accepted. */
	expect(tree((const char *[]){ t_fmt("100644 a %s", b), NULL }), "chat-file 1 4 a\n", "x\n",
	       "other than the one folder 'files'");
	/* Not a plain file: executable, link, folder. */
	expect(tree((const char *[]){ t_fmt("40000 files %s", tree((const char *[]){
	           t_fmt("100755 1 %s", b), NULL })), NULL }),
	       "chat-file 1 4 a\n", "x\n", "not a plain file (mode 100644)");
	expect(tree((const char *[]){ t_fmt("40000 files %s", tree((const char *[]){
	           t_fmt("120000 1 %s", b), NULL })), NULL }),
	       "chat-file 1 4 a\n", "x\n", "not a plain file (mode 100644)");
	expect(tree((const char *[]){ t_fmt("40000 files %s", tree((const char *[]){
	           t_fmt("40000 1 %s", sub), NULL })), NULL }),
	       "chat-file 1 4 a\n", "x\n", "not a plain file (mode 100644)");
	/* files as a blob. */
	expect(tree((const char *[]){ t_fmt("100644 files %s", b), NULL }), "chat-file 1 4 a\n",
	       "x\n", "other than the one folder 'files'");
	/* The size in the header is the blob's. */
	expect(files1, "chat-file 1 5 a\n", "x\n", "files/1 is 4 bytes, its chat-file header says 5");
}

Test(attach_rules, headers, .init = setup)
{
	const char *two[] = { blob(4), blob(5), NULL };
	char *t = files_tree(two);

	expect(t, "chat-file 2 5 b\nchat-file 1 4 a\n", "x\n", "numbered 1, 2, ... in order");
	expect(t, "chat-file 1 4 a\nchat-file 3 5 b\n", "x\n", "numbered 1, 2, ... in order");
	expect(t, "chat-file 1 04 a\nchat-file 2 5 b\n", "x\n", "'<n> <size> <name>' in decimal");
	expect(t, "chat-file 01 4 a\nchat-file 2 5 b\n", "x\n", "'<n> <size> <name>' in decimal");
	expect(t, "chat-file 1 4\nchat-file 2 5 b\n", "x\n", "'<n> <size> <name>' in decimal");
	expect(t, "chat-file 1 4 a\nchat-file 2 5 b\n continued\n", "x\n",
	       "continues on a second line");
	/* Files alone means no text at all: a lone newline is a second
	 * encoding of the same message. */
	expect(t, "chat-file 1 4 a\nchat-file 2 5 b\n", "\n", "the message is empty");
	/* Only ordinary messages carry files. */
	expect(t, t_fmt("chat-react %s\nchat-file 1 4 a\nchat-file 2 5 b\n", two[0]), "x\n",
	       "carries files");
}

Test(attach_rules, names, .init = setup)
{
	const char *one[] = { blob(4), NULL }, *two[] = { blob(4), blob(5), NULL };
	char *t = files_tree(one);
	struct {
		const char *name, *why;
	} cases[] = {
		{ "../../etc/passwd", "contains '/'" },
		{ "a/b", "contains '/'" },
		{ "..", "is not a file name" },
		{ ".", "is not a file name" },
		{ "tab\there", "contains a control" },
		{ "esc\033[2J", "contains a control" },
		{ "c1\xc2\x9b" "31m", "contains a control" },
		{ "del\x7f", "contains a control" },
		{ "evil\xe2\x80\xaegnp.exe", "bidirectional" },
		{ "isolate\xe2\x81\xa6x", "bidirectional" },
		{ "mark\xe2\x80\x8f", "bidirectional" },
		{ "line\xe2\x80\xa8sep", "bidirectional" },
		{ "latin1 \xe9", "not valid UTF-8" },
		{ "overlong \xc0\xaf", "not valid UTF-8" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		expect(t, t_fmt("chat-file 1 4 %s\n", cases[i].name), "x\n", cases[i].why);
	expect(t, t_fmt("chat-file 1 4 %0256d\n", 7), "x\n", "longer than 255 bytes");
	expect(t, "chat-file 1 4 \n", "x\n", "a file name is empty");
	expect(files_tree(two), "chat-file 1 4 same\nchat-file 2 5 same\n", "x\n",
	       "files 1 and 2 have the same name");
	/* The reason shows a hostile name escaped, never raw. */
	expect(t, "chat-file 1 4 esc\033[2J\n", "x\n", "'esc\\x1b[2J'");
}

Test(attach_rules, limits, .init = setup)
{
	const char *big[] = { blob(1001), NULL }, *two[] = { blob(1000), blob(501), NULL };
	const char *ok[] = { blob(1000), blob(500), NULL };

	expect(files_tree(big), "chat-file 1 1001 a\n", "x\n",
	       "is 1001 bytes, over the limit of 1000 (git config chat.maxFileBytes)");
	expect(files_tree(two), "chat-file 1 1000 a\nchat-file 2 501 b\n", "x\n",
	       "over the limit of 1500 bytes in all (git config chat.maxTreeBytes)");
	expect(files_tree(ok), "chat-file 1 1000 a\nchat-file 2 500 b\n", "x\n", NULL);
	/* The header's size counts before any blob is read. */
	expect(files_tree(ok), "chat-file 1 99999999999 a\nchat-file 2 500 b\n", "x\n",
	       "over the limit of 1000");
	/* At most 100 files, whatever the tree. */
	{
		gitchat_buf h = GITCHAT_BUF_INIT;
		for (int i = 1; i <= 101; i++)
			gitchat_buf_printf(&h, "chat-file %d 0 f%d\n", i, i);
		expect(EMPTY_TREE, h.ptr, "x\n", "more than 100 chat-file headers");
		gitchat_buf_dispose(&h);
	}
}
