/*
 * git chat sync through local paths and file:// URLs: sneakernet stores,
 * gossip, rooms filters, remote naming, `git chat remote`, options and
 * exit codes.
 */
#include <sys/stat.h>
#include "testsync.h"

static char *scratch_copy(void)
{
	return t_scratch_copy();
}

Test(sync_local, stick_created_and_two_people_converge)
{
	char *dir = scratch_copy(), *stick = t_path(dir, "stick/chat.git");
	t_person a, b;
	t_run r;
	char *ja, *jb, *ra, *rb;
	struct stat st;

	t_mkdir(t_path(dir, "stick"));
	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_send(&a, "general", "hello from A");

	r = t_person_sync(&a, stick, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.err, "created a new bare repository"), "%s", r.err);
	cr_assert(t_contains(r.out, "created, 1 log pushed"), "summary: %s", r.out);
	t_run_free(&r);
	cr_assert(stat(t_path(stick, "HEAD"), &st) == 0, "no repository at the stick path");
	cr_assert_str_eq(t_git_out(stick, "rev-parse --is-bare-repository"), "true\n");

	r = t_person_sync(&b, stick, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "received 1 new message (general: 1)"), "%s", r.out);
	t_run_free(&r);

	t_person_send(&b, "general", "hi A, B here");
	t_person_sync_ok(&b, stick);
	r = t_person_sync(&a, stick, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(t_contains(r.out, "received 1 new message"), "%s", r.out);
	t_run_free(&r);

	/* Nothing new: up to date, exit 0, and no quarantine left behind. */
	r = t_person_sync(&a, stick, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(t_contains(r.out, ": up to date"), "%s", r.out);
	t_run_free(&r);

	ra = t_refs(a.store, "refs/chat");
	rb = t_refs(b.store, "refs/chat");
	cr_assert_str_eq(ra, rb);
	cr_assert_str_eq(ra, t_refs(stick, "refs/chat"));
	cr_assert_eq(t_count_lines(ra), 2);
	ja = t_person_log_json(&a, "general");
	jb = t_person_log_json(&b, "general");
	cr_assert_str_eq(ja, jb);
	cr_assert_eq(t_count_lines(ja), 2);
	cr_assert_str_eq(t_refs(a.store, "refs/chat-quarantine"), "");
	cr_assert_str_eq(t_refs(a.store, "refs/chat-remotes"), "");
	t_store_sound(a.store);
	t_store_sound(b.store);
	t_verify_commits(stick);
}

/* Issue 15: sync brings the order index of the rooms it received up to
 * date, so that the first `log` after it does not order the room. */
Test(sync_local, sync_brings_the_order_index_up_to_date)
{
	char *dir = scratch_copy(), *stick = t_path(dir, "stick/chat.git"), *ix;
	const char *log_args[] = { "log", "-r", "general", "-n", "2", NULL };
	struct stat before, after;
	t_person a, b;
	t_run r;

	t_mkdir(t_path(dir, "stick"));
	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	for (int i = 0; i < 3; i++)
		t_person_send(&a, "general", t_fmt("message %d", i));
	t_person_sync_ok(&a, stick);
	t_person_sync_ok(&b, stick);
	ix = t_path(b.store, "chat/index/general");
	cr_assert_eq(stat(ix, &before), 0, "sync left no order index at %s", ix);
	r = t_person_chat(&b, log_args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "message 2"), "%s", r.out);
	t_run_free(&r);
	/* The index was current: log mapped it and wrote nothing. */
	cr_assert_eq(stat(ix, &after), 0);
	cr_assert_eq(before.st_ino, after.st_ino, "log rewrote the index sync had written");
	cr_assert_eq(before.st_size, after.st_size);
}

Test(sync_local, file_url_and_path_name_the_same_remote)
{
	char *dir = scratch_copy(), *stick = t_path(dir, "s.git"), *url;
	t_person a;
	gitchat_store *store = NULL;
	gitchat_buf n1 = GITCHAT_BUF_INIT, n2 = GITCHAT_BUF_INIT, n3 = GITCHAT_BUF_INIT;
	t_run r;

	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "one");
	url = t_fmt("file://%s", stick);
	r = t_person_sync(&a, url, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_refs(stick, "refs/chat"), t_refs(a.store, "refs/chat"));

	cr_assert_eq(gitchat_store_open(&store, a.store), 0);
	cr_assert_eq(gitchat_sync_remote_name(&n1, store, url), 0);
	cr_assert_eq(gitchat_sync_remote_name(&n2, store, stick), 0, "%s",
	             gitchat_error_last()->message);
	cr_assert_str_eq(n1.ptr, n2.ptr);
	cr_assert_eq(strncmp(n1.ptr, "url-", 4), 0);
	cr_assert_eq(strlen(n1.ptr), 20);
	/* a configured remote with that URL lends its name */
	free(t_git_out(a.store, "remote add stick '%s'", stick));
	cr_assert_eq(gitchat_sync_remote_name(&n3, store, url), 0);
	cr_assert_str_eq(n3.ptr, "stick");
	gitchat_buf_dispose(&n1);
	gitchat_buf_dispose(&n2);
	gitchat_buf_dispose(&n3);
	gitchat_store_free(store);
}

Test(sync_local, gossip_relays_everyones_logs)
{
	char *dir = scratch_copy(), *s1 = t_path(dir, "s1.git"), *s2 = t_path(dir, "s2.git");
	t_person a, b, c;
	char *ja;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_init(&c, dir, "Carol");
	t_person_send(&a, "general", "from A");
	t_person_sync_ok(&a, s1);
	t_person_send(&b, "general", "from B");
	t_person_sync_ok(&b, s1);      /* B gets A's, gives its own */
	t_person_sync_ok(&b, s2);      /* and carries both to s2 */
	t_person_sync_ok(&c, s2);      /* C never met A */
	ja = t_person_log_json(&c, "general");
	cr_assert_eq(t_count_lines(ja), 2, "%s", ja);
	cr_assert(t_contains(ja, "from A"));
	cr_assert_str_eq(t_refs(c.store, "refs/chat"), t_refs(b.store, "refs/chat"));
}

Test(sync_local, rooms_filter_limits_refs_and_objects)
{
	char *dir = scratch_copy(), *s1 = t_path(dir, "s1.git"), *s2 = t_path(dir, "s2.git");
	t_person a, b;
	char *gen, *sec, *refs;
	t_run r;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	gen = t_person_send(&a, "general", "public words");
	sec = t_person_send(&a, "secret", "private words");

	/* -r: only that room is pushed, and only its objects travel */
	r = t_person_sync(&a, "-r", "general", s1, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	refs = t_refs(s1, "refs/chat");
	cr_assert(t_contains(refs, "refs/chat/general/"));
	cr_assert(!t_contains(refs, "refs/chat/secret/"), "%s", refs);
	r = t_sh("git --git-dir='%s' cat-file -e %s", s1, sec);
	cr_assert_neq(r.status, 0, "the secret room's commit reached the stick");
	t_run_free(&r);

	/* everything goes to s2; B asks only for general through chat.rooms */
	t_person_sync_ok(&a, s2);
	cr_assert(t_contains(t_refs(s2, "refs/chat"), "refs/chat/secret/"));
	free(t_git_out(b.store, "config chat.rooms 'general, other'"));
	t_person_sync_ok(&b, s2);
	refs = t_refs(b.store, "refs/chat");
	cr_assert(t_contains(refs, gen), "%s", refs);
	cr_assert(!t_contains(refs, "secret"), "%s", refs);
	r = t_sh("git --git-dir='%s' cat-file -e %s", b.store, sec);
	cr_assert_neq(r.status, 0, "objects of an unasked room were fetched");
	t_run_free(&r);

	/* -r overrides chat.rooms */
	r = t_person_sync(&b, "-r", "secret", s2, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "secret: 1"), "%s", r.out);
	t_run_free(&r);

	/* a bad room in chat.rooms is a store error */
	free(t_git_out(b.store, "config --add chat.rooms 'Bad Room'"));
	r = t_person_sync(&b, s2, NULL);
	cr_assert_eq(r.status, 128, "%s", r.err);
	cr_assert(t_contains(r.err, "chat.rooms"), "%s", r.err);
	t_run_free(&r);
}

Test(sync_local, remote_command_and_default_remotes)
{
	char *dir = scratch_copy(), *s1 = t_path(dir, "s1.git"), *s2 = t_path(dir, "s2.git");
	t_person a;
	t_run r;
	char *out;

	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "x");

	/* no remote configured and none given */
	r = t_person_sync(&a, NULL);
	cr_assert_eq(r.status, 128);
	cr_assert(t_contains(r.err, "git chat remote add"), "%s", r.err);
	t_run_free(&r);

	{
		const char *add1[] = { "remote", "add", "one", s1, NULL };
		const char *add2[] = { "remote", "add", "two", s2, NULL };
		const char *dup[] = { "remote", "add", "one", s2, NULL };
		const char *bad[] = { "remote", "add", "bad name", s2, NULL };
		const char *list[] = { "remote", "-v", NULL };
		const char *rm[] = { "remote", "remove", "two", NULL };
		const char *rm_missing[] = { "remote", "remove", "nope", NULL };
		const char *unknown[] = { "remote", "frobnicate", NULL };

		r = t_person_chat(&a, add1); cr_assert_eq(r.status, 0, "%s", r.err); t_run_free(&r);
		r = t_person_chat(&a, add2); cr_assert_eq(r.status, 0, "%s", r.err); t_run_free(&r);
		r = t_person_chat(&a, dup); cr_assert_eq(r.status, 128); t_run_free(&r);
		r = t_person_chat(&a, bad); cr_assert_eq(r.status, 129); t_run_free(&r);
		r = t_person_chat(&a, unknown); cr_assert_eq(r.status, 129); t_run_free(&r);
		r = t_person_chat(&a, list);
		cr_assert_eq(r.status, 0);
		cr_assert(t_contains(r.out, "one\t"), "%s", r.out);
		cr_assert(t_contains(r.out, s2), "%s", r.out);
		t_run_free(&r);
		/* plain git sees them; no fetch refspec was configured */
		out = t_git_out_x(1, a.store, "config --get-all remote.one.fetch");
		cr_assert_str_eq(out, "");

		r = t_person_sync(&a, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert(t_contains(r.out, "one: created, 1 log pushed"), "%s", r.out);
		cr_assert(t_contains(r.out, "two: created, 1 log pushed"), "%s", r.out);
		t_run_free(&r);

		r = t_person_chat(&a, rm); cr_assert_eq(r.status, 0, "%s", r.err); t_run_free(&r);
		r = t_person_chat(&a, rm_missing); cr_assert_eq(r.status, 128); t_run_free(&r);
		r = t_person_sync(&a, NULL);
		cr_assert_eq(r.status, 0);
		cr_assert(!t_contains(r.out, "two:"), "%s", r.out);
		t_run_free(&r);
	}
}

Test(sync_local, options_and_usage)
{
	char *dir = scratch_copy(), *s1 = t_path(dir, "s1.git");
	t_person a, b;
	t_run r;
	const char *help[] = { "sync", "--help", NULL };

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_send(&a, "general", "x");

	r = t_person_chat(&a, help);
	cr_assert_eq(r.status, 0);
	cr_assert(t_contains(r.out, "usage: git chat sync"));
	t_run_free(&r);
	r = t_person_sync(&a, "--bogus", s1, NULL);
	cr_assert_eq(r.status, 129);
	t_run_free(&r);
	r = t_person_sync(&a, "-r", "Not A Room", s1, NULL);
	cr_assert_eq(r.status, 129);
	t_run_free(&r);
	r = t_person_sync(&a, "--no-fetch", "--no-push", s1, NULL);
	cr_assert_eq(r.status, 129);
	t_run_free(&r);
	r = t_person_sync(&a, "-q", "-v", s1, NULL);
	cr_assert_eq(r.status, 129);
	t_run_free(&r);
	r = t_person_sync(&a, "", NULL);
	cr_assert_eq(r.status, 129);
	t_run_free(&r);

	/* --no-push: nothing leaves */
	r = t_person_sync(&a, "--no-push", s1, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_refs(s1, "refs/chat"), "");
	/* -q: silent on success */
	r = t_person_sync(&a, "-q", s1, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);
	cr_assert_neq(strlen(t_refs(s1, "refs/chat")), 0);
	/* --no-fetch: B pushes, receives nothing */
	t_person_send(&b, "general", "y");
	r = t_person_sync(&b, "--no-fetch", s1, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	cr_assert_eq(t_count_lines(t_refs(b.store, "refs/chat")), 1);
	/* -v names each log */
	r = t_person_sync(&b, "-v", s1, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(t_contains(r.err, t_person_ref(&a, "general")), "%s", r.err);
	t_run_free(&r);
	/* outside a store */
	{
		const char *args[] = { "sync", s1, NULL };
		const char *env[] = { "GIT_DIR=/nonexistent/store", NULL };
		const char *argv[] = { GITCHAT_BIN, "sync", s1, NULL };
		(void)args;
		r = t_run_argv(dir, argv, NULL, 0, env);
		cr_assert_eq(r.status, 128, "%s", r.err);
		t_run_free(&r);
	}
}

Test(sync_local, not_a_repository_and_missing_parent)
{
	char *dir = scratch_copy(), *file = t_path(dir, "plain.txt"), *full = t_path(dir, "full");
	char *missing = t_path(dir, "no/such/dir/x.git"), *s1 = t_path(dir, "s1.git");
	t_person a;
	t_run r;

	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "x");
	t_write_file(file, "hello\n", 6);
	t_mkdir(full);
	t_write_file(t_path(full, "junk"), "x", 1);

	r = t_person_sync(&a, file, s1, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "is not a git repository"), "%s", r.err);
	/* the other remote still synced */
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	r = t_person_sync(&a, full, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(t_contains(r.err, "is not a git repository"), "%s", r.err);
	cr_assert(t_contains(r.out, "failed"), "%s", r.out);
	t_run_free(&r);
	r = t_person_sync(&a, missing, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(t_contains(r.err, "does not exist"), "%s", r.err);
	t_run_free(&r);
	r = t_person_sync(&a, a.store, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(t_contains(r.err, "this store itself"), "%s", r.err);
	t_run_free(&r);
	t_store_sound(a.store);
}

/* Progress (objects and bytes) goes to stderr only when it is a terminal:
 * `script` gives the command one. */
Test(sync_local, progress_only_on_a_terminal)
{
	char *dir = t_scratch_copy(), *s1 = t_path(dir, "s1.git"), *typescript = t_path(dir, "tty.log");
	char *log;
	t_person a, b;
	t_run r;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_gen_log(a.store, a.key, "general", 300, 200);
	t_person_sync_ok(&a, s1);

	r = t_person_sync(&b, s1, NULL);      /* stderr is a pipe here */
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!t_contains(r.err, "Receiving"), "progress on a pipe: %s", r.err);
	t_run_free(&r);

	t_gen_log(a.store, a.key, "general", 300, 200);
	t_person_sync_ok(&a, s1);
	r = t_sh("GIT_DIR='%s' script -qec '%s sync %s' '%s' >/dev/null 2>&1", b.store, GITCHAT_BIN,
	         s1, typescript);
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	log = t_read_file(typescript, NULL);
	t_keep(log);
	cr_assert(t_contains(log, "Receiving from"), "no progress on a terminal: %s", log);
	cr_assert(t_contains(log, "300/300 objects") || t_contains(log, "301/301 objects") ||
	          t_contains(log, "objects,"), "%s", log);
	cr_assert(t_contains(log, "received 300 new messages"), "%s", log);

	/* -q: not even on a terminal */
	t_gen_log(a.store, a.key, "general", 10, 200);
	t_person_sync_ok(&a, s1);
	r = t_sh("GIT_DIR='%s' script -qec '%s sync -q %s' '%s' >/dev/null 2>&1", b.store,
	         GITCHAT_BIN, s1, typescript);
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	log = t_keep(t_read_file(typescript, NULL));
	cr_assert(!t_contains(log, "Receiving"), "%s", log);
	cr_assert(!t_contains(log, "received"), "%s", log);
}

/* What `git verify-pack` says of every pack in GITDIR; asserts each is
 * sound and returns how many there are. */
static int packs_verified(const char *gitdir)
{
	t_run r = t_sh("set -e; n=0; for idx in '%s'/objects/pack/pack-*.idx; do "
	               "[ -e \"$idx\" ] || continue; git verify-pack \"$idx\" >/dev/null; "
	               "n=$((n + 1)); done; echo $n", gitdir);
	int n;

	cr_assert_eq(r.status, 0, "git verify-pack in %s: %s%s", gitdir, r.out, r.err);
	n = atoi(r.out);
	t_run_free(&r);
	return n;
}

/* Path syncs write pack and index themselves (sync/pack.c: twice as fast
 * as libgit2's packbuilder, docs/benchmarks.md). Stock git must read every
 * pack they write, both ways, with many objects (fan-out, offsets, CRCs):
 * this fails the day that writer drifts from the format git and libgit2
 * read, say in a repository of another object format. */
Test(sync_local, packs_written_by_path_syncs_pass_git_verify_pack, .timeout = 120)
{
	char *dir = scratch_copy(), *stick = t_path(dir, "stick.git");
	t_person a, b;
	int i;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	for (i = 0; i < 40; i++)
		t_person_send(&a, i % 2 ? "general" : "random", t_fmt("message %d from A", i));
	t_person_sync_ok(&a, stick);               /* A's objects: a new pack on the stick */
	t_person_sync_ok(&b, stick);               /* and one in B's store */
	for (i = 0; i < 10; i++)
		t_person_send(&b, "general", t_fmt("reply %d from B", i));
	t_person_sync_ok(&b, stick);
	t_person_sync_ok(&a, stick);
	cr_assert_geq(packs_verified(stick), 2, "the path syncs wrote no packs on the stick");
	cr_assert_geq(packs_verified(b.store), 1, "the path sync wrote no pack in B's store");
	cr_assert_geq(packs_verified(a.store), 1, "the path sync wrote no pack in A's store");
	cr_assert_str_eq(t_refs(a.store, "refs/chat"), t_refs(b.store, "refs/chat"));
	t_store_sound(stick);
	t_store_sound(a.store);
	t_store_sound(b.store);
}

/* An object missing on the other side of a path sync fails the copy with
 * its name and leaves no temporary pack and no ref behind; the next sync,
 * once the object is back, goes through. */
Test(sync_local, a_missing_object_fails_the_copy_and_leaves_nothing_behind, .timeout = 60)
{
	char *dir = scratch_copy();
	t_person a, b;
	char *first = NULL, *loose, *saved;
	t_run r;
	int i;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	for (i = 0; i < 300; i++) {
		char *id = t_person_send(&a, "general", t_fmt("message %d", i));
		if (i == 10)
			first = id;
	}
	loose = t_fmt("%s/objects/%.2s/%s", a.store, first, first + 2);
	saved = t_path(dir, "saved-object");
	cr_assert_eq(rename(loose, saved), 0, "%s: not a loose object", loose);

	r = t_person_sync(&b, a.store, NULL);
	cr_assert_neq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, t_fmt("object %s is missing", first)), "%s", r.err);
	t_run_free(&r);
	r = t_sh("ls '%s/objects/pack' | grep -c tmp_pack || true", b.store);
	cr_assert_eq(atoi(r.out), 0, "a temporary pack was left: %s", r.out);
	t_run_free(&r);
	r = t_sh("git --git-dir='%s' for-each-ref refs/chat | wc -l", b.store);
	cr_assert_eq(atoi(r.out), 0, "refs stored from a failed copy: %s", r.out);
	t_run_free(&r);

	cr_assert_eq(rename(saved, loose), 0);
	r = t_person_sync(&b, a.store, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.out, "received 300 new messages"), "%s", r.out);
	t_run_free(&r);
	cr_assert_geq(packs_verified(b.store), 1);
}
