/* The sync thread: the follow engine (syncloop.c) with every remote,
 * every interval and at once after a send, on a store of its own (libgit2
 * objects are not shared between threads), so that the screen never waits
 * for the network. It tells the screen through a pipe the main loop polls,
 * and leaves what the status line shows under the lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui.h"

static void say(void *payload, int warning, const char *text)
{
	tui_sync *s = payload;

	(void)warning;
	pthread_mutex_lock(&s->lock);
	free(s->said);
	s->said = strdup(text);
	pthread_mutex_unlock(&s->lock);
}

/* What the round left, for the status line. */
static void publish(tui_sync *s, const cli_syncloop *sl)
{
	gitchat_buf failed = GITCHAT_BUF_INIT;

	for (size_t i = 0; i < sl->ndown; i++)
		gitchat_buf_printf(&failed, "%s%s%s%s", i ? "; " : "", sl->down[i].name,
		                   *sl->down[i].name ? ": " : "", sl->down[i].reason);
	pthread_mutex_lock(&s->lock);
	s->last = sl->last;
	s->remotes = sl->remotes;
	s->blocked = sl->nnp;
	s->forks = sl->forks;
	free(s->failed);
	s->failed = failed.size ? strdup(failed.ptr) : NULL;
	pthread_mutex_unlock(&s->lock);
	gitchat_buf_dispose(&failed);
	/* Full (EAGAIN) is fine: the screen has a wake-up pending. */
	(void)!write(s->wake[1], "s", 1);
}

/* Waits for the interval, a kick or the stop; 0 to stop. */
static int wait_turn(tui_sync *s)
{
	struct timespec ts;
	int go;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)s->interval;
	ts.tv_nsec += (long)((s->interval - (double)(time_t)s->interval) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stop && !s->now && !s->load_room)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) == ETIMEDOUT)
			break;
	s->now = 0;
	go = !s->stop;
	pthread_mutex_unlock(&s->lock);
	return go;
}

/* Orders the room the screen asked for (a message was just sent), so that
 * the screen's own load finds the index up to date and reads nothing. */
static void load_asked(tui_sync *s, gitchat_store *store)
{
	gitchat_conversation *conv = NULL;
	char *room;

	pthread_mutex_lock(&s->lock);
	room = s->load_room;
	s->load_room = NULL;
	pthread_mutex_unlock(&s->lock);
	if (!room)
		return;
	if (gitchat_conversation_load(&conv, store, room, NULL) < 0)
		gitchat_error_clear();   /* the screen's load says what is wrong */
	gitchat_conversation_free(conv);
	free(room);
	pthread_mutex_lock(&s->lock);
	s->loading = s->load_room != NULL;
	pthread_mutex_unlock(&s->lock);
	(void)!write(s->wake[1], "l", 1);
}

/* After a round that brought messages: every room ordered here, off the
 * screen's thread. */
static void load_all(gitchat_store *store)
{
	git_strarray rooms = { NULL, 0 };

	if (gitchat_room_list(&rooms, store) < 0) {
		gitchat_error_clear();
		return;
	}
	for (size_t i = 0; i < rooms.count; i++) {
		gitchat_conversation *conv = NULL;
		if (gitchat_conversation_load(&conv, store, rooms.strings[i], NULL) < 0)
			gitchat_error_clear();
		gitchat_conversation_free(conv);
	}
	git_strarray_dispose(&rooms);
}

static void *run(void *arg)
{
	tui_sync *s = arg;
	gitchat_store *store = NULL;
	cli_syncloop sl;

	cli_syncloop_init(&sl, s->interval, say, s);
	if (gitchat_store_open(&store, s->gitdir) < 0) {
		say(s, 1, gitchat_error_last()->message);
		pthread_mutex_lock(&s->lock);
		s->dead = 1;
		s->loading = 0;
		pthread_mutex_unlock(&s->lock);
		(void)!write(s->wake[1], "d", 1);
		return NULL;
	}
	do {
		load_asked(s, store);
		cli_syncloop_round(&sl, store, NULL, 0);
		if (sl.received)
			load_all(store);
		publish(s, &sl);
	} while (wait_turn(s));
	cli_syncloop_dispose(&sl);
	gitchat_store_free(store);
	return NULL;
}

int tui_sync_start(tui *t)
{
	tui_sync *s = &t->sync;

	if (pipe(s->wake) < 0 || fcntl(s->wake[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(s->wake[1], F_SETFL, O_NONBLOCK) < 0)
		return -1;
	fcntl(s->wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(s->wake[1], F_SETFD, FD_CLOEXEC);
	if (!(s->gitdir = strdup(git_repository_path(gitchat_store_repository(t->store)))))
		return -1;
	if (pthread_create(&s->thread, NULL, run, s) != 0)
		return -1;
	s->started = 1;
	return 0;
}

void tui_sync_kick(tui *t)
{
	if (!t->sync.started)
		return;
	pthread_mutex_lock(&t->sync.lock);
	t->sync.now = 1;
	pthread_cond_signal(&t->sync.cond);
	pthread_mutex_unlock(&t->sync.lock);
}

void tui_sync_load(tui *t, const char *room)
{
	char *copy = strdup(room);

	if (!t->sync.started || !copy) {
		free(copy);
		return;
	}
	pthread_mutex_lock(&t->sync.lock);
	if (t->sync.dead) {   /* nobody to load it: the screen's reload does */
		pthread_mutex_unlock(&t->sync.lock);
		free(copy);
		return;
	}
	free(t->sync.load_room);
	t->sync.load_room = copy;
	t->sync.loading = 1;
	pthread_cond_signal(&t->sync.cond);
	pthread_mutex_unlock(&t->sync.lock);
}

int tui_sync_alive(tui *t)
{
	int alive;

	if (!t->sync.started)
		return 0;
	pthread_mutex_lock(&t->sync.lock);
	alive = !t->sync.dead;
	pthread_mutex_unlock(&t->sync.lock);
	return alive;
}

int tui_sync_loading(tui *t)
{
	int loading;

	if (!t->sync.started)
		return 0;
	pthread_mutex_lock(&t->sync.lock);
	loading = t->sync.loading;
	pthread_mutex_unlock(&t->sync.lock);
	return loading;
}

/* Reads the pipe empty and shows what a round said. */
void tui_sync_drain(tui *t)
{
	char buf[64];
	char *said;

	while (read(t->sync.wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&t->sync.lock);
	said = t->sync.said;
	t->sync.said = NULL;
	pthread_mutex_unlock(&t->sync.lock);
	if (said)
		tui_notice(t, "%s", said);
	free(said);
	t->dirty = 1;
}

void tui_sync_stop(tui *t)
{
	tui_sync *s = &t->sync;

	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		s->started = 0;
	}
	if (s->wake[0] > 0) close(s->wake[0]);
	if (s->wake[1] > 0) close(s->wake[1]);
	free(s->gitdir);
	free(s->failed);
	free(s->said);
	free(s->load_room);
}
