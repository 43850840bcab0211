/*
 * The sync library as `follow` uses it: events and progress through
 * callbacks, a result per remote, silence otherwise, repeated calls in one
 * process, clean failure when a remote is down, cancellation, bad options.
 */
#include <fcntl.h>
#include <unistd.h>
#include "testsync.h"

typedef struct {
	size_t received, updated, pushed, rejected, forks, failed, created;
	size_t recv_progress, send_progress, recv_done, send_done;
	size_t last_count, kinds[4];
	char last_room[65];
	int cancel_on_update;
} seen;

static int on_event(const gitchat_sync_event *e, void *payload)
{
	seen *s = payload;

	cr_assert(e->remote && e->url);
	switch (e->type) {
	case GITCHAT_SYNC_EVENT_RECEIVED:
		s->received++;
		s->last_count = e->count;
		for (int k = 0; k < 4; k++)
			s->kinds[k] += e->kinds[k];
		snprintf(s->last_room, sizeof(s->last_room), "%s", e->room);
		break;
	case GITCHAT_SYNC_EVENT_UPDATED:
		cr_assert(e->refname && e->commit && e->key && e->room);
		s->updated++;
		if (s->cancel_on_update)
			return 1;
		break;
	case GITCHAT_SYNC_EVENT_PUSHED: s->pushed++; break;
	case GITCHAT_SYNC_EVENT_REJECTED: s->rejected++; break;
	case GITCHAT_SYNC_EVENT_FORK: s->forks++; break;
	case GITCHAT_SYNC_EVENT_REMOTE_FAILED:
		cr_assert(e->reason && *e->reason);
		s->failed++;
		break;
	case GITCHAT_SYNC_EVENT_CREATED: s->created++; break;
	default: break;
	}
	return 0;
}

static int on_progress(const gitchat_sync_progress *p, void *payload)
{
	seen *s = payload;

	cr_assert(p->remote);
	if (p->direction == GITCHAT_SYNC_RECEIVING) {
		s->recv_progress++;
		s->recv_done += p->done;
	} else {
		s->send_progress++;
		s->send_done += p->done;
	}
	return 0;
}

static gitchat_store *open_store(const t_person *p)
{
	gitchat_store *s = NULL;
	t_lib_init();
	cr_assert_eq(gitchat_store_open(&s, p->store), 0, "%s", gitchat_error_last()->message);
	return s;
}

Test(sync_api, events_progress_and_result)
{
	char *dir = t_scratch_copy(), *stick = t_path(dir, "stick.git");
	t_person a, b;
	gitchat_store *sb;
	gitchat_sync_options o = GITCHAT_SYNC_OPTIONS_INIT;
	gitchat_sync_result *res = NULL;
	const gitchat_sync_remote_result *rr;
	const char *remotes[] = { stick };
	seen s = { 0 };

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	for (int i = 0; i < 3; i++)
		t_person_send(&a, "general", "from A");
	t_person_send(&a, "random", "elsewhere");
	t_person_sync_ok(&a, stick);

	sb = open_store(&b);
	o.event_cb = on_event;
	o.progress_cb = on_progress;
	o.payload = &s;
	cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, &o), 0);
	cr_assert_eq(gitchat_sync_result_count(res), 1);
	rr = gitchat_sync_result_get(res, 0);
	cr_assert_null(gitchat_sync_result_get(res, 1));
	cr_assert_eq(rr->failed, 0);
	cr_assert_eq(rr->received, 4);
	/* the kinds come with the counts: four plain messages */
	cr_assert_eq(rr->received_kinds[GITCHAT_MESSAGE_TEXT], 4);
	cr_assert_eq(rr->received_kinds[GITCHAT_MESSAGE_EDIT] + rr->received_kinds[2] +
	             rr->received_kinds[3], 0);
	cr_assert_eq(s.kinds[GITCHAT_MESSAGE_TEXT], 4);
	cr_assert_eq(rr->rooms_count, 2);
	cr_assert_str_eq(rr->rooms[0].room, "general");
	cr_assert_eq(rr->rooms[0].count, 3);
	cr_assert_str_eq(rr->rooms[1].room, "random");
	cr_assert_eq(rr->updated, 2);
	cr_assert_eq(rr->pushed, 0);
	cr_assert_eq(strncmp(rr->name, "url-", 4), 0);
	cr_assert_str_eq(rr->url, stick);
	cr_assert_eq(gitchat_sync_result_problems(res), 0);
	cr_assert_eq(s.received, 2);
	cr_assert_eq(s.updated, 2);
	cr_assert(s.recv_progress >= 1 && s.recv_done == 1, "progress %zu/%zu",
	          s.recv_progress, s.recv_done);
	gitchat_sync_result_free(res);

	/* B answers: a push, with sending progress */
	t_person_send(&b, "general", "from B");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, &o), 0);
	rr = gitchat_sync_result_get(res, 0);
	cr_assert_eq(rr->pushed, 1);
	cr_assert_eq(rr->received, 0);
	cr_assert_eq(s.pushed, 1);
	cr_assert(s.send_done == 1, "sending progress done %zu", s.send_done);
	gitchat_sync_result_free(res);

	/* rooms filter and flags */
	t_person_send(&a, "general", "more");
	t_person_send(&a, "random", "more elsewhere");
	t_person_sync_ok(&a, stick);
	{
		const char *rooms[] = { "random" };
		o.rooms = rooms;
		o.rooms_count = 1;
		o.flags = GITCHAT_SYNC_NO_PUSH;
		cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, &o), 0);
		rr = gitchat_sync_result_get(res, 0);
		cr_assert_eq(rr->received, 1);
		cr_assert_str_eq(rr->rooms[0].room, "random");
		gitchat_sync_result_free(res);
		o.rooms = NULL;
		o.rooms_count = 0;
		o.flags = 0;
	}
	gitchat_store_free(sb);
}

Test(sync_api, repeated_calls_quiet_and_a_remote_down)
{
	char *dir = t_scratch_copy(), *stick = t_path(dir, "stick.git");
	char *out = t_path(dir, "captured"), *text;
	t_person a, b;
	gitchat_store *sb;
	gitchat_sync_result *res = NULL;
	const char *remotes[] = { "git://127.0.0.1:1/nothing.git", stick };
	int fd, saved1, saved2;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	sb = open_store(&b);
	/* a follow loop: the same store object, call after call */
	for (int round = 0; round < 4; round++) {
		char msg[32];
		snprintf(msg, sizeof(msg), "round %d", round);
		t_person_send(&a, "general", msg);
		t_person_sync_ok(&a, stick);
		fflush(stdout);
		fflush(stderr);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		saved1 = dup(1);
		saved2 = dup(2);
		dup2(fd, 1);
		dup2(fd, 2);
		cr_assert_eq(gitchat_sync(&res, sb, remotes, 2, NULL), 0);
		fflush(stdout);
		fflush(stderr);
		dup2(saved1, 1);
		dup2(saved2, 2);
		close(saved1);
		close(saved2);
		close(fd);
		text = t_read_file(out, NULL);
		cr_assert_str_eq(text, "", "the library printed: %s", text);
		free(text);
		cr_assert_eq(gitchat_sync_result_count(res), 2);
		cr_assert_eq(gitchat_sync_result_get(res, 0)->failed, 1);
		cr_assert(t_contains(gitchat_sync_result_get(res, 0)->error, "127.0.0.1:1"), "%s",
		          gitchat_sync_result_get(res, 0)->error);
		cr_assert_eq(gitchat_sync_result_get(res, 1)->failed, 0);
		cr_assert_eq(gitchat_sync_result_get(res, 1)->received, 1, "round %d", round);
		cr_assert_eq(gitchat_sync_result_problems(res), 1);
		gitchat_sync_result_free(res);
	}
	cr_assert_eq(t_count_lines(t_person_log_json(&b, "general")), 4);
	cr_assert_str_eq(t_refs(b.store, "refs/chat-quarantine"), "");
	gitchat_store_free(sb);
	t_store_sound(b.store);
}

Test(sync_api, cancel_and_bad_options)
{
	char *dir = t_scratch_copy(), *stick = t_path(dir, "stick.git");
	t_person a, b;
	gitchat_store *sb;
	gitchat_sync_options o = GITCHAT_SYNC_OPTIONS_INIT;
	gitchat_sync_result *res = NULL;
	const char *remotes[] = { stick };
	seen s = { 0 };

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_send(&a, "general", "one");
	t_person_send(&a, "random", "two");
	t_person_sync_ok(&a, stick);
	sb = open_store(&b);

	/* a callback that says stop: that remote fails as cancelled */
	s.cancel_on_update = 1;
	o.event_cb = on_event;
	o.payload = &s;
	cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, &o), 0);
	cr_assert_eq(gitchat_sync_result_get(res, 0)->failed, 1);
	cr_assert(t_contains(gitchat_sync_result_get(res, 0)->error, "cancelled"), "%s",
	          gitchat_sync_result_get(res, 0)->error);
	cr_assert_eq(s.updated, 1, "nothing after the cancel");
	cr_assert_eq(s.failed, 1);
	gitchat_sync_result_free(res);
	cr_assert_str_eq(t_refs(b.store, "refs/chat-quarantine"), "");
	cr_assert_eq(t_count_lines(t_refs(b.store, "refs/chat")), 1);
	t_store_sound(b.store);
	/* and the next sync completes */
	s.cancel_on_update = 0;
	cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, &o), 0);
	cr_assert_eq(gitchat_sync_result_problems(res), 0);
	gitchat_sync_result_free(res);
	cr_assert_eq(t_count_lines(t_refs(b.store, "refs/chat")), 2);

	/* usage errors: no result */
	o.version = 99;
	cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, &o), GITCHAT_EINVALID);
	cr_assert_null(res);
	o.version = GITCHAT_SYNC_OPTIONS_VERSION;
	{
		const char *rooms[] = { "Not/A Room" };
		o.rooms = rooms;
		o.rooms_count = 1;
		cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, &o), GITCHAT_EINVALID);
		cr_assert_null(res);
		o.rooms = NULL;
		o.rooms_count = 0;
	}
	cr_assert_eq(gitchat_sync(&res, sb, NULL, 0, &o), GITCHAT_EINVALID);
	cr_assert(t_contains(gitchat_error_last()->message, "git chat remote add"));
	cr_assert_null(res);
	gitchat_store_free(sb);
}

Test(sync_api, remote_names)
{
	char *dir = t_scratch_copy();
	t_person a;
	gitchat_store *sa;
	gitchat_buf n = GITCHAT_BUF_INIT, m = GITCHAT_BUF_INIT;

	t_person_init(&a, dir, "Alice");
	sa = open_store(&a);
	cr_assert_eq(gitchat_sync_remote_name(&n, sa, "git@example.org:team/chat.git"), 0);
	cr_assert_eq(strncmp(n.ptr, "url-", 4), 0);
	cr_assert_eq(gitchat_sync_remote_name(&m, sa, "ssh://git@example.org/team/chat.git/"), 0);
	cr_assert_str_neq(n.ptr, m.ptr);
	gitchat_buf_clear(&n);
	cr_assert_eq(gitchat_sync_remote_name(&n, sa, "ssh://git@example.org/team/chat.git"), 0);
	cr_assert_str_eq(n.ptr, m.ptr, "a trailing slash does not make another remote");
	free(t_git_out(a.store, "remote add team git@example.org:team/chat.git"));
	gitchat_buf_clear(&n);
	cr_assert_eq(gitchat_sync_remote_name(&n, sa, "git@example.org:team/chat.git"), 0);
	cr_assert_str_eq(n.ptr, "team");
	gitchat_buf_clear(&n);
	cr_assert_eq(gitchat_sync_remote_name(&n, sa, "team"), 0);
	cr_assert_str_eq(n.ptr, "team");
	gitchat_buf_dispose(&n);
	gitchat_buf_dispose(&m);
	gitchat_store_free(sa);
}
