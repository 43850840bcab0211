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
};

/* The verification cache of the store, created on first use. */
int gitchat_store_cache(gitchat_verify_cache **out, gitchat_store *store);

#endif
