/*
 * The push half of a sync: every local refs/chat/<room>/<key> (of the rooms
 * asked for) that the remote lacks or is behind on, ours or anyone's
 * (gossip), as explicit "ref:ref" refspecs, never forced.
 *
 * A log whose copy on the remote is not in ours cannot be pushed; each such
 * log is told at every sync (blocked.c) rather than skipped in silence.
 *
 * A server hook that dislikes one ref declines the whole push (git's
 * pre-receive sees all refs at once), and libgit2 reports that per ref
 * while returning 0. So when a batch is declined, each declined ref is
 * pushed again on its own: one bad log cannot hold back the others, and
 * each refusal comes with what the server said about that ref alone.
 */
#include <stdlib.h>
#include <string.h>

#include "gitchat/verify.h"
#include "sync/blocked.h"
#include "sync/push.h"
#include "store/refs.h"
#include "util/error.h"

static void updates_dispose(sync_update *u, size_t n)
{
	if (!u)
		return;
	for (size_t i = 0; i < n; i++) {
		free(u[i].refname);
		free(u[i].reason);
	}
	free(u);
}

/* Which local logs to push, given r->conn->heads. With `verify`, each is checked
 * first (cheap: the verify cache holds our own logs). The logs that cannot
 * be pushed because the remote's copy is not in ours go to `blocked`
 * (indexes into local), to be told (sync_blocked_report). */
static int plan(sync_update **out, size_t *nout, size_t *blocked, size_t *nblocked,
                sync_job *r, const gitchat_tips *local, int verify)
{
	sync_update *u = NULL;
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*nout = 0;
	*nblocked = 0;
	if (local->count && !(u = calloc(local->count, sizeof(*u))))
		return gitchat_error_oom();
	for (i = 0; i < local->count; i++) {
		const gitchat_tip *t = &local->tips[i];
		const sync_head *h = sync_heads_find(&r->conn->heads, t->refname);

		if (h && git_oid_equal(&h->id, &t->id))
			continue;
		/* The remote's must be ours or an ancestor: a fast-forward. */
		if (h && (!sync_odb_has(r->repo, &h->id) ||
		          git_graph_descendant_of(r->repo, &t->id, &h->id) != 1)) {
			git_error_clear();
			blocked[(*nblocked)++] = i;
			continue;
		}
		if (verify) {
			git_oid bad = t->id;
			error = gitchat_verify_ref_update(r->store, t->refname, NULL, &t->id, &bad);
			if (error == GITCHAT_EVERIFY) {
				gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_REJECTED };
				gitchat_buf why = GITCHAT_BUF_INIT;
				gitchat_buf_printf(&why, "our own copy is invalid, so it is not pushed (%s); "
				                   "run 'git chat verify'", gitchat_error_last()->message);
				ev.refname = t->refname;
				ev.room = t->ref.room;
				ev.key = &t->ref.key;
				ev.commit = &bad;
				ev.reason = why.ptr ? why.ptr : "invalid";
				r->report->res->pub.rejected++;
				error = sync_report_emit(r->report, &ev);
				gitchat_buf_dispose(&why);
				if (error < 0)
					goto done;
				continue;
			}
			if (error < 0)
				goto done;
		}
		if (!(u[n].refname = strdup(t->refname))) {
			error = gitchat_error_oom();
			goto done;
		}
		u[n].id = t->id;
		if (h)
			u[n].old = h->id;
		n++;
	}
	*out = u;
	*nout = n;
	u = NULL;
done:
	updates_dispose(u, n);
	return error;
}

/* Our refs/chat/ logs of the rooms asked for. */
static int local_logs(gitchat_tips *out, sync_job *r)
{
	gitchat_tips all;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = gitchat_tips_list(&all, NULL, r->repo, NULL)) < 0)
		return error;
	for (i = 0; i < all.count; i++) {
		gitchat_tip *t = &all.tips[i];
		if (t->ref.remote[0] || !sync_rooms_wanted(&r->rooms, t->ref.room)) {
			free(t->refname);
			continue;
		}
		all.tips[out->count++] = *t;
	}
	out->tips = all.tips;
	return 0;
}

/* The server's words about a declined ref: its status and what its hooks
 * wrote during that push. */
static int decline_reason(gitchat_buf *out, sync_job *r, const char *status)
{
	size_t i;

	gitchat_buf_clear(out);
	if (gitchat_buf_puts(out, status ? status : "declined") < 0)
		return GITCHAT_ENOMEM;
	if (r->conn->sideband.size) {
		if (gitchat_buf_puts(out, ": ") < 0)
			return GITCHAT_ENOMEM;
		for (i = 0; i < r->conn->sideband.size; i++) {
			char ch = r->conn->sideband.ptr[i];
			if (ch == '\n' && i + 1 == r->conn->sideband.size)
				break;
			if (gitchat_buf_puts(out, ch == '\n' ? " / " : (char[2]){ ch, 0 }) < 0)
				return GITCHAT_ENOMEM;
		}
	}
	return 0;
}

static int push_some(sync_job *r, sync_update *u, size_t n)
{
	gitchat_buf reason = GITCHAT_BUF_INIT;
	size_t i;
	int error;

	if ((error = r->conn->ops->push(r->conn, u, n)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if (u[i].done || !u[i].reason)
			continue;
		if ((error = decline_reason(&reason, r, u[i].reason)) < 0)
			break;
		free(u[i].reason);
		u[i].reason = gitchat_buf_detach(&reason);
	}
	gitchat_buf_dispose(&reason);
	return error;
}

/* Tells each log that cannot be pushed, from the latest listing. Called
 * after the push: working out why one log is held back (its own I/O, a
 * cache read, memory) must not keep the others from going out, so a
 * report that fails is told as a remote message and counted, not fatal.
 * Only a cancellation by the caller fails. */
static int report_blocked(sync_job *r, const gitchat_tips *local, const size_t *blocked,
                          size_t nblocked)
{
	for (size_t i = 0; i < nblocked && !r->report->cancelled; i++) {
		const gitchat_tip *t = &local->tips[blocked[i]];
		const sync_head *h = sync_heads_find(&r->conn->heads, t->refname);
		gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_REMOTE_MESSAGE };
		gitchat_buf why = GITCHAT_BUF_INIT;

		if (!h || sync_blocked_report(r->report, r->store, t, &h->id) == 0 || r->report->cancelled)
			continue;
		/* Held back for a reason unknown: a problem, like an invalid copy. */
		r->report->res->pub.not_pushed++;
		r->report->res->blocked_invalid++;
		if (gitchat_buf_printf(&why, "%s was not pushed (the remote's copy is not in it), "
		                       "and why could not be worked out: %s", t->refname,
		                       gitchat_error_last()->message) < 0)
			gitchat_buf_clear(&why);
		ev.refname = t->refname;
		ev.room = t->ref.room;
		ev.key = &t->ref.key;
		ev.commit = &t->id;
		ev.old = &h->id;
		ev.reason = why.ptr ? why.ptr : "a log was not pushed (out of memory)";
		gitchat_error_clear();
		sync_report_emit(r->report, &ev);
		gitchat_buf_dispose(&why);
	}
	return r->report->cancelled ? sync_report_cancelled_error() : 0;
}

int sync_push_logs(sync_job *r, int have_heads)
{
	gitchat_tips local;
	sync_update *u = NULL;
	size_t *blocked = NULL;
	size_t n = 0, i, declined = 0, nblocked = 0;
	int error;

	if ((error = local_logs(&local, r)) < 0)
		return error;
	if (local.count && !(blocked = calloc(local.count, sizeof(*blocked)))) {
		error = gitchat_error_oom();
		goto done;
	}
	if (have_heads) {
		/* What the fetch listed says whether a push is needed at all. */
		if ((error = plan(&u, &n, blocked, &nblocked, r, &local, 0)) < 0)
			goto done;
		if (n == 0)
			goto report;
		updates_dispose(u, n);
		u = NULL;
		n = 0;
	}
	if ((error = r->conn->ops->connect(r->conn, GIT_DIRECTION_PUSH)) < 0 ||
	    (error = plan(&u, &n, blocked, &nblocked, r, &local, 1)) < 0)
		goto done;
	if (n == 0)
		goto report;
	if (r->conn->ops->before_push)
		r->conn->ops->before_push(r->conn);
	if (r->report->cancelled)
		goto done;
	if ((error = push_some(r, u, n)) < 0)
		goto done;
	for (i = 0; i < n; i++)
		declined += !u[i].done;
	if (declined && n > 1) {
		for (i = 0; i < n && !r->report->cancelled; i++) {
			if (u[i].done)
				continue;
			free(u[i].reason);
			u[i].reason = NULL;
			r->conn->ops->close(r->conn);
			if ((error = r->conn->ops->connect(r->conn, GIT_DIRECTION_PUSH)) < 0)
				goto done;
			/* The remote may have moved meanwhile: refresh the old value. */
			{
				const sync_head *h = sync_heads_find(&r->conn->heads, u[i].refname);
				if (h)
					u[i].old = h->id;
				else
					memset(&u[i].old, 0, sizeof(u[i].old));
			}
			if ((error = push_some(r, &u[i], 1)) < 0) {
				if (!(u[i].reason = strdup(gitchat_error_last()->message))) {
					error = gitchat_error_oom();
					goto done;
				}
				error = 0;
			}
		}
	}
	for (i = 0; i < n; i++) {
		gitchat_sync_event ev = { u[i].done ? GITCHAT_SYNC_EVENT_PUSHED :
		                                      GITCHAT_SYNC_EVENT_PUSH_DECLINED };
		gitchat_chatref parsed;
		if (gitchat_chatref_parse(&parsed, u[i].refname) == 0) {
			ev.room = parsed.room;
			ev.key = &parsed.key;
		}
		gitchat_error_clear();
		ev.refname = u[i].refname;
		ev.commit = &u[i].id;
		ev.old = git_oid_is_zero(&u[i].old) ? NULL : &u[i].old;
		ev.reason = u[i].reason;
		if (u[i].done)
			r->report->res->pub.pushed++;
		else
			r->report->res->pub.declined++;
		if (sync_report_emit(r->report, &ev) != 0)
			break;
	}
report:
	/* After the push: a report cannot hold back the other logs. */
	error = report_blocked(r, &local, blocked, nblocked);
done:
	r->conn->ops->close(r->conn);
	updates_dispose(u, n);
	free(blocked);
	gitchat_tips_dispose(&local);
	return error;
}
