/*
 * A log that cannot be pushed (docs/sync.md, "What if the server holds a bad
 * commit on my log"): someone writes an unsigned commit on top of Alice's
 * log in the shared repository. Her sync rejects it (right), and then must
 * also say, at every sync, that her own log is not pushed: the ref, the
 * remote's commit, how many of her messages wait, and the command that
 * repairs the server. Once the admin runs it, the next sync pushes what
 * waited and says nothing more. Through a path and through git daemon.
 *
 * Also: syncing by path to a repository with a pre-receive hook says that
 * the hook does not run.
 */
#include <sys/stat.h>
#include <unistd.h>
#include "testsync.h"
#include "servers.h"

/* The forgery of the report: a commit with the log's tree, on top of it,
 * not signed. Returns its id. */
static char *forge(const char *gitdir, const char *refname)
{
	char *tree = t_git_out(gitdir, "rev-parse '%s^{tree}'", refname);
	char *fake;

	tree[40] = '\0';
	fake = t_git_out(gitdir, "commit-tree %s -p '%s' -m 'FORGED: alice never wrote this'", tree,
	              refname);
	fake[40] = '\0';
	free(t_git_out(gitdir, "update-ref '%s' %s", refname, fake));
	return fake;
}

static int server_has(const char *gitdir, const char *id)
{
	char *out = t_git_out_x(1, gitdir, "cat-file -t %s 2>/dev/null", id);
	return t_contains(out, "commit");
}

/* A fresh bare repository standing in for the server, and Alice, whose log
 * in 'general' the tests forge there (*ref: that log's ref name, when
 * asked for). */
static char *server_and_alice(const char *dir, t_person *a, char **ref)
{
	char *s = t_path(dir, "srv.git");

	free(t_git_out(dir, "init -q --bare '%s'", s));
	t_person_init(a, dir, "Alice");
	if (ref)
		*ref = t_person_ref(a, "general");
	return s;
}

/* The whole story against `remote` (a path or URL) served from `gitdir`. */
static void blocked_then_repaired(const char *dir, const char *remote, const char *gitdir)
{
	t_person a, b;
	char *ref, *last, *fake, *m1, *m2, *repair;
	t_run r;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	ref = t_person_ref(&a, "general");
	t_person_send(&a, "general", "a one");
	last = t_person_send(&a, "general", "a two");
	t_person_send(&b, "general", "b one");
	t_person_sync_ok(&a, remote);
	t_person_sync_ok(&b, remote);
	cr_assert_str_eq(t_ref_value(gitdir, ref), last);

	fake = forge(gitdir, ref);
	repair = t_fmt("git update-ref %s %s %s", ref, last, fake);

	/* Nothing of hers waits yet, but she is told that the copy is bad. */
	r = t_person_sync(&a, remote, NULL);
	cr_assert_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(t_contains(r.err, "it is not signed"), "%s", r.err);
	cr_assert(t_contains(r.err, "your log in 'general' was not pushed"), "%s", r.err);
	cr_assert(t_contains(r.err, "nothing of this log waits here"), "%s", r.err);
	cr_assert(!t_contains(r.err, "stay"), "%s", r.err);
	cr_assert(t_contains(r.err, repair), "the repair command: %s", r.err);
	cr_assert(t_contains(r.out, "1 log not pushed"), "%s", r.out);
	t_run_free(&r);

	/* Each message she sends waits, and each sync says so, with the count. */
	m1 = t_person_send(&a, "general", "alice after forgery");
	r = t_person_sync(&a, "-v", remote, NULL);
	cr_assert_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(t_contains(r.err, "error: '"), "%s", r.err);
	cr_assert(t_contains(r.err, "your log in 'general' was not pushed: the remote's"), "%s",
	          r.err);
	cr_assert(t_contains(r.err, ref), "names the log: %s", r.err);
	cr_assert(t_contains(r.err, t_fmt("is at %s, which is not valid (it is not "
	                                              "signed)", fake)), "%s", r.err);
	cr_assert(t_contains(r.err, "your 1 new message stays here"), "%s", r.err);
	cr_assert(t_contains(r.err, repair), "%s", r.err);
	cr_assert(t_contains(r.err, "'git chat verify' there"), "%s", r.err);
	t_run_free(&r);
	cr_assert(!server_has(gitdir, m1), "nothing was pushed");
	cr_assert_str_eq(t_ref_value(gitdir, ref), fake);

	m2 = t_person_send(&a, "general", "and again");
	r = t_person_sync(&a, "--no-fetch", remote, NULL);
	cr_assert_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(t_contains(r.err, "your 2 new messages stay here"), "%s", r.err);
	t_run_free(&r);

	/* Bob relays her log too (gossip): his line names her, not "your". */
	r = t_person_sync(&b, remote, NULL);
	cr_assert_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(!t_contains(r.err, "your log"), "%s", r.err);
	cr_assert(t_contains(r.err, t_fmt("the log of Alice (%s) in 'general' is not "
	                                              "passed on", a.fp)), "%s", r.err);
	cr_assert(t_contains(r.err, "nothing of this log waits here"), "%s", r.err);
	cr_assert(t_contains(r.err, repair), "%s", r.err);
	t_run_free(&r);

	/* The admin runs the command given; the next sync delivers and is quiet. */
	free(t_git_out(gitdir, "%s", repair + strlen("git ")));
	r = t_person_sync(&a, remote, NULL);
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(!t_contains(r.err, "not pushed"), "%s", r.err);
	cr_assert(!t_contains(r.err, "error:"), "%s", r.err);
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	cr_assert(!t_contains(r.out, "not pushed"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(gitdir, ref), m2);
	cr_assert(server_has(gitdir, m1));
	t_person_sync_ok(&b, remote);
	cr_assert_str_eq(t_ref_value(b.store, ref), m2, "the waiting messages reach Bob");
	r = t_person_sync(&a, remote, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "up to date"), "%s", r.out);
	t_run_free(&r);
}

Test(sync_blocked, forged_commit_on_own_log_by_path, .timeout = 120)
{
	char *dir = t_scratch_copy(), *s = t_path(dir, "shared.git");

	free(t_git_out(dir, "init -q --bare '%s'", s));
	blocked_then_repaired(dir, s, s);
}

Test(sync_blocked, forged_commit_on_own_log_git_daemon, .timeout = 120)
{
	char *dir = t_scratch_copy();
	t_server *daemon;
	char *gitdir, *url;

	url = t_daemon_repo(&daemon, dir, "shared.git", &gitdir);
	blocked_then_repaired(dir, url, gitdir);
	t_server_stop(daemon);
}

/* When no commit of the log's own chain is left under the forgery, the
 * repair is a deletion: the next push makes the log again. */
Test(sync_blocked, replaced_log_is_repaired_by_deleting_the_ref, .timeout = 120)
{
	char *dir = t_scratch_copy(), *s;
	t_person a;
	char *ref, *fake, *m1, *repair;
	t_run r;

	s = server_and_alice(dir, &a, &ref);
	t_person_send(&a, "general", "a one");
	t_person_sync_ok(&a, s);
	fake = t_craft(s, NULL, "general", NULL, "a whole other log", 0);
	free(t_git_out(s, "update-ref '%s' %s", ref, fake));
	m1 = t_person_send(&a, "general", "a two");
	r = t_person_sync(&a, s, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	repair = t_fmt("git update-ref -d %s %s", ref, fake);
	cr_assert(t_contains(r.err, "your 2 new messages stay here"), "%s", r.err);
	cr_assert(t_contains(r.err, repair), "%s", r.err);
	t_run_free(&r);
	free(t_git_out(s, "%s", repair + strlen("git ")));
	t_person_sync_ok(&a, s);
	cr_assert_str_eq(t_ref_value(s, ref), m1);
}

/* A path sync writes the repository directly: a pre-receive hook there
 * does not run, and the sync says so when it pushes; without a hook,
 * nothing is said. */
Test(sync_blocked, path_sync_notes_a_hook_it_does_not_run, .timeout = 60)
{
	char *dir = t_scratch_copy(), *s = t_path(dir, "hooked.git"), *plain = t_path(dir, "plain.git");
	char *hook = t_fmt("%s/hooks/pre-receive", s), *ran = t_path(dir, "hook-ran");
	t_person a;
	t_run r;

	free(t_git_out(dir, "init -q --bare '%s'", s));
	free(t_git_out(dir, "init -q --bare '%s'", plain));
	{
		char *script = t_fmt("#!/bin/sh\ntouch '%s'\nexit 1\n", ran);
		t_write_file(hook, script, strlen(script));
		cr_assert_eq(chmod(hook, 0755), 0);
	}
	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "one");

	r = t_person_sync(&a, s, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.err, t_fmt("note: '%s' has a pre-receive hook", s)),
	          "%s", r.err);
	cr_assert(t_contains(r.err, "does not run it"), "%s", r.err);
	t_run_free(&r);
	cr_assert(access(ran, F_OK) != 0, "the note is true: the hook did not run");
	cr_assert(t_ref_value(s, t_person_ref(&a, "general")) != NULL);

	/* nothing to push: nothing to say */
	r = t_person_sync(&a, s, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!t_contains(r.err, "pre-receive"), "%s", r.err);
	t_run_free(&r);

	r = t_person_sync(&a, plain, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!t_contains(r.err, "pre-receive"), "%s", r.err);
	t_run_free(&r);

	/* Said once per repository: the next push there is quiet (the store
	 * remembers it in chat/hook-notes), yet it pushes. */
	t_person_send(&a, "general", "two");
	r = t_person_sync(&a, s, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!t_contains(r.err, "pre-receive"), "said again: %s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(s, t_person_ref(&a, "general")), t_ref_value(a.store, t_person_ref(&a, "general")));
}

/* A valid fork of one's own log (two devices): a warning, not an error;
 * the next message joins the two and is pushed. */
Test(sync_blocked, own_fork_is_a_warning_until_the_next_message, .timeout = 60)
{
	char *dir = t_scratch_copy(), *s = t_path(dir, "shared.git");
	t_person d1, d2;
	char *ref, *heal;
	t_run r;

	free(t_git_out(dir, "init -q --bare '%s'", s));
	t_person_init(&d1, dir, "Alice");
	t_mkdir(t_path(dir, "phone"));
	t_person_init_key(&d2, t_path(dir, "phone"), "Alice", &d1);
	ref = t_person_ref(&d1, "general");
	t_person_send(&d1, "general", "one");
	t_person_sync_ok(&d1, s);
	t_person_sync_ok(&d2, s);
	t_person_send(&d1, "general", "two, laptop");
	t_person_send(&d2, "general", "two, phone");
	t_person_sync_ok(&d2, s);
	r = t_person_sync(&d1, s, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, "warning: '"), "%s", r.err);
	cr_assert(t_contains(r.err, "your log in 'general' was not pushed"), "%s", r.err);
	cr_assert(t_contains(r.err, "a fork); your 1 new message stays here until your next "
	                             "message in 'general' joins the two"), "%s", r.err);
	cr_assert(!t_contains(r.err, "error:"), "%s", r.err);
	t_run_free(&r);
	heal = t_person_send(&d1, "general", "three, joins both");
	r = t_person_sync(&d1, s, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(!t_contains(r.err, "not pushed"), "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(s, ref), heal);
}

/* A store that is behind the server must not be told to roll the server
 * back to its own older head: the repair restores the server's last valid
 * commit (a3), and nothing of the reader's waits. */
Test(sync_blocked, repair_keeps_what_the_server_has_beyond_a_store_behind, .timeout = 120)
{
	char *dir = t_scratch_copy(), *s;
	t_person a, b;
	char *ref, *a1, *a3, *fake, *repair;
	t_run r;

	s = server_and_alice(dir, &a, &ref);
	t_person_init(&b, dir, "Bob");
	a1 = t_person_send(&a, "general", "a1");
	t_person_sync_ok(&a, s);
	t_person_sync_ok(&b, s);
	t_person_send(&a, "general", "a2");
	a3 = t_person_send(&a, "general", "a3");
	t_person_sync_ok(&a, s);
	fake = forge(s, ref);

	r = t_person_sync(&b, s, NULL);
	cr_assert_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	repair = t_fmt("'git update-ref %s %s %s'", ref, a3, fake);
	cr_assert(t_contains(r.err, repair), "restores a3, not a1: %s", r.err);
	cr_assert(!t_contains(r.err, t_fmt("%s %s %s", ref, a1, fake)), "%s", r.err);
	cr_assert(!t_contains(r.err, "stay"), "nothing of Bob's waits: %s", r.err);
	cr_assert(t_contains(r.err, "nothing of this log waits here"), "%s", r.err);
	t_run_free(&r);

	/* Alice, up to date, is told the same repair. */
	r = t_person_sync(&a, s, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, repair), "%s", r.err);
	t_run_free(&r);

	/* Run, it loses nothing: Bob then gets a2 and a3. */
	free(t_git_out(s, "update-ref %s %s %s", ref, a3, fake));
	t_person_sync_ok(&b, s);
	cr_assert_str_eq(t_ref_value(b.store, ref), a3);
}

/* When the first-parent chain under the forgery holds nothing valid but
 * something of the log's key is still in it (here as a second parent),
 * neither a reset nor a deletion is safe: say so, never suggest -d. */
Test(sync_blocked, unclear_repair_is_never_a_deletion, .timeout = 120)
{
	char *dir = t_scratch_copy(), *s;
	t_person a;
	char *ref, *last, *tree, *junk, *fake;
	t_run r;

	s = server_and_alice(dir, &a, &ref);
	t_person_send(&a, "general", "one");
	last = t_person_send(&a, "general", "two");
	t_person_sync_ok(&a, s);
	tree = t_git_out(s, "rev-parse '%s^{tree}'", ref);
	tree[40] = '\0';
	junk = t_git_out(s, "commit-tree %s -m junk", tree);
	junk[40] = '\0';
	fake = t_git_out(s, "commit-tree %s -p %s -p %s -m 'FORGED'", tree, junk, last);
	fake[40] = '\0';
	free(t_git_out(s, "update-ref '%s' %s", ref, fake));
	t_person_send(&a, "general", "three");

	r = t_person_sync(&a, s, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "your 1 new message stays here"), "%s", r.err);
	cr_assert(t_contains(r.err, "could not work out where to reset it; ask its admin to run "
	                             "'git chat verify' in that repository"), "%s", r.err);
	cr_assert(!t_contains(r.err, "update-ref"), "%s", r.err);
	t_run_free(&r);
}

/* A signed commit on top of an unsigned one: the reason names the
 * ancestor once ("its ancestor X is invalid: ..."), not twice, and the
 * repair goes below both. */
Test(sync_blocked, invalid_ancestor_is_named_once, .timeout = 60)
{
	char *dir = t_scratch_copy(), *s;
	t_person a;
	char *ref, *last, *unsigned_c, *top;
	t_run r;

	s = server_and_alice(dir, &a, &ref);
	last = t_person_send(&a, "general", "one");
	t_person_sync_ok(&a, s);
	unsigned_c = forge(s, ref);
	top = t_craft(s, a.key, "general", (const char *[]){ unsigned_c, NULL }, "on top", 0);
	free(t_git_out(s, "update-ref '%s' %s", ref, top));

	r = t_person_sync(&a, s, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, t_fmt("which is not valid (its ancestor %s is "
	                                              "invalid: it is not signed)", unsigned_c)),
	          "%s", r.err);
	cr_assert(!t_contains(r.err, t_fmt("its ancestor %s: ", unsigned_c)), "%s",
	          r.err);
	cr_assert(t_contains(r.err, t_fmt("'git update-ref %s %s %s'", ref, last, top)),
	          "%s", r.err);
	t_run_free(&r);
}

/* Working out why one log is held back may fail (here: the remote's
 * commit is a corrupt object in our store); that must not keep the other
 * logs from being pushed: the log is named, the others go out. */
Test(sync_blocked, a_failed_report_does_not_block_other_logs, .timeout = 60)
{
	char *dir = t_scratch_copy(), *s;
	t_person a;
	char *fake, *other, *obj;
	t_run r;

	s = server_and_alice(dir, &a, NULL);
	t_person_send(&a, "general", "one");
	t_person_send(&a, "other", "one");
	t_person_sync_ok(&a, s);
	fake = forge(s, t_person_ref(&a, "general"));
	t_mkdir(t_fmt("%s/objects/%.2s", a.store, fake));
	obj = t_fmt("%s/objects/%.2s/%s", a.store, fake, fake + 2);
	t_write_file(obj, "not zlib at all", 15);
	other = t_person_send(&a, "other", "two");

	r = t_person_sync(&a, "--no-fetch", s, NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, t_fmt("%s was not pushed", t_person_ref(&a, "general"))),
	          "%s", r.err);
	cr_assert(!t_contains(r.out, "failed"), "%s", r.out);
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(s, t_person_ref(&a, "other")), other);
}

static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* follow syncs every interval: a log of ours that cannot be pushed is
 * warned about once (not at every sync), and again when it changes. */
Test(sync_blocked, follow_warns_once_per_blocked_log_and_again_on_change, .timeout = 60)
{
	char *dir = t_scratch_copy(), *s, *err = t_path(dir, "follow.err");
	t_person a;
	char *ref, *fake, *fake2, *text;
	t_run r;

	s = server_and_alice(dir, &a, &ref);
	t_person_send(&a, "general", "one");
	t_person_sync_ok(&a, s);
	free(t_git_out(a.store, "remote add origin '%s'", s));
	fake = forge(s, ref);
	/* a second forgery, on top of the first, to move the server's ref to */
	fake2 = t_git_out(s, "commit-tree '%s^{tree}' -p %s -m 'FORGED again'", ref, fake);
	fake2[40] = '\0';

	r = t_sh("GIT_DIR='%s' GIT_CHAT_KEY='%s' '%s' follow -r general --interval 0.2 -n 0 "
	         "--no-mark-read --color=never >/dev/null 2>'%s' & pid=$!; sleep 2; "
	         "git --git-dir='%s' update-ref '%s' %s; sleep 2; kill -TERM $pid; wait $pid",
	         a.store, a.key, GITCHAT_BIN, err, s, ref, fake2);
	text = t_read_file(err, NULL);
	cr_assert_eq(r.status, 0, "%s\nfollow: %s", r.err, text);
	t_run_free(&r);
	cr_assert_eq(occurrences(text, "is not pushed"), 2, "%s", text);
	cr_assert_eq(occurrences(text, t_fmt("%s is not pushed: the remote's copy, at %s, "
	                                                "is not valid (it is not signed)", ref, fake)),
	             1, "%s", text);
	cr_assert_eq(occurrences(text, t_fmt("at %s, is not valid", fake2)), 1, "%s",
	             text);
}
