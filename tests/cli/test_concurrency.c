/*
 * The ref update of `send` is a compare-and-swap: writers racing on the
 * same log all succeed and no message is lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define PER_WRITER 200

/* Runs `git chat send` PER_WRITER times in each of two processes at once;
 * writer w sends "w<w> <i>". */
static void race(const char *store, const char *key_a, const char *key_b)
{
	t_run r = t_sh(
		"go() { i=1; while [ $i -le %d ]; do "
		"GIT_DIR='%s' '%s' send --key \"$1\" -m \"w$2 $i\" > /dev/null || return 1; "
		"i=$((i + 1)); done; }; "
		"go '%s' 1 & a=$!; go '%s' 2 & b=$!; "
		"wait $a; ra=$?; wait $b; rb=$?; exit $((ra | rb))",
		PER_WRITER, store, GITCHAT_BIN, key_a, key_b);
	cr_assert_eq(r.status, 0, "a concurrent send failed: %s", r.err);
	t_run_free(&r);
}

/* The messages of writer w appear in the log in the order they were sent. */
static void assert_in_order(const char *log, int w, int count)
{
	char want[32];
	const char *p = log;
	for (int i = 1; i <= count; i++) {
		snprintf(want, sizeof(want), "\nw%d %d\n", w, i);
		p = strstr(p, want);
		cr_assert(p != NULL, "message 'w%d %d' is missing or out of order", w, i);
	}
}

static void assert_verify_clean(const char *store)
{
	const char *verify[] = { "verify", NULL };
	t_run r = t_chat(store, NULL, verify);
	cr_assert_eq(r.status, 0, "verify: %s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);
}

Test(concurrency, two_writers_one_log)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *ref = t_ref("general", key), *n, *log;

	race(store, key, key);

	n = t_git(store, "rev-list --count %s", ref);
	cr_assert_str_eq(n, "400", "messages in the log");
	n = t_git(store, "rev-list --first-parent --count %s", ref);
	cr_assert_str_eq(n, "400", "first-parent chain");
	n = t_git(store, "rev-list --max-parents=0 %s | wc -l", ref);
	cr_assert_str_eq(n, "1", "one root");
	n = t_git(store, "rev-list --min-parents=2 %s | wc -l", ref);
	cr_assert_str_eq(n, "0", "one writer: no merges");
	n = t_git(store, "log --format=%%B %s | grep . | sort | uniq -d | wc -l", ref);
	cr_assert_str_eq(n, "0", "a message was written twice");

	/* Each writer's messages are all there, in its order. */
	n = t_git(store, "log --reverse --format='%%n%%B' %s", ref);
	log = t_fmt("%s\n", n);   /* t_git drops the last newline */
	assert_in_order(log, 1, PER_WRITER);
	assert_in_order(log, 2, PER_WRITER);

	assert_verify_clean(store);
	const char *logargs[] = { "log", NULL };
	t_run r = t_chat(store, NULL, logargs);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(t_count_lines(r.out), 400);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);
	n = t_git(store, "for-each-ref --format='%%(refname)' | wc -l");
	cr_assert_str_eq(n, "1");
	t_run lock = t_sh("find '%s/refs' -name '*.lock' | wc -l", store);
	cr_assert_str_eq(lock.out, "0\n", "a lock file was left behind");
	t_run_free(&lock);
}
