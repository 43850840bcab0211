/*
 * A writer killed while it held a ref's lock (issue 14; the soak found it:
 * `send` retried for ever). git-chat holds a ref lock for milliseconds, and
 * only between gitchat_store_refs_hold and _release: when no git-chat is
 * inside that span, a `<ref>.lock` left behind is stale, and the next send
 * or sync removes it and goes on.
 */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "testsync.h"

static char *leave_lock(const t_person *p, const char *room)
{
	char *lock = t_fmt("%s/%s.lock", p->store, t_person_ref(p, room));
	t_write_file(lock, "0000000000000000000000000000000000000000\n", 41);
	return lock;
}

Test(stale_lock, send_goes_on_after_a_writer_killed_holding_the_ref_lock, .timeout = 60)
{
	char *dir = t_scratch_copy(), *lock;
	struct timespec t0, t1;
	t_person a;

	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "before the crash");
	lock = leave_lock(&a, "general");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t_person_send(&a, "general", "after the crash");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 10, "send waited on a dead writer's lock");
	cr_assert_neq(access(lock, F_OK), 0, "the stale lock is gone");
	cr_assert_eq(t_count_lines(t_person_log_json(&a, "general")), 2);
}

Test(stale_lock, sync_goes_on_after_a_writer_killed_holding_the_ref_lock, .timeout = 60)
{
	char *dir = t_scratch_copy(), *stick = t_path(dir, "stick.git"), *lock;
	t_person a, b;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_send(&a, "general", "one");
	t_person_sync_ok(&a, stick);
	t_person_sync_ok(&b, stick);
	t_person_send(&a, "general", "two");
	t_person_sync_ok(&a, stick);
	/* Bob's copy of Alice's log was being fast-forwarded when he was killed */
	lock = t_fmt("%s/%s.lock", b.store, t_person_ref(&a, "general"));
	t_write_file(lock, "x\n", 2);
	t_person_sync_ok(&b, stick);
	cr_assert_neq(access(lock, F_OK), 0, "the stale lock is gone");
	cr_assert_eq(t_count_lines(t_person_log_json(&b, "general")), 2);
}
