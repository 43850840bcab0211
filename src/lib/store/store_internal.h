/* Internal: the store object. */
#ifndef GITCHAT_STORE_INTERNAL_H
#define GITCHAT_STORE_INTERNAL_H

#include "gitchat/store.h"
#include "verify/cache.h"

struct gitchat_store {
	git_repository *repo;
	int owns_repo;
	gitchat_limits limits;
	gitchat_verify_cache *cache;   /* lazily created */
	/* What the last gitchat_send through this object wrote and saw
	 * (message/parents.c); NULL before the first. */
	struct gitchat_send_memo *memo;
};

/* The verification cache of the store, created on first use. */
int gitchat_store_cache(gitchat_verify_cache **out, gitchat_store *store);

#endif
