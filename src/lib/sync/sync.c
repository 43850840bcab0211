#include <stdlib.h>
#include <string.h>

#include "sync/sync_internal.h"
#include "util/error.h"

struct gitchat_sync_result {
	sync_result_entry *v;
	size_t n;
};

int sync_emit(sync_remote *r, gitchat_sync_event *ev)
{
	ev->remote = r->name ? r->name : r->arg;
	ev->url = r->url ? r->url : r->arg;
	if (!r->cancelled && r->opts->event_cb && r->opts->event_cb(ev, r->opts->payload) != 0)
		r->cancelled = 1;
	return r->cancelled ? gitchat_error_set(GITCHAT_ERROR, "cancelled by the caller") : 0;
}

int sync_progress(sync_remote *r, gitchat_sync_progress *p)
{
	p->remote = r->name;
	if (r->cancelled)
		return -1;
	if (r->opts->progress_cb && r->opts->progress_cb(p, r->opts->payload) != 0) {
		r->cancelled = 1;
		return -1;
	}
	return 0;
}

int sync_room_wanted(const sync_remote *r, const char *room)
{
	if (!r->rooms)
		return 1;
	for (size_t i = 0; i < r->nrooms; i++)
		if (!strcmp(r->rooms[i], room))
			return 1;
	return 0;
}

void sync_result_count_room(sync_remote *r, const char *room, size_t count,
                            const size_t kinds[4])
{
	sync_result_entry *e = r->res;
	size_t i;
	gitchat_sync_room_count *nr;
	char **nn;

	e->pub.received += count;
	for (i = 0; i < 4; i++)
		e->pub.received_kinds[i] += kinds[i];
	for (i = 0; i < e->nrooms; i++)
		if (!strcmp(e->room_names[i], room)) {
			e->rooms[i].count += count;
			return;
		}
	if (!(nr = realloc(e->rooms, (e->nrooms + 1) * sizeof(*nr))))
		return;
	e->rooms = nr;
	if (!(nn = realloc(e->room_names, (e->nrooms + 1) * sizeof(*nn))))
		return;
	e->room_names = nn;
	if (!(nn[e->nrooms] = strdup(room)))
		return;
	nr[e->nrooms].room = nn[e->nrooms];
	nr[e->nrooms].count = count;
	e->nrooms++;
}

static int room_cmp(const void *a, const void *b)
{
	return strcmp(((const gitchat_sync_room_count *)a)->room,
	              ((const gitchat_sync_room_count *)b)->room);
}

/* --- rooms ------------------------------------------------------------ */

typedef struct {
	char **v;
	size_t n;
} room_list;

static void rooms_dispose(room_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int rooms_add(room_list *l, const char *room, size_t len, const char *where)
{
	char *name, **nv;
	size_t i;
	int error;

	if (!(name = strndup(room, len)))
		return gitchat_error_oom();
	if ((error = gitchat_room_validate(name)) < 0) {
		error = gitchat_error_set(GITCHAT_EINVALID, "%s: %s", where, gitchat_error_last()->message);
		free(name);
		return error;
	}
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], name)) {
			free(name);
			return 0;
		}
	if (!(nv = realloc(l->v, (l->n + 1) * sizeof(*nv)))) {
		free(name);
		return gitchat_error_oom();
	}
	l->v = nv;
	l->v[l->n++] = name;
	return 0;
}

/* git config chat.rooms: several values, each a list separated by spaces
 * or commas. *found = 0 when unset. */
static int rooms_from_config(room_list *l, git_repository *repo, int *found)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	int error;

	*found = 0;
	if ((error = git_repository_config_snapshot(&cfg, repo)) < 0)
		return gitchat_error_from_git(error, "cannot read the git config");
	if ((error = git_config_multivar_iterator_new(&it, cfg, "chat.rooms", NULL)) < 0) {
		error = gitchat_error_from_git(error, "cannot read chat.rooms");
		goto done;
	}
	while ((error = git_config_next(&entry, it)) == 0) {
		const char *p = entry->value;
		*found = 1;
		while (p && *p) {
			size_t len;
			p += strspn(p, " \t,");
			len = strcspn(p, " \t,");
			if (len && (error = rooms_add(l, p, len, "git config chat.rooms")) < 0)
				goto done;
			p += len;
		}
	}
	error = error == GIT_ITEROVER ? 0 : gitchat_error_from_git(error, "cannot read chat.rooms");
done:
	git_config_iterator_free(it);
	git_config_free(cfg);
	return error;
}

/* --- the run ---------------------------------------------------------- */

static void remote_failed(sync_remote *r, const char *reason)
{
	gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_REMOTE_FAILED };
	sync_result_entry *e = r->res;
	int was_cancelled = r->cancelled;

	e->pub.failed = 1;
	free(e->error);
	e->error = strdup(reason);
	e->pub.error = e->error ? e->error : "failed";
	ev.reason = e->pub.error;
	r->cancelled = 0;   /* the failure itself is always told */
	sync_emit(r, &ev);
	r->cancelled = was_cancelled;
}

static void sync_one(sync_remote *r, const char *arg)
{
	sync_result_entry *e = r->res;
	int error = 0, fetched = 0;

	if ((error = sync_remote_resolve(r, arg)) < 0)
		goto done;
	if (!(r->opts->flags & GITCHAT_SYNC_NO_FETCH)) {
		if ((error = sync_fetch_phase(r)) < 0)
			goto done;
		fetched = 1;
	}
	if (!(r->opts->flags & GITCHAT_SYNC_NO_PUSH) && !r->cancelled)
		error = sync_push_phase(r, fetched);
	if (error == 0 && r->cancelled)
		error = gitchat_error_set(GITCHAT_ERROR, "cancelled by the caller");
done:
	e->name = strdup(r->name ? r->name : arg);
	e->url = strdup(r->url ? r->url : arg);
	e->pub.name = e->name ? e->name : "";
	e->pub.url = e->url ? e->url : "";
	e->pub.created = r->created;
	if (error < 0)
		remote_failed(r, gitchat_error_last()->message[0] ? gitchat_error_last()->message
		                                                  : "failed");
	if (e->nrooms)
		qsort(e->rooms, e->nrooms, sizeof(*e->rooms), room_cmp);
	e->pub.rooms = e->rooms;
	e->pub.rooms_count = e->nrooms;
}

int gitchat_sync(gitchat_sync_result **out, gitchat_store *store, const char *const *remotes,
                 size_t count, const gitchat_sync_options *opts)
{
	gitchat_sync_options defaults = GITCHAT_SYNC_OPTIONS_INIT;
	gitchat_sync_result *res = NULL;
	git_repository *repo = gitchat_store_repository(store);
	git_strarray configured = { NULL, 0 };
	room_list rooms = { 0 };
	const char *const *args = remotes;
	size_t i;
	int error, have_rooms = 0;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->version != GITCHAT_SYNC_OPTIONS_VERSION)
		return gitchat_error_set(GITCHAT_EINVALID, "gitchat_sync: unknown options version %u",
		                         opts->version);
	if (opts->rooms) {
		for (i = 0; i < opts->rooms_count; i++)
			if ((error = rooms_add(&rooms, opts->rooms[i], strlen(opts->rooms[i]),
			                       "the rooms to sync")) < 0)
				goto done;
		have_rooms = 1;
	} else if ((error = rooms_from_config(&rooms, repo, &have_rooms)) < 0) {
		goto done;
	}
	if (!count) {
		if ((error = sync_remote_list_configured(&configured, repo)) < 0)
			goto done;
		if (!configured.count) {
			error = gitchat_error_set(GITCHAT_EINVALID,
				"no remote to sync with: name one (a remote, a URL or a path), or add one "
				"with 'git chat remote add NAME URL'");
			goto done;
		}
		args = (const char *const *)configured.strings;
		count = configured.count;
	}
	if (!(res = calloc(1, sizeof(*res))) || !(res->v = calloc(count, sizeof(*res->v)))) {
		error = gitchat_error_oom();
		goto done;
	}
	res->n = count;
	for (i = 0; i < count; i++) {
		sync_remote r;
		memset(&r, 0, sizeof(r));
		r.store = store;
		r.repo = repo;
		r.opts = opts;
		r.rooms = have_rooms ? (const char *const *)rooms.v : NULL;
		r.nrooms = rooms.n;
		r.res = &res->v[i];
		sync_one(&r, args[i]);
		sync_remote_dispose(&r);
	}
	gitchat_error_clear();
	*out = res;
	res = NULL;
	error = 0;
done:
	gitchat_sync_result_free(res);
	git_strarray_dispose(&configured);
	rooms_dispose(&rooms);
	return error;
}

size_t gitchat_sync_result_count(const gitchat_sync_result *result)
{
	return result ? result->n : 0;
}

const gitchat_sync_remote_result *gitchat_sync_result_get(const gitchat_sync_result *result,
                                                          size_t i)
{
	return result && i < result->n ? &result->v[i].pub : NULL;
}

size_t gitchat_sync_result_problems(const gitchat_sync_result *result)
{
	size_t n = 0;

	for (size_t i = 0; result && i < result->n; i++)
		n += (size_t)result->v[i].pub.failed + result->v[i].pub.rejected +
		     result->v[i].pub.declined + result->v[i].blocked_invalid;
	return n;
}

void gitchat_sync_result_free(gitchat_sync_result *result)
{
	size_t i, k;

	if (!result)
		return;
	for (i = 0; i < result->n; i++) {
		sync_result_entry *e = &result->v[i];
		free(e->name);
		free(e->url);
		free(e->error);
		for (k = 0; k < e->nrooms; k++)
			free(e->room_names[k]);
		free(e->room_names);
		free(e->rooms);
	}
	free(result->v);
	free(result);
}
