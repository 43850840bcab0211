#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/oidmap.h"
#include "verify/pool.h"
#include "verify/precheck.h"

#define PRECHECK_SLOTS 1024

struct verify_precheck {
	gitchat_store *store;
	verify_pool *pool;
	int no_pool;                 /* one core, or the pool could not start */
	gitchat_oidmap pending;      /* in the pool: id -> slot */
	gitchat_oidmap passed;       /* checked, good on their own */
	git_oid slot_id[PRECHECK_SLOTS];
	gitchat_buf bytes;
};

int verify_precheck_new(verify_precheck **out, gitchat_store *store)
{
	verify_precheck *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return gitchat_error_oom();
	p->store = store;
	*out = p;
	return 0;
}

/* Waits for the slot's check; keeps a pass. */
static int collect(verify_precheck *p, size_t slot)
{
	verify_pool_result res;

	uint32_t was;

	verify_pool_collect(p->pool, slot, &res);
	free(res.reason);
	/* A cancelled check's slot may be collected after its id came again. */
	if (!gitchat_oidmap_get(&p->pending, &p->slot_id[slot], &was) || was != slot)
		return 0;
	gitchat_oidmap_remove(&p->pending, &p->slot_id[slot]);
	return res.status == 0 ? gitchat_oidmap_set(&p->passed, &p->slot_id[slot], 1) : 0;
}

static int pool_started(verify_precheck *p)
{
	git_repository *repo = gitchat_store_repository(p->store);
	size_t threads;

	if (p->pool || p->no_pool)
		return p->pool != NULL;
	threads = verify_pool_threads(repo);
	if (threads < 2 || verify_pool_new(&p->pool, threads - 1, PRECHECK_SLOTS, NULL,
	                                    gitchat_store_limits(p->store)) < 0) {
		gitchat_error_clear();
		p->no_pool = 1;
	}
	return p->pool != NULL;
}

int verify_precheck_add(verify_precheck *p, const git_oid *id, const char *bytes, size_t len)
{
	size_t slot;
	int error;

	if (p->pending.size + p->passed.size >= VERIFY_PRECHECK_MAX || !pool_started(p) ||
	    gitchat_oidmap_get(&p->pending, id, NULL) || gitchat_oidmap_get(&p->passed, id, NULL))
		return 0;
	if (verify_pool_full(p->pool) && (error = collect(p, verify_pool_oldest(p->pool))) < 0)
		return error;
	gitchat_buf_clear(&p->bytes);
	if ((error = gitchat_buf_put(&p->bytes, bytes, len)) < 0 ||
	    (error = verify_pool_submit(p->pool, 0, &p->bytes, &slot)) < 0)
		return error;
	p->slot_id[slot] = *id;
	return gitchat_oidmap_set(&p->pending, id, (uint32_t)slot);
}

int verify_precheck_take(verify_precheck *p, const git_oid *id)
{
	uint32_t slot;

	if (!p)
		return 0;
	if (gitchat_oidmap_get(&p->pending, id, &slot)) {
		/* Not started yet: the walk checks it now, on all its workers,
		 * rather than wait for this pool's queue to reach it. */
		if (!verify_pool_ready(p->pool, slot) && verify_pool_cancel(p->pool, slot)) {
			gitchat_oidmap_remove(&p->pending, id);
			return 0;
		}
		if (collect(p, slot) < 0) {
			gitchat_error_clear();   /* out of memory keeping it: the walk checks it */
			return 0;
		}
	}
	return gitchat_oidmap_remove(&p->passed, id);
}

void verify_precheck_free(verify_precheck *p)
{
	if (!p)
		return;
	verify_pool_free(p->pool);
	gitchat_oidmap_dispose(&p->pending);
	gitchat_oidmap_dispose(&p->passed);
	gitchat_buf_dispose(&p->bytes);
	free(p);
}
