/*
 * `git chat send`: what it writes is a commit stock git verifies and fsck
 * accepts; its parents follow DESIGN.md; --reply, dates, the default room
 * and store discovery work as for git; a new room is noted.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

static char *signers_file(const char *dir, const char *store)
{
	const char *args[] = { "allowed-signers", NULL };
	char *path = t_path(dir, "allowed_signers");
	t_run r = t_chat(store, NULL, args);
	cr_assert_eq(r.status, 0, "allowed-signers: %s", r.err);
	t_write_file(path, r.out, r.out_len);
	t_run_free(&r);
	return path;
}

/* Every commit reachable from refs/chat passes `git verify-commit`. */
static size_t assert_stock_git_verifies_all(const char *dir, const char *store)
{
	char *signers = signers_file(dir, store);
	char *all = t_git(store, "rev-list --all");
	size_t n = t_count_lines(all) + (*all ? 1 : 0);
	t_run r = t_sh("git --git-dir='%s' -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='%s' "
	               "verify-commit $(git --git-dir='%s' rev-list --all)", store, signers, store);
	const char *p;
	size_t good = 0;

	cr_assert_eq(r.status, 0, "verify-commit failed:\n%s", r.err);
	for (p = r.err; (p = strstr(p, "Good \"git\" signature")); p++)
		good++;
	cr_assert_eq(good, n, "%zu of %zu commits verified:\n%s", good, n, r.err);
	t_run_free(&r);
	r = t_sh("git --git-dir='%s' fsck --strict --no-dangling", store);
	cr_assert_eq(r.status, 0, "fsck --strict: %s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert(!strstr(r.err, "error") && !strstr(r.err, "warning"), "fsck: %s", r.err);
	t_run_free(&r);
	free(all);
	return n;
}

Test(send, every_message_passes_verify_commit_and_fsck)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *a = t_keygen(dir, "alice", 1), *b = t_keygen(dir, "bob", 0);
	const char *envb[] = { "GIT_AUTHOR_NAME=Bob", "GIT_AUTHOR_EMAIL=bob@example.org", NULL };
	char *m1 = t_send(store, a, "general", "hello *world*");
	char *m2 = t_send_env(store, b, "general", "Grüße, 世界 🎉\n\nsecond paragraph", envb);
	char *m3 = t_send(store, a, "dev", "another room");
	const char *reply[] = { "send", "--key", b, "-r", "general", "--reply", m1, "-m", "re", NULL };
	const char *texts[] = { "line one\nline two", "  leading spaces", "`code`\n\n> quote", NULL };
	t_run r;

	(void)m2; (void)m3;
	r = t_chat(store, NULL, reply);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	for (int i = 0; texts[i]; i++)
		free(t_send(store, i % 2 ? a : b, i % 2 ? "general" : "dev", texts[i]));
	/* A large message, just under the limit. */
	char *big = t_keep(malloc(64 * 1024 + 1));
	memset(big, 'x', 64 * 1024);
	big[64 * 1024] = '\0';
	const char *bigargs[] = { "send", "--key", a, "-F", "-", NULL };
	r = t_chat(store, big, bigargs);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert_eq(assert_stock_git_verifies_all(dir, store), 8);

	/* The commit itself: empty tree, identity from the environment, room. */
	char *raw = t_git(store, "cat-file commit %s", m1);
	cr_assert_eq(strncmp(raw, "tree " EMPTY_TREE "\n", 46), 0, "%s", raw);
	t_assert_contains(raw, "\nauthor Test User <test@example.org> ");
	t_assert_contains(raw, "\nchat-room general\ngpgsig -----BEGIN SSH SIGNATURE-----\n");
	t_assert_contains(raw, " -----END SSH SIGNATURE-----\n\nhello *world*");
	cr_assert_str_eq(t_git(store, "cat-file commit %s | tail -c 16 | od -An -c | tr -d ' \\n'",
	                       m1), "\\n\\nhello*world*\\n", "exactly one final newline");
	free(raw);
}

/* ---- parents ---- */

static char *parents_of(const char *store, const char *oid)
{
	return t_git(store, "show -s --format=%%P %s", oid);
}

static char *join(char **ids, size_t n)
{
	char *s = t_keep(calloc(1, n * 41 + 1));
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, ids[i]);
	}
	return s;
}

static const char *date_env(char *buf, size_t len, long t)
{
	snprintf(buf, len, "GIT_AUTHOR_DATE=@%ld +0000", t);
	return buf;
}

#define NAUTHORS 18
#define BASE 1764150000L

Test(send, parents_follow_the_rule)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *side = t_store(dir, "side");
	char *keys[NAUTHORS], *heads[NAUTHORS], *hex[NAUTHORS];
	long times[NAUTHORS];
	char date[64], *want;
	size_t i, j;

	/* 18 authors whose logs never saw each other: each writes alone in a
	 * side store, then the heads move to the store under refs/chat. Author
	 * times are scrambled against creation order and key order. */
	for (i = 0; i < NAUTHORS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "k%02zu", i);
		keys[i] = t_keygen(dir, name, i % 2);
		hex[i] = t_key_hex(keys[i]);
		times[i] = BASE + (long)((i * 7) % NAUTHORS) * 60;
		const char *env[] = { date_env(date, sizeof(date), times[i]), NULL };
		heads[i] = t_send_env(side, keys[i], "general", name, env);
		cr_assert_str_eq(parents_of(side, heads[i]), "");
		free(t_git(side, "update-ref refs/keep/%s %s && git --git-dir='%s' update-ref -d "
		           "refs/chat/general/%s", hex[i], heads[i], side, hex[i]));
	}
	free(t_git(store, "fetch -q '%s' 'refs/keep/*:refs/chat/general/*'", side));

	/* Newest first, at most 16: the heads by time, descending. */
	char *order[NAUTHORS];
	size_t idx[NAUTHORS];
	for (i = 0; i < NAUTHORS; i++)
		idx[i] = i;
	for (i = 0; i < NAUTHORS; i++)
		for (j = i + 1; j < NAUTHORS; j++)
			if (times[idx[j]] > times[idx[i]]) {
				size_t t = idx[i]; idx[i] = idx[j]; idx[j] = t;
			}
	for (i = 0; i < NAUTHORS; i++)
		order[i] = heads[idx[i]];

	char *me = t_keygen(dir, "me", 1);
	const char *later[] = { "GIT_AUTHOR_DATE=@1764160000 +0000", NULL };
	char *a1 = t_send_env(store, me, "general", "a1", later);
	want = join(order, 16);
	cr_assert_str_eq(parents_of(store, a1), want, "first message: the 16 newest heads");

	/* Next: own head first, then the two heads that a1 could not take and
	 * that are still not ancestors (newest first). */
	char *a2 = t_send_env(store, me, "general", "a2", later);
	char *w2[] = { a1, order[16], order[17] };
	cr_assert_str_eq(parents_of(store, a2), join(w2, 3));
	/* Everything is now an ancestor: only the own head. */
	char *a3 = t_send_env(store, me, "general", "a3", later);
	cr_assert_str_eq(parents_of(store, a3), a2);

	/* Another author: own head first, then ours (theirs is an ancestor of
	 * ours, which does not matter: a commit's own head always comes first). */
	char *b2 = t_send_env(store, keys[3], "general", "b2", later);
	char *w3[] = { heads[3], a3 };
	cr_assert_str_eq(parents_of(store, b2), join(w3, 2));

	/* Heads of another room are not parents; an invalid head (unsigned)
	 * is not a parent either; a remote copy (refs/chat-remotes) is. */
	free(t_send(store, keys[5], "other", "elsewhere"));
	char *unsigned_commit = t_git(store, "commit-tree -m unsigned " EMPTY_TREE);
	char *zkey = t_keygen(dir, "zed", 0), *zhex = t_key_hex(zkey);
	free(t_git(store, "update-ref refs/chat/general/%s %s", zhex, unsigned_commit));
	char *rkey = t_keygen(dir, "remote", 1), *rhex = t_key_hex(rkey);
	const char *renv[] = { "GIT_AUTHOR_DATE=@1764150001 +0000", NULL };
	char *r1 = t_send_env(side, rkey, "general", "from afar", renv);
	free(t_git(store, "fetch -q '%s' 'refs/chat/general/%s:refs/chat-remotes/origin/general/%s'",
	           side, rhex, rhex));
	char *a4 = t_send_env(store, me, "general", "a4", later);
	char *w4[] = { a3, b2, r1 };
	cr_assert_str_eq(parents_of(store, a4), join(w4, 3));

	/* All of it, including the 16-parent commit, passes stock git. */
	free(t_git(store, "update-ref -d refs/chat/general/%s", zhex));
	assert_stock_git_verifies_all(dir, store);
}

/* ---- --reply ---- */

Test(send, reply_adds_chat_reply)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *m1 = t_send(store, key, "general", "question");
	char *other = t_send(store, key, "dev", "elsewhere");
	char abbrev[8];
	snprintf(abbrev, sizeof(abbrev), "%.7s", m1);
	const char *args[] = { "send", "--key", key, "--reply", abbrev, "-m", "answer", NULL };
	t_run r = t_chat(store, NULL, args);
	char *m2, *raw, *want = NULL;

	cr_assert_eq(r.status, 0, "%s", r.err);
	m2 = t_strndup(r.out, 40);
	t_run_free(&r);
	raw = t_git(store, "cat-file commit %s", m2);
	want = t_fmt("\nchat-room general\nchat-reply %s\ngpgsig ", m1);
	t_assert_contains(raw, want);

	const char *log[] = { "log", "--format=json", NULL };
	r = t_chat(store, NULL, log);
	cr_assert_eq(r.status, 0);
	free(want);
	want = t_fmt("\"text\":\"answer\",\"reply_to\":\"%s\"", m1);
	t_assert_contains(r.out, want);
	t_assert_contains(r.out, "\"text\":\"question\",\"reply_to\":null");
	t_run_free(&r);

	/* A reply to something that is not a message of this room is refused. */
	char *before = t_snapshot(store);
	const char *bad[][2] = {
		{ "0123456789abcdef0123456789abcdef01234567", "no message" },
		{ other, "room 'general'" },
		{ "xyz", "not a commit id" },
		{ EMPTY_TREE, "no message" },
	};
	for (size_t i = 0; i < 4; i++) {
		const char *a[] = { "send", "--key", key, "--reply", bad[i][0], "-m", "x", NULL };
		r = t_chat(store, NULL, a);
		cr_assert_eq(r.status, 128, "--reply %s: %d %s", bad[i][0], r.status, r.err);
		t_assert_contains(r.err, bad[i][1]);
		t_run_free(&r);
	}
	cr_assert_str_eq(t_snapshot(store), before);
	assert_stock_git_verifies_all(dir, store);
}

/* ---- dates ---- */

/* "TIME TZ" at the end of the author or committer line. */
static char *ident_date(const char *raw, const char *which)
{
	char *key = NULL;
	const char *p, *eol, *gt;
	key = t_fmt("\n%s ", which);
	p = strstr(raw, key);
	cr_assert(p != NULL, "no %s line in:\n%s", which, raw);
	eol = strchr(p + 1, '\n');
	gt = memchr(p, '>', (size_t)(eol - p));
	free(key);
	return t_strndup(gt + 2, (size_t)(eol - gt - 2));
}

Test(send, honours_git_dates)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *ref_repo = t_path(dir, "ref.git");
	const char *formats[] = {
		"@1764150000 +0000",
		"1764150000 +0200",
		"1764150000 -0500",
		"2025-11-26T10:00:00Z",
		"2025-11-26T10:00:00+01:00",
		"2025-11-26 10:00:00 -0330",
		"2025-11-26 10:00 +0000",
		"Wed, 26 Nov 2025 10:00:00 +0000",
		"Thu, 27 Nov 2025 23:59:59 -0800",
		"26 Nov 2025 10:00:00 +0100",
	};
	size_t n = sizeof(formats) / sizeof(*formats);

	t_run ri = t_sh("git init -q --bare '%s'", ref_repo);
	cr_assert_eq(ri.status, 0);
	t_run_free(&ri);
	for (size_t i = 0; i < n; i++) {
		char *ae = NULL, *ce = NULL, *oid, *raw, *git_raw;
		const char *cdate = formats[(i + 3) % n];
		ae = t_fmt("GIT_AUTHOR_DATE=%s", formats[i]);
		ce = t_fmt("GIT_COMMITTER_DATE=%s", cdate);
		const char *env[] = { ae, ce, "TZ=UTC", NULL };
		oid = t_send_env(store, key, "general", formats[i], env);
		raw = t_git(store, "cat-file commit %s", oid);
		/* What git itself makes of the same variables. */
		t_run r = t_sh("TZ=UTC GIT_AUTHOR_DATE='%s' GIT_COMMITTER_DATE='%s' "
		               "git --git-dir='%s' commit-tree -m x " EMPTY_TREE
		               " | xargs git --git-dir='%s' cat-file commit",
		               formats[i], cdate, ref_repo, ref_repo);
		cr_assert_eq(r.status, 0, "%s", r.err);
		git_raw = r.out;
		cr_assert_str_eq(ident_date(raw, "author"), ident_date(git_raw, "author"),
		                 "GIT_AUTHOR_DATE='%s'", formats[i]);
		cr_assert_str_eq(ident_date(raw, "committer"), ident_date(git_raw, "committer"),
		                 "GIT_COMMITTER_DATE='%s'", cdate);
		t_run_free(&r);
		free(ae); free(ce); free(oid); free(raw);
	}

	/* No date given: now. */
	time_t before = time(NULL);
	char *oid = t_send(store, key, "general", "now");
	time_t after = time(NULL);
	char *raw = t_git(store, "cat-file commit %s", oid);
	long t = atol(ident_date(raw, "author"));
	cr_assert(t >= before && t <= after, "author time %ld not in [%ld, %ld]", t,
	          (long)before, (long)after);

	/* A date git-chat cannot read is an error naming the variable, not "now". */
	char *snap = t_snapshot(store);
	const char *bad_dates[] = { "GIT_AUTHOR_DATE=yesterday-ish", "GIT_COMMITTER_DATE=2025-13-40T99:00:00Z" };
	for (size_t i = 0; i < 2; i++) {
		const char *env[] = { bad_dates[i], NULL };
		char *gitdir = NULL;
		gitdir = t_fmt("GIT_DIR=%s", store);
		const char *argv[] = { GITCHAT_BIN, "send", "--key", key, "-m", "x", NULL };
		const char *env2[] = { gitdir, env[0], NULL };
		t_run r = t_run_argv(NULL, argv, NULL, 0, env2);
		cr_assert_eq(r.status, 128, "%s: %d %s", bad_dates[i], r.status, r.err);
		t_assert_contains(r.err, strchr(bad_dates[i], '=') + 1);
		t_run_free(&r);
		free(gitdir);
	}
	cr_assert_str_eq(t_snapshot(store), snap);
}

/* ---- room, identity, text sources ---- */

Test(send, default_room_from_git_config)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *hex = t_key_hex(key);
	const char *send[] = { "send", "--key", key, "-m", "in dev", NULL };
	const char *log[] = { "log", "--format=json", NULL };
	const char *log_general[] = { "log", "-r", "general", NULL };
	t_run r;

	free(t_git(store, "config chat.room dev"));
	r = t_chat(store, NULL, send);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	free(t_git(store, "rev-parse --verify refs/chat/dev/%s", hex));
	r = t_sh("git --git-dir='%s' rev-parse --verify -q refs/chat/general/%s", store, hex);
	cr_assert_neq(r.status, 0, "the message went to general");
	t_run_free(&r);
	r = t_chat(store, NULL, log);
	cr_assert_eq(r.status, 0);
	t_assert_contains(r.out, "\"room\":\"dev\"");
	t_assert_contains(r.out, "\"text\":\"in dev\"");
	t_run_free(&r);
	r = t_chat(store, NULL, log_general);
	cr_assert_eq(r.status, 128, "general has no log: %s", r.err);
	t_assert_contains(r.err, "no room 'general'");
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);

	/* Without the config: general. */
	free(t_git(store, "config --unset chat.room"));
	r = t_chat(store, NULL, send);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	free(t_git(store, "rev-parse --verify refs/chat/general/%s", hex));

	/* An invalid configured room is refused like an invalid -r. */
	free(t_git(store, "config chat.room 'Bad Room'"));
	char *snap = t_snapshot(store);
	r = t_chat(store, NULL, send);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "Bad Room");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), snap);
}

Test(send, author_from_git_config_and_text_sources)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *file = t_path(dir, "msg.txt"), *raw, *oid;
	t_run r;

	unsetenv("GIT_AUTHOR_NAME");
	unsetenv("GIT_AUTHOR_EMAIL");
	free(t_git(store, "config user.name 'Conf Name'"));
	free(t_git(store, "config user.email conf@example.org"));

	/* stdin; trailing newlines are not text. */
	const char *stdin_args[] = { "send", "--key", key, NULL };
	r = t_chat(store, "from stdin\n\n\n", stdin_args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	oid = t_strndup(r.out, 40);
	t_run_free(&r);
	raw = t_git(store, "cat-file commit %s", oid);
	t_assert_contains(raw, "\nauthor Conf Name <conf@example.org> ");
	/* The committer is the author (DESIGN.md), whatever GIT_COMMITTER_NAME says. */
	t_assert_contains(raw, "\ncommitter Conf Name <conf@example.org> ");
	cr_assert_str_eq(t_git(store, "cat-file commit %s | tail -c 12 | od -An -c | tr -d ' \\n'",
	                       oid), "\\nfromstdin\\n");

	/* -F FILE and several -m joined as paragraphs. */
	t_write_file(file, "from a file\n", 12);
	const char *fargs[] = { "send", "--key", key, "-F", file, NULL };
	r = t_chat(store, NULL, fargs);
	cr_assert_eq(r.status, 0, "%s", r.err);
	oid = t_strndup(r.out, 40);
	t_run_free(&r);
	cr_assert_str_eq(t_git(store, "show -s --format=%%B %s", oid), "from a file");
	const char *margs[] = { "send", "--key", key, "-m", "one", "-m", "two", NULL };
	r = t_chat(store, NULL, margs);
	cr_assert_eq(r.status, 0, "%s", r.err);
	oid = t_strndup(r.out, 40);
	t_run_free(&r);
	cr_assert_str_eq(t_git(store, "show -s --format=%%B %s", oid), "one\n\ntwo");

	/* No name anywhere: a clear error. */
	free(t_git(store, "config --unset user.name"));
	char *snap = t_snapshot(store);
	const char *m[] = { "send", "--key", key, "-m", "x", NULL };
	r = t_chat(store, NULL, m);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, "user.name");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), snap);
	assert_stock_git_verifies_all(dir, store);
}

/* ---- finding the store ---- */

static t_run run_git_chat(const char *cwd, const char *const *args, const char *gitdir)
{
	static char path_env[8300];
	const char *argv[16] = { "git" };
	const char *env[4] = { path_env, "GIT_CEILING_DIRECTORIES=/tmp", NULL, NULL };
	char *bindir = t_fmt("%s", GITCHAT_BIN), *gd = NULL;
	size_t i;

	snprintf(path_env, sizeof(path_env), "PATH=%s:%s", dirname(bindir), getenv("PATH"));
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (gitdir) {
		gd = t_fmt("GIT_DIR=%s", gitdir);
		env[2] = gd;
	}
	t_run r = t_run_argv(cwd, argv, NULL, 0, env);
	free(bindir);
	free(gd);
	return r;
}

static void assert_one_message(const char *gitdir, const char *key, const char *text)
{
	char *hex = t_key_hex(key);
	char *msg = t_git(gitdir, "log -1 --format=%%B refs/chat/general/%s", hex);
	cr_assert_str_eq(msg, text);
	free(msg);
	free(hex);
}

Test(send, finds_the_store_as_git_does)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store.git"), *key = t_keygen(dir, "k", 1);
	char *work = t_path(dir, "work"), *sub = t_path(dir, "work/a/b");
	char *gitdir = t_path(dir, "work/.git");
	t_run r;

	/* git -C STORE chat ... (git runs git-chat from PATH). */
	const char *c1[] = { "-C", store, "chat", "send", "--key", key, "-m", "via -C", NULL };
	r = run_git_chat(NULL, c1, NULL);
	cr_assert_eq(r.status, 0, "git -C store chat send: %s", r.err);
	t_run_free(&r);
	assert_one_message(store, key, "via -C");

	/* Inside a subdirectory of a bare store. */
	char *refs = t_path(store, "refs");
	const char *c2[] = { "chat", "send", "--key", key, "-m", "from refs/", NULL };
	r = run_git_chat(refs, c2, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	assert_one_message(store, key, "from refs/");

	/* A code repository with a work tree carries its chat next to its branches. */
	r = t_sh("git init -q '%s'", work);
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	t_mkdir(sub);
	const char *c3[] = { "-C", sub, "chat", "send", "--key", key, "-m", "from a/b", NULL };
	r = run_git_chat(NULL, c3, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	assert_one_message(gitdir, key, "from a/b");
	const char *c4[] = { "chat", "log", NULL };
	r = run_git_chat(sub, c4, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "from a/b");
	t_run_free(&r);

	/* GIT_DIR wins over the current directory. */
	const char *c5[] = { "chat", "send", "--key", key, "-m", "via GIT_DIR", NULL };
	r = run_git_chat(sub, c5, store);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	assert_one_message(store, key, "via GIT_DIR");
	assert_one_message(gitdir, key, "from a/b");

	/* The branches of the code repository are untouched. */
	r = t_sh("git --git-dir='%s' for-each-ref --format='%%(refname)' | grep -v '^refs/chat/'",
	         gitdir);
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);
}

/* The heads a message has seen are remembered next to the log
 * ($GIT_DIR/chat/ancestors/), so that the next one needs no history walk.
 * That is only a cache: with it removed, emptied, cut short or full of
 * garbage before every message, the same messages get the same parents. */
Test(send, remembered_ancestors_are_only_a_cache)
{
	const char *dir = t_scratch();
	char *s1 = t_store(dir, "s1"), *s2 = t_store(dir, "s2"), *side = t_store(dir, "side");
	char *keys[3] = { t_keygen(dir, "a", 1), t_keygen(dir, "b", 0), t_keygen(dir, "c", 1) };
	const int who[] = { 0, 1, 2, 0, 0, 1, -1, 0, 2, 2, 0, 1, 0, -1, 1, 0 };
	const char *damage[] = {   /* STORE: the second store */
		"rm -rf 'STORE/chat/ancestors'",
		"for f in 'STORE'/chat/ancestors/*/*; do : > \"$f\"; done",
		"for f in 'STORE'/chat/ancestors/*/*; do head -c 60 \"$f\" > \"$f.x\" && mv \"$f.x\" \"$f\"; done",
		"for f in 'STORE'/chat/ancestors/*/*; do echo zzzz >> \"$f\"; done",
		"for f in 'STORE'/chat/ancestors/*/*; do printf '%040d\\n' 0 > \"$f\"; done",
	};
	int side_n = 0;

	for (size_t i = 0; i < sizeof(who) / sizeof(*who); i++) {
		char *date = t_fmt("GIT_AUTHOR_DATE=@%ld +0000", 1764150000L + (long)i * 60);
		char *cdate = t_fmt("GIT_COMMITTER_DATE=@%ld +0000", 1764150000L + (long)i * 60);
		const char *env[] = { date, cdate, NULL };
		if (who[i] < 0) {
			/* A head from elsewhere, older than what the room has seen. */
			char *k = t_keygen(dir, t_fmt("d%d", side_n++), 0), *hex = t_key_hex(k);
			t_send_env(side, k, "general", "from the side", env);
			free(t_git(s1, "fetch -q '%s' 'refs/chat/general/%s:refs/chat/general/%s'",
			           side, hex, hex));
			free(t_git(s2, "fetch -q '%s' 'refs/chat/general/%s:refs/chat/general/%s'",
			           side, hex, hex));
			continue;
		}
		t_run r = t_sh("%s", t_replace(damage[i % 5], "STORE", s2));
		t_run_free(&r);
		char *text = t_fmt("message %zu", i);
		char *m1 = t_send_env(s1, keys[who[i]], "general", text, env);
		char *m2 = t_send_env(s2, keys[who[i]], "general", text, env);
		cr_assert_str_eq(m1, m2, "message %zu: parents differ:\n%s\nvs\n%s", i,
		                 t_git(s1, "show -s --format=%%P %s", m1),
		                 t_git(s2, "show -s --format=%%P %s", m2));
	}
	cr_assert_str_eq(t_git(s1, "for-each-ref"), t_git(s2, "for-each-ref"));
	/* (The first store did use what it remembered: one file per log.) */
	t_run ls = t_sh("ls '%s/chat/ancestors/general' | wc -l", s1);
	cr_assert_str_eq(ls.out, "3\n");
	t_run_free(&ls);
	/* And the parents are the rule's: no other parent is an ancestor of
	 * another parent (the first, the own head, may be: it is kept anyway). */
	char *all = t_git(s1, "rev-list --all --min-parents=2");
	for (char *c = strtok(all, "\n"); c; c = strtok(NULL, "\n")) {
		char *ps = t_git(s1, "show -s --format=%%P %s", c);
		char *list[20];
		int n = 0;
		for (char *p = strtok_r(ps, " ", &ps); p && n < 20; p = strtok_r(NULL, " ", &ps))
			list[n++] = p;
		for (int x = 1; x < n; x++)
			for (int y = 0; y < n; y++) {
				if (x == y)
					continue;
				t_run r = t_sh("git --git-dir='%s' merge-base --is-ancestor %s %s", s1,
				               list[x], list[y]);
				cr_assert_neq(r.status, 0, "%s: parent %s is an ancestor of parent %s", c,
				              list[x], list[y]);
				t_run_free(&r);
			}
	}
}

Test(send, send_notes_a_new_room)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	t_run r;

	/* The first room of a store is new too. */
	r = t_chatv(store, "send", "--key", key, "-r", "general", "-m", "hello");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "note: 'general' is a new room (the first in this store)\n");
	t_run_free(&r);
	free(t_send(store, key, "dev", "code"));

	/* A room that exists: nothing said. */
	r = t_chatv(store, "send", "--key", key, "-r", "general", "-m", "again");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);

	/* A typo: sent all the same, and said, with the rooms there are. */
	r = t_chatv(store, "send", "--key", key, "-r", "genral", "-m", "oops");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strlen(r.out), 41, "%s", r.out);
	cr_assert_str_eq(r.err, "note: 'genral' is a new room (rooms here: dev, general)\n");
	t_run_free(&r);
	r = t_chatv(store, "log", "-r", "genral");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "oops");
	t_run_free(&r);
	/* Once: the room exists now. */
	r = t_chatv(store, "send", "--key", key, "-r", "genral", "-m", "oops again");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);

	/* A room that only a remote's copy has is not new. */
	{
		char *b = t_store(dir, "b");
		r = t_chatv(b, "sync", "-q", store);
		cr_assert_eq(r.status, 0, "%s", r.err);
		t_run_free(&r);
		r = t_chatv(b, "send", "--key", key, "-r", "dev", "-m", "from b");
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert_str_eq(r.err, "");
		t_run_free(&r);
	}

	/* A failed send says nothing about rooms. */
	r = t_chatv(store, "send", "--key", t_path(dir, "no-such-key"), "-r", "other", "-m", "x");
	cr_assert_eq(r.status, 128);
	cr_assert_eq(strstr(r.err, "new room"), NULL, "%s", r.err);
	t_run_free(&r);
}

Test(send, send_never_starts_a_special_room)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	const char *bad[] = { "_identity", "_0123456789abcdef01234567" };
	const char *why[] = { "'git chat profile' and 'git chat device' write there",
	                      "no private room '_0123456789abcdef01234567' in this store" };
	t_run r;

	for (size_t i = 0; i < 2; i++) {
		r = t_chatv(store, "send", "--key", key, "-r", bad[i], "-m", "hello");
		cr_assert_neq(r.status, 0, "%s accepted", bad[i]);
		t_assert_contains(r.err, why[i]);
		t_run_free(&r);
	}
	/* Nothing written: no ref, so no room. */
	r = t_sh("git -C '%s' for-each-ref refs/chat | wc -l", store);
	cr_assert_str_eq(r.out, "0\n");
	t_run_free(&r);
	/* Any other '_' name is not a room name at all. */
	r = t_chatv(store, "send", "--key", key, "-r", "_x", "-m", "hello");
	cr_assert_neq(r.status, 0);
	t_assert_contains(r.err, "only git-chat's own rooms");
	t_run_free(&r);
}
