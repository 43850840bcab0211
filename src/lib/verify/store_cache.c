/* The verification cache of each store object, kept by the store for
 * verify/ without the store knowing what it is (store/state.h). */
#include "store/state.h"
#include "verify/cache.h"

static const char cache_key;   /* its address names our state in the store */

static void cache_free(void *state, git_repository *repo)
{
	(void)repo;
	gitchat_verify_cache_free(state);
}

static int cache_set(gitchat_verify_cache **out, gitchat_store *store, int memory)
{
	gitchat_verify_cache *cache = NULL;
	int error;

	error = memory ? gitchat_verify_cache_open_memory(&cache, gitchat_store_limits(store))
	               : gitchat_verify_cache_open(&cache, gitchat_store_repository(store),
	                                           gitchat_store_limits(store));
	if (error < 0 || (error = gitchat_store_state_set(store, &cache_key, cache, cache_free)) < 0)
		return error;
	if (out)
		*out = cache;
	return 0;
}

int gitchat_verify_cache_of(gitchat_verify_cache **out, gitchat_store *store)
{
	if ((*out = gitchat_store_state(store, &cache_key)) != NULL)
		return 0;
	return cache_set(out, store, 0);
}

int gitchat_verify_cache_use_memory(gitchat_store *store)
{
	return cache_set(NULL, store, 1);
}
