/*
 * gitchat_sync: the orchestrator. For each remote: what the argument names
 * (remote.h), a connection (transport.h for the network, local.h for a
 * path), the fetch half (accept.h), the push half (push.h), and the
 * result (report.h). The parts below never call back up here:
 *
 *   sync.c -> remote.c (url.c)
 *          -> transport.c -> creds.c, knownhosts.c, tls.c (url.c)
 *          -> local.c -> pack.c
 *          -> accept.c         -> conn.h (the connection, through its ops)
 *          -> push.c -> blocked.c
 *   every part -> report.c, heads.c (the bottom)
 */
#include <stdlib.h>
#include <string.h>

#include "sync/accept.h"
#include "sync/local.h"
#include "sync/push.h"
#include "sync/remote.h"
#include "sync/report.h"
#include "sync/transport.h"
#include "util/error.h"
#include "util/options.h"

struct gitchat_sync_result {
	sync_result_entry *v;
	size_t n;
};

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

static void remote_failed(sync_report *rep, const char *reason)
{
	gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_REMOTE_FAILED };
	sync_result_entry *e = rep->res;
	int was_cancelled = rep->cancelled;

	e->pub.failed = 1;
	free(e->error);
	e->error = strdup(reason);
	e->pub.error = e->error ? e->error : "failed";
	ev.reason = e->pub.error;
	rep->cancelled = 0;   /* the failure itself is always told */
	sync_report_emit(rep, &ev);
	rep->cancelled = was_cancelled;
}

static int conn_open(sync_conn **out, git_repository *repo, const sync_target *t,
                     sync_report *rep)
{
	return t->local ? sync_local_new(out, repo, t->url, rep)
	                : sync_transport_new(out, repo, t, rep);
}

/* One remote: what the argument names, a connection to it, the fetch half,
 * the push half; the outcome into `e`. */
static void sync_one(sync_result_entry *e, gitchat_store *store, const sync_rooms *rooms,
                     const gitchat_sync_options *opts, const char *arg)
{
	sync_target t;
	sync_report rep = { opts, arg, arg, 0, e };
	sync_job job = { store, gitchat_store_repository(store), NULL, *rooms, &rep, NULL };
	int error = 0, fetched = 0;

	memset(&t, 0, sizeof(t));
	error = sync_target_resolve(&t, job.repo, arg);
	rep.remote = t.name ? t.name : arg;
	rep.url = t.url ? t.url : arg;
	job.name = t.name;
	if (error < 0 || (error = conn_open(&job.conn, job.repo, &t, &rep)) < 0)
		goto done;
	if (!(opts->flags & GITCHAT_SYNC_NO_FETCH)) {
		if ((error = sync_accept_fetch(&job)) < 0)
			goto done;
		fetched = 1;
	}
	if (!(opts->flags & GITCHAT_SYNC_NO_PUSH) && !rep.cancelled)
		error = sync_push_logs(&job, fetched);
	if (error == 0 && rep.cancelled)
		error = sync_report_cancelled_error();
done:
	e->name = strdup(rep.remote);
	e->url = strdup(rep.url);
	e->pub.name = e->name ? e->name : "";
	e->pub.url = e->url ? e->url : "";
	e->pub.created = job.conn ? job.conn->created : 0;
	if (error < 0)
		remote_failed(&rep, gitchat_error_last()->message[0] ? gitchat_error_last()->message
		                                                     : "failed");
	if (e->nrooms)
		qsort(e->rooms, e->nrooms, sizeof(*e->rooms), room_cmp);
	e->pub.rooms = e->rooms;
	e->pub.rooms_count = e->nrooms;
	if (job.conn)
		job.conn->ops->free(job.conn);
	sync_target_dispose(&t);
}

int gitchat_sync(gitchat_sync_result **out, gitchat_store *store, const char *const *remotes,
                 size_t count, const gitchat_sync_options *opts)
{
	gitchat_sync_options defaults = GITCHAT_SYNC_OPTIONS_INIT;
	gitchat_sync_result *res = NULL;
	git_repository *repo = gitchat_store_repository(store);
	git_strarray configured = { NULL, 0 };
	room_list rooms = { 0 };
	sync_rooms filter;
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
	/* Profiles and device links go with every room: a reader of the rooms
	 * asked for needs them to show their authors (docs/sync.md). The room
	 * is small, so all of it, not only the logs of those rooms' authors. */
	if (have_rooms && (error = rooms_add(&rooms, GITCHAT_IDENTITY_ROOM,
	                                     strlen(GITCHAT_IDENTITY_ROOM), "the rooms to sync")) < 0)
		goto done;
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
	filter.v = have_rooms ? (const char *const *)rooms.v : NULL;
	filter.n = rooms.n;
	for (i = 0; i < count; i++)
		sync_one(&res->v[i], store, &filter, opts, args[i]);
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
	if (!result)
		return;
	for (size_t i = 0; i < result->n; i++)
		sync_result_entry_dispose(&result->v[i]);
	free(result->v);
	free(result);
}

GITCHAT_OPTIONS_INIT_FUNCTION(gitchat_sync_options_init, gitchat_sync_options, GITCHAT_SYNC_OPTIONS_INIT, GITCHAT_SYNC_OPTIONS_VERSION)
