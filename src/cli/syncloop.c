#include <stdlib.h>
#include <string.h>

#include "syncloop.h"

void cli_syncloop_init(cli_syncloop *s, double interval, cli_syncloop_say say, void *payload)
{
	memset(s, 0, sizeof(*s));
	s->interval = interval;
	s->say = say;
	s->payload = payload;
}

static void np_free(cli_syncloop_np *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].said);
	}
	free(v);
}

void cli_syncloop_dispose(cli_syncloop *s)
{
	for (size_t i = 0; i < s->ndown; i++) {
		free(s->down[i].name);
		free(s->down[i].reason);
	}
	free(s->down);
	np_free(s->np, s->nnp);
	memset(s, 0, sizeof(*s));
}

int cli_refs_signature(gitchat_buf *out, git_repository *repo, const char *room)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	char hex[GIT_OID_HEXSZ + 1];
	const char *globs[] = { "refs/chat/*", "refs/chat-remotes/*" };
	size_t i;

	gitchat_buf_clear(out);
	for (i = 0; i < 2; i++) {
		if (git_reference_iterator_glob_new(&it, repo, globs[i]) < 0)
			return -1;
		while (git_reference_next(&ref, it) == 0) {
			const char *name = git_reference_name(ref);
			const git_oid *id = git_reference_target(ref);
			gitchat_chatref parsed;
			/* A name that is not a log's is none of the room's. */
			if (gitchat_chatref_parse(&parsed, name) < 0)
				gitchat_error_clear();
			else if (id && (!room || !strcmp(parsed.room, room)))
				gitchat_buf_printf(out, "%s %s\n", name,
				                   git_oid_tostr(hex, sizeof(hex), id));
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	return 0;
}

int cli_syncloop_interval(double *out, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || end == s || !(v >= 0.05 && v <= 86400))
		return -1;
	*out = v;
	return 0;
}

static size_t down_find(const cli_syncloop *s, const char *name)
{
	size_t i;
	for (i = 0; i < s->ndown && strcmp(s->down[i].name, name); i++)
		;
	return i;
}

static size_t np_find(const cli_syncloop_np *v, size_t n, const char *key)
{
	size_t i;
	for (i = 0; i < n && strcmp(v[i].key, key); i++)
		;
	return i;
}

/* Appends a copy of key and said to *v; a line lost to OOM is only a
 * warning lost, never a reason to stop the sync. */
static void np_add(cli_syncloop_np **v, size_t *n, const char *key, const char *said)
{
	cli_syncloop_np *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return;
	*v = nv;
	nv[*n].key = strdup(key);
	nv[*n].said = strdup(said);
	if (nv[*n].key && nv[*n].said) {
		(*n)++;
	} else {
		free(nv[*n].key);
		free(nv[*n].said);
	}
}

typedef struct {
	cli_syncloop_np *v;
	size_t n;
} np_round;

static int describe_not_pushed(gitchat_buf *said, const gitchat_sync_event *e)
{
	char theirs[GIT_OID_HEXSZ + 1] = "-";

	if (e->old)
		git_oid_tostr(theirs, sizeof(theirs), e->old);
	if (e->type == GITCHAT_SYNC_EVENT_REMOTE_MESSAGE)
		return gitchat_buf_printf(said, "'%s': %s", e->remote, e->reason);
	return gitchat_buf_printf(
		said, "'%s': %s is not pushed: the remote's copy, at %s, %s%s%s%s; "
		"'git chat sync' tells more", e->remote, e->refname, theirs,
		e->blocked == GITCHAT_SYNC_BLOCKED_INVALID ? "is not valid (" :
		e->blocked == GITCHAT_SYNC_BLOCKED_FORK ? "is a fork" : "is not fetched yet",
		e->blocked == GITCHAT_SYNC_BLOCKED_INVALID && e->reason ? e->reason : "",
		e->blocked == GITCHAT_SYNC_BLOCKED_INVALID ? ")" : "",
		e->count ? (e->count == 1 ? ", and 1 new message waits here" :
		                            ", and new messages wait here") : "");
}

/* Collects this round's NOT_PUSHED events (and the notes of the library
 * about a log it could not tell why), with the line to say for each. */
static int on_event(const gitchat_sync_event *e, void *payload)
{
	np_round *round = payload;
	gitchat_buf key = GITCHAT_BUF_INIT, said = GITCHAT_BUF_INIT;

	if (e->type == GITCHAT_SYNC_EVENT_CONNECTING)
		cli_net_prepare(e->url);

	if (!(e->type == GITCHAT_SYNC_EVENT_NOT_PUSHED ||
	      (e->type == GITCHAT_SYNC_EVENT_REMOTE_MESSAGE && e->refname)))
		return 0;
	if (gitchat_buf_printf(&key, "%s\n%s", e->remote, e->refname) == 0 &&
	    describe_not_pushed(&said, e) == 0)
		np_add(&round->v, &round->n, key.ptr, said.ptr);
	gitchat_buf_dispose(&key);
	gitchat_buf_dispose(&said);
	return 0;
}

/* Whether the remote of an np key ("remote\nrefname") failed this round:
 * a remote that failed said nothing, so what is known of it stays. */
static int remote_failed(const gitchat_sync_result *res, const char *key)
{
	size_t rl = strcspn(key, "\n"), i;

	for (i = 0; i < gitchat_sync_result_count(res); i++) {
		const gitchat_sync_remote_result *r = gitchat_sync_result_get(res, i);
		if (r->failed && strlen(r->name) == rl && !strncmp(r->name, key, rl))
			return 1;
	}
	return 0;
}

/* Says each log not pushed that is new or changed since the last round;
 * forgets those of a remote that synced without them. */
static void update_not_pushed(cli_syncloop *s, np_round *round, const gitchat_sync_result *res)
{
	size_t i, k;

	for (i = 0; i < round->n; i++) {
		k = np_find(s->np, s->nnp, round->v[i].key);
		if (k < s->nnp && !strcmp(s->np[k].said, round->v[i].said))
			continue;
		s->say(s->payload, 1, round->v[i].said);
		if (k == s->nnp) {
			np_add(&s->np, &s->nnp, round->v[i].key, round->v[i].said);
		} else {
			char *said = strdup(round->v[i].said);
			if (said) {
				free(s->np[k].said);
				s->np[k].said = said;
			}
		}
	}
	for (k = 0; k < s->nnp;) {
		if (np_find(round->v, round->n, s->np[k].key) < round->n ||
		    remote_failed(res, s->np[k].key)) {
			k++;
			continue;
		}
		free(s->np[k].key);
		free(s->np[k].said);
		s->np[k] = s->np[--s->nnp];
	}
}

static void down_add(cli_syncloop *s, const char *name, const char *reason)
{
	cli_syncloop_down *nd = realloc(s->down, (s->ndown + 1) * sizeof(*nd));

	if (!nd)
		return;
	s->down = nd;
	nd[s->ndown].name = strdup(name);
	nd[s->ndown].reason = strdup(reason);
	if (nd[s->ndown].name && nd[s->ndown].reason) {
		s->ndown++;
	} else {
		free(nd[s->ndown].name);
		free(nd[s->ndown].reason);
	}
}

static void down_remove(cli_syncloop *s, size_t k)
{
	free(s->down[k].name);
	free(s->down[k].reason);
	s->down[k] = s->down[--s->ndown];
}

/* A remote down is said once, and once again when it is back. */
static void update_down(cli_syncloop *s, const gitchat_sync_result *res)
{
	gitchat_buf line = GITCHAT_BUF_INIT;
	size_t i, k;

	for (i = 0; i < gitchat_sync_result_count(res); i++) {
		const gitchat_sync_remote_result *r = gitchat_sync_result_get(res, i);
		const char *why = r->error ? r->error : "unknown error";
		s->forks += r->forks;
		s->received += r->received;
		k = down_find(s, r->name);
		gitchat_buf_clear(&line);
		if (r->failed && k == s->ndown) {
			gitchat_buf_printf(&line, "cannot sync with '%s' (%s); still following, "
			                   "trying again every %g s", r->name, why, s->interval);
			s->say(s->payload, 1, line.ptr ? line.ptr : why);
			down_add(s, r->name, why);
		} else if (!r->failed && k < s->ndown) {
			gitchat_buf_printf(&line, "'%s' is reachable again", r->name);
			s->say(s->payload, 0, line.ptr ? line.ptr : r->name);
			down_remove(s, k);
		}
	}
	gitchat_buf_dispose(&line);
}

int cli_syncloop_round(cli_syncloop *s, gitchat_store *store, const char **rooms, size_t n)
{
	gitchat_sync_options o = GITCHAT_SYNC_OPTIONS_INIT;
	gitchat_sync_result *res = NULL;
	git_strarray names = { NULL, 0 };
	np_round round = { NULL, 0 };
	gitchat_buf line = GITCHAT_BUF_INIT;

	s->forks = s->received = 0;
	if (git_remote_list(&names, gitchat_store_repository(store)) < 0 || !names.count) {
		git_strarray_dispose(&names);
		s->remotes = 0;
		s->last = time(NULL);
		return 0;   /* nothing to sync with: the local store is all there is */
	}
	s->remotes = (int)names.count;
	git_strarray_dispose(&names);
	o.rooms = rooms;
	o.rooms_count = n;
	o.flags = GITCHAT_SYNC_NO_PROMPT;
	o.event_cb = on_event;
	o.payload = &round;
	if (gitchat_sync(&res, store, NULL, 0, &o) < 0) {
		np_free(round.v, round.n);
		if (down_find(s, "") == s->ndown) {
			gitchat_buf_printf(&line, "cannot sync: %s; still following the local store",
			                   gitchat_error_last()->message);
			s->say(s->payload, 1, line.ptr ? line.ptr : "cannot sync");
			down_add(s, "", gitchat_error_last()->message);
		}
		gitchat_buf_dispose(&line);
		s->last = time(NULL);
		return 1;
	}
	if (down_find(s, "") < s->ndown)
		down_remove(s, down_find(s, ""));
	update_down(s, res);
	update_not_pushed(s, &round, res);
	np_free(round.v, round.n);
	gitchat_sync_result_free(res);
	s->last = time(NULL);
	return 1;
}
