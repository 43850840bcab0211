#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/state.h"
#include "util/error.h"

typedef struct {
	const void *key;
	void *state;
	gitchat_store_state_free_fn free_fn;
} store_state;

struct gitchat_store {
	git_repository *repo;
	int owns_repo;
	gitchat_limits limits;
	/* What modules above keep per store object (store/state.h); a few. */
	store_state *states;
	size_t nstates;
};

static int read_limit(git_config *cfg, const char *name, size_t *out)
{
	int64_t v;
	int error = git_config_get_int64(&v, cfg, name);

	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0)
		return gitchat_error_from_git(error, "git config '%s' is not a number", name);
	if (v <= 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"git config '%s' must be a positive size, not %lld", name, (long long)v);
	/* The caches record the limits as 32-bit numbers. */
	if (v > (int64_t)UINT32_MAX)
		return gitchat_error_set(GITCHAT_EINVALID,
			"git config '%s' is %lld, over the largest limit (4294967295)", name,
			(long long)v);
	*out = (size_t)v;
	return 0;
}

static int store_load_config(gitchat_store *store)
{
	git_config *cfg = NULL;
	int error;

	store->limits.max_text = GITCHAT_DEFAULT_MAX_TEXT;
	store->limits.max_tree = GITCHAT_DEFAULT_MAX_TREE;
	store->limits.max_parents = GITCHAT_MAX_OTHER_PARENTS + 1;
	store->limits.max_file = GITCHAT_DEFAULT_MAX_FILE;
	if ((error = git_repository_config_snapshot(&cfg, store->repo)) < 0)
		return gitchat_error_from_git(error, "cannot read the git config of the store");
	if ((error = read_limit(cfg, "chat.maxMessageBytes", &store->limits.max_text)) == 0)
		error = read_limit(cfg, "chat.maxTreeBytes", &store->limits.max_tree);
	if (error == 0)
		error = read_limit(cfg, "chat.maxFileBytes", &store->limits.max_file);
	git_config_free(cfg);
	return error;
}

static int store_new(gitchat_store **out, git_repository *repo, int owns)
{
	gitchat_store *store = calloc(1, sizeof(*store));
	int error;

	*out = NULL;
	if (!store) {
		if (owns)
			git_repository_free(repo);
		return gitchat_error_oom();
	}
	store->repo = repo;
	store->owns_repo = owns;
	if ((error = store_load_config(store)) < 0) {
		gitchat_store_free(store);
		return error;
	}
	*out = store;
	return 0;
}

int gitchat_store_wrap(gitchat_store **out, git_repository *repo)
{
	return store_new(out, repo, 0);
}

int gitchat_store_open(gitchat_store **out, const char *path)
{
	git_repository *repo = NULL;
	int error;

	*out = NULL;
	if (path)
		error = git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	else
		error = git_repository_open_ext(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	if (error == GIT_ENOTFOUND)
		return gitchat_error_set(GITCHAT_ENOTFOUND,
			"'%s' is not a git-chat store (no git repository there); create one with "
			"'git chat init DIR', or point GIT_DIR or 'git -C DIR chat' at one",
			path ? path : (getenv("GIT_DIR") ? getenv("GIT_DIR") : "."));
	if (error < 0)
		return gitchat_error_from_git(error, "cannot open the store '%s'",
		                              path ? path : ".");
	return store_new(out, repo, 1);
}

static int dir_state(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int empty = 1;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;   /* 0: absent */
	if (!S_ISDIR(st.st_mode))
		return 3;                          /* 3: not a directory */
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty ? 1 : 2;                  /* 1: empty dir, 2: non-empty */
}

int gitchat_store_init(gitchat_store **out, const char *path)
{
	git_repository *repo = NULL;
	int state, error;

	*out = NULL;
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0)
		return store_new(out, repo, 1);
	state = dir_state(path);
	if (state < 0)
		return gitchat_error_set(GITCHAT_EIO, "cannot read '%s': %s", path, strerror(errno));
	if (state == 3)
		return gitchat_error_set(GITCHAT_EEXISTS,
			"'%s' exists and is not a directory; choose another path for the store", path);
	if (state == 2)
		return gitchat_error_set(GITCHAT_EEXISTS,
			"'%s' is a non-empty directory that is not a git repository; "
			"choose an empty or new path for the store", path);
	if ((error = git_repository_init(&repo, path, 1)) < 0)
		return gitchat_error_from_git(error, "cannot create a store at '%s'", path);
	return store_new(out, repo, 1);
}

git_repository *gitchat_store_repository(gitchat_store *store)
{
	return store->repo;
}

const gitchat_limits *gitchat_store_limits(gitchat_store *store)
{
	return &store->limits;
}

void *gitchat_store_state(gitchat_store *store, const void *key)
{
	for (size_t i = 0; i < store->nstates; i++)
		if (store->states[i].key == key)
			return store->states[i].state;
	return NULL;
}

int gitchat_store_state_set(gitchat_store *store, const void *key, void *state,
                            gitchat_store_state_free_fn free_fn)
{
	store_state *s;
	size_t i;

	for (i = 0; i < store->nstates && store->states[i].key != key; i++)
		;
	if (i < store->nstates) {
		s = &store->states[i];
		if (s->state && s->state != state)
			s->free_fn(s->state, store->repo);
		s->state = state;
		s->free_fn = free_fn;
		return 0;
	}
	if (!(s = realloc(store->states, (store->nstates + 1) * sizeof(*s)))) {
		if (state)
			free_fn(state, store->repo);
		return gitchat_error_oom();
	}
	store->states = s;
	s[store->nstates].key = key;
	s[store->nstates].state = state;
	s[store->nstates].free_fn = free_fn;
	store->nstates++;
	return 0;
}

void gitchat_store_free(gitchat_store *store)
{
	/* The states write their caches on the way out, best effort, and clear
	 * the errors they meet: the caller's last error (freeing after a
	 * failure is the usual path) is kept. */
	char *saved;
	int code;

	if (!store)
		return;
	code = gitchat_error_last()->code;
	saved = code ? strdup(gitchat_error_last()->message) : NULL;
	while (store->nstates--) {
		store_state *s = &store->states[store->nstates];
		if (s->state)
			s->free_fn(s->state, store->repo);
	}
	free(store->states);
	if (store->owns_repo)
		git_repository_free(store->repo);
	free(store);
	if (code)
		gitchat_error_set(code, "%s", saved ? saved : "out of memory");
	free(saved);
}
