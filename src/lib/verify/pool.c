#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "message/commit.h"
#include "util/error.h"
#include "verify/pool.h"

#define POOL_MAX_THREADS 16
/* A job's buffer over this is given back after use, so that one long
 * commit does not keep its size for the rest of the walk. */
#define POOL_KEEP_BYTES 8192

enum { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

typedef struct {
	gitchat_buf bytes;
	verify_pool_result res;
	int state;
	size_t prev, next;       /* submission order, for verify_pool_oldest */
} pool_job;

#define NIL ((size_t)-1)

struct verify_pool {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	pthread_t threads[POOL_MAX_THREADS];
	size_t nthreads;
	pool_job *jobs;
	size_t njobs;
	size_t *queue, qhead, qlen;   /* ring of queued slots, for the workers */
	size_t *freed, nfree;         /* free slots */
	size_t first, last;           /* submitted, not collected: oldest, newest */
	int stop;
	const char *room;
	const gitchat_limits *limits;
};

/* One commit on its own, as check_self in walk.c does it. */
static void check_job(verify_pool *p, pool_job *j)
{
	gitchat_commit c;
	gitchat_pubkey signer;
	int error;

	j->res.reason = NULL;
	if ((error = gitchat_commit_parse(&c, j->bytes.ptr, j->bytes.size)) < 0) {
		/* The walk parsed these bytes already: only memory can fail here. */
		j->res.status = error == GITCHAT_ENOMEM ? error : GITCHAT_ERROR;
		return;
	}
	error = gitchat_commit_check(&signer, &c, NULL, p->room, p->limits);
	gitchat_commit_dispose(&c);
	if (error == 0 || error == GITCHAT_ENOMEM) {
		j->res.status = error;
		return;
	}
	/* Every other failure is the commit's (check_self's rule). */
	if (!(j->res.reason = strdup(gitchat_error_last()->message))) {
		j->res.status = GITCHAT_ENOMEM;
		return;
	}
	j->res.status = GITCHAT_EVERIFY;
}

static void *worker(void *arg)
{
	verify_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		pool_job *j;
		while (!p->stop && !p->qlen)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->stop)
			break;
		j = &p->jobs[p->queue[p->qhead]];
		p->qhead = (p->qhead + 1) % p->njobs;
		p->qlen--;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&p->lock);
		check_job(p, j);
		gitchat_error_clear();
		pthread_mutex_lock(&p->lock);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

size_t verify_pool_threads(git_repository *repo)
{
	git_config *cfg = NULL;
	int64_t v = 0;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (repo && git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_int64(&v, cfg, "chat.verifyThreads") == 0 && v > 0)
		n = v > POOL_MAX_THREADS ? POOL_MAX_THREADS : (long)v;
	git_config_free(cfg);
	git_error_clear();
	if (n < 1)
		return 1;
	return n > POOL_MAX_THREADS ? POOL_MAX_THREADS : (size_t)n;
}

int verify_pool_new(verify_pool **out, size_t threads, size_t slots, const char *room,
                    const gitchat_limits *limits)
{
	verify_pool *p = calloc(1, sizeof(*p));
	size_t i;

	*out = NULL;
	if (!p)
		return gitchat_error_oom();
	p->njobs = slots;
	p->room = room;
	p->limits = limits;
	p->first = p->last = NIL;
	if (!(p->jobs = calloc(slots, sizeof(*p->jobs))) ||
	    !(p->queue = calloc(slots, sizeof(*p->queue))) ||
	    !(p->freed = calloc(slots, sizeof(*p->freed)))) {
		free(p->jobs);
		free(p->queue);
		free(p->freed);
		free(p);
		return gitchat_error_oom();
	}
	for (i = 0; i < slots; i++)
		p->freed[p->nfree++] = slots - 1 - i;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	if (threads > POOL_MAX_THREADS)
		threads = POOL_MAX_THREADS;
	for (i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			break;
		p->nthreads++;
	}
	if (!p->nthreads) {
		verify_pool_free(p);
		return gitchat_error_set(GITCHAT_ERROR, "cannot start a thread to check signatures");
	}
	*out = p;
	return 0;
}

int verify_pool_full(const verify_pool *p)
{
	return p->nfree == 0;
}

int verify_pool_submit(verify_pool *p, size_t tag, const git_oid *id, gitchat_buf *bytes,
                       size_t *slot)
{
	pool_job *j;
	gitchat_buf spare;
	size_t s;

	if (!p->nfree)
		return gitchat_error_set(GITCHAT_ERROR, "internal: the signature pool is full");
	s = p->freed[--p->nfree];
	j = &p->jobs[s];
	/* The job's old buffer goes back to the caller, for its next read. */
	spare = j->bytes;
	j->bytes = *bytes;
	gitchat_buf_clear(&spare);
	*bytes = spare;
	j->res.tag = tag;
	j->res.id = *id;
	j->prev = p->last;
	j->next = NIL;
	if (p->last != NIL)
		p->jobs[p->last].next = s;
	else
		p->first = s;
	p->last = s;
	pthread_mutex_lock(&p->lock);
	j->state = JOB_QUEUED;
	p->queue[(p->qhead + p->qlen) % p->njobs] = s;
	p->qlen++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	*slot = s;
	return 0;
}

int verify_pool_ready(verify_pool *p, size_t slot)
{
	int ready;

	pthread_mutex_lock(&p->lock);
	ready = p->jobs[slot].state == JOB_DONE;
	pthread_mutex_unlock(&p->lock);
	return ready;
}

void verify_pool_retag(verify_pool *p, size_t slot, size_t tag)
{
	/* Workers write only the result's status and reason, other members
	 * than the tag; only the walk's thread reads or writes the tag. */
	p->jobs[slot].res.tag = tag;
}

size_t verify_pool_oldest(const verify_pool *p)
{
	return p->first;
}

void verify_pool_collect(verify_pool *p, size_t slot, verify_pool_result *out)
{
	pool_job *j = &p->jobs[slot];

	pthread_mutex_lock(&p->lock);
	while (j->state != JOB_DONE)
		pthread_cond_wait(&p->done, &p->lock);
	j->state = JOB_FREE;
	pthread_mutex_unlock(&p->lock);
	*out = j->res;
	j->res.reason = NULL;
	if (j->bytes.asize > POOL_KEEP_BYTES)
		gitchat_buf_dispose(&j->bytes);
	if (j->prev != NIL)
		p->jobs[j->prev].next = j->next;
	else
		p->first = j->next;
	if (j->next != NIL)
		p->jobs[j->next].prev = j->prev;
	else
		p->last = j->prev;
	p->freed[p->nfree++] = slot;
}

void verify_pool_free(verify_pool *p)
{
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	p->qlen = 0;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (i = 0; i < p->njobs; i++) {
		gitchat_buf_dispose(&p->jobs[i].bytes);
		free(p->jobs[i].res.reason);
	}
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	free(p->jobs);
	free(p->queue);
	free(p->freed);
	free(p);
}
