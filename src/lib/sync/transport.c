#include <stdlib.h>
#include <string.h>

#include "sync/creds.h"
#include "sync/knownhosts.h"
#include "sync/stream.h"
#include "sync/tls.h"
#include "sync/transport.h"
#include "store/refs.h"
#include "util/error.h"

/* One network connection; `base` first, so that a sync_conn * is one. */
typedef struct {
	sync_conn base;
	git_repository *repo;
	const sync_target *target;
	sync_report *report;
	git_remote *remote;
	sync_creds creds;
	sync_tls tls;
	sync_stream_limits limits;     /* chat.timeout, http.lowSpeed*: stream.h */
	gitchat_buf line;              /* an incomplete sideband line */
	gitchat_buf failure;           /* our explanation of a refused connection */
	int capture_messages;          /* emit REMOTE_MESSAGE events (pushing) */
	void *push_ctx;                /* statuses of the running push */
} net_conn;

/* Tells the program which URL is about to be connected to: it may set up
 * what that scheme needs (cmd_sync.c loads the CA certificates for https
 * only, netlibs.c). */
static int connecting_event(net_conn *r, const char *url)
{
	gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_CONNECTING };

	ev.url = url;
	return sync_report_emit(r->report, &ev);
}

/* Keeps the refs/chat/ part of an advertisement, sorted. */
static int heads_from_ls(sync_heads *out, const git_remote_head **refs, size_t n)
{
	int error;

	sync_heads_dispose(out);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(refs[i]->name, GITCHAT_REFS_PREFIX, strlen(GITCHAT_REFS_PREFIX)) &&
		    (error = sync_heads_add(out, refs[i]->name, &refs[i]->oid)) < 0)
			return error;
	sync_heads_sort(out);
	return 0;
}

/* Stores the server's text; during a push each complete line is also an
 * event (the hooks' explanations). Progress lines ending in '\r' are
 * overwritten, as a terminal would. */
static int sideband_cb(const char *str, int len, void *payload)
{
	net_conn *r = payload;
	int i, error = 0;

	if (!r->capture_messages)
		return 0;
	for (i = 0; i < len && error == 0; i++) {
		char c = str[i];
		if (c == '\r') {
			gitchat_buf_clear(&r->line);
		} else if (c == '\n') {
			if (r->line.size) {
				gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_REMOTE_MESSAGE };
				ev.reason = r->line.ptr;
				if (gitchat_buf_put(&r->base.sideband, r->line.ptr, r->line.size) < 0 ||
				    gitchat_buf_putc(&r->base.sideband, '\n') < 0)
					return -1;
				error = sync_report_emit(r->report, &ev);
			}
			gitchat_buf_clear(&r->line);
		} else if (gitchat_buf_putc(&r->line, c) < 0) {
			return -1;
		}
	}
	return error ? GIT_EUSER : 0;
}

static int fetch_progress_cb(const git_indexer_progress *stats, void *payload)
{
	gitchat_sync_progress p = { 0 };

	p.direction = GITCHAT_SYNC_RECEIVING;
	p.objects = stats->received_objects;
	p.total_objects = stats->total_objects;
	p.indexed_objects = stats->indexed_objects;
	p.bytes = stats->received_bytes;
	return sync_report_progress(((net_conn *)payload)->report, &p) ? GIT_EUSER : 0;
}

static int push_progress_cb(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
	gitchat_sync_progress p = { 0 };

	p.direction = GITCHAT_SYNC_SENDING;
	p.objects = current;
	p.total_objects = total;
	p.bytes = bytes;
	return sync_report_progress(((net_conn *)payload)->report, &p) ? GIT_EUSER : 0;
}

static int credentials_cb(git_credential **out, const char *url, const char *username_from_url,
                          unsigned int allowed_types, void *payload)
{
	net_conn *r = payload;
	return sync_creds_acquire(out, &r->creds, url, username_from_url, allowed_types);
}

static int certificate_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	net_conn *r = payload;
	sync_hostkey_how how = { r->target->name, r->target->port,
	                         r->report->opts->hostkey_cb, r->report->opts->payload };

	if (cert->cert_type == GIT_CERT_X509)
		return sync_tls_certificate_check(&r->tls, cert, valid, host);
	return sync_knownhosts_verify(&r->failure, &how, cert, host);
}

static void callbacks_init(git_remote_callbacks *cb, net_conn *r)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->sideband_progress = sideband_cb;
	cb->credentials = credentials_cb;
	cb->certificate_check = certificate_cb;
	cb->transfer_progress = fetch_progress_cb;
	cb->push_transfer_progress = push_progress_cb;
	cb->payload = r;
}

/* The reason of a failed network operation: our own explanation (host key,
 * credentials) when there is one, else libgit2's. */
static int net_error(net_conn *r, int code, const char *what)
{
	const git_error *ge = git_error_last();

	if (r->limits.expired)
		return sync_stream_error(&r->limits, r->remote && git_remote_url(r->remote)
		                                         ? git_remote_url(r->remote) : r->target->url);
	if (code == GIT_ECERTIFICATE && r->tls.untrusted)
		return sync_tls_error(&r->tls, what, r->remote && git_remote_url(r->remote)
		                                        ? git_remote_url(r->remote) : r->target->url);
	if (r->report->cancelled)
		return gitchat_error_set(GITCHAT_ERROR, "%s '%s': cancelled by the caller", what, r->target->url);
	if (r->failure.size)
		return gitchat_error_set(GITCHAT_ENETWORK, "%s '%s': %s", what, r->target->url, r->failure.ptr);
	return gitchat_error_set(GITCHAT_ENETWORK, "%s '%s': %s", what, r->target->url,
	                         ge && ge->message ? ge->message : "unknown error");
}

static void net_close(sync_conn *c);

static int net_connect(sync_conn *c, int direction)
{
	net_conn *r = (net_conn *)c;
	git_remote_callbacks cb;
	git_proxy_options proxy = GIT_PROXY_OPTIONS_INIT;
	const git_remote_head **refs = NULL;
	const char *url;
	size_t n = 0;
	int error;

	net_close(c);
	gitchat_buf_clear(&r->failure);
	sync_creds_finish(&r->creds, 0);   /* each connection offers every key again */
	url = direction == GIT_DIRECTION_PUSH && r->target->pushurl ? r->target->pushurl
	                                                             : r->target->url;
	if ((error = git_remote_create_anonymous(&r->remote, r->repo, url)) < 0)
		return gitchat_error_from_git(error, "cannot use the remote URL '%s'", url);
	/* The CA settings follow the URL libgit2 will use: it has applied
	 * url.<base>.insteadOf by now (and connects only below). */
	if (git_remote_url(r->remote))
		url = git_remote_url(r->remote);
	if ((error = connecting_event(r, url)) < 0 ||
	    (error = sync_tls_prepare(&r->tls, r->repo, url)) < 0 ||
	    (error = sync_stream_limits_read(&r->limits, r->repo, url)) < 0)
		return error;
	callbacks_init(&cb, r);
	proxy.type = GIT_PROXY_AUTO;
	sync_stream_enter(&r->limits);
	error = git_remote_connect(r->remote, direction, &cb, &proxy, NULL);
	sync_stream_leave();
	if (error < 0) {
		error = net_error(r, error, "cannot connect to");
		sync_creds_finish(&r->creds, 0);
		return error;
	}
	if ((error = git_remote_ls(&refs, &n, r->remote)) < 0)
		return net_error(r, error, "cannot list the refs of");
	/* The server let us in: the helpers' password was right. */
	sync_creds_finish(&r->creds, 1);
	return heads_from_ls(&r->base.heads, refs, n);
}

static int net_fetch(sync_conn *c, const git_oid *ids, const char *const *refnames, size_t n)
{
	net_conn *r = (net_conn *)c;

	(void)ids;   /* libgit2 fetches by name: the refspecs below */
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_strarray specs = { NULL, 0 };
	gitchat_buf spec = GITCHAT_BUF_INIT;
	gitchat_sync_progress p = { 0 };
	const git_indexer_progress *st;
	size_t i;
	int error = 0;

	/* Explicit refspecs, forced, into the quarantine: libgit2 wants exactly
	 * these refs. The refs themselves are written by accept.c. */
	if (!(specs.strings = calloc(n ? n : 1, sizeof(char *))))
		return gitchat_error_oom();
	for (i = 0; i < n; i++) {
		gitchat_buf_clear(&spec);
		if (gitchat_buf_printf(&spec, "+%s:" SYNC_QUARANTINE_PREFIX "%s/%s", refnames[i],
		                       r->target->name, refnames[i] + strlen(GITCHAT_REFS_PREFIX)) < 0) {
			error = GITCHAT_ENOMEM;
			goto done;
		}
		specs.strings[specs.count++] = gitchat_buf_detach(&spec);
	}
	callbacks_init(&fo.callbacks, r);
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.proxy_opts.type = GIT_PROXY_AUTO;
	sync_stream_enter(&r->limits);
	error = git_remote_download(r->remote, &specs, &fo);
	sync_stream_leave();
	if (error < 0) {
		error = net_error(r, error, "cannot fetch from");
		goto done;
	}
	st = git_remote_stats(r->remote);
	p.direction = GITCHAT_SYNC_RECEIVING;
	p.objects = st->received_objects;
	p.total_objects = st->total_objects;
	p.indexed_objects = st->indexed_objects;
	p.bytes = st->received_bytes;
	p.done = 1;
	if (p.total_objects)
		sync_report_progress(r->report, &p);
done:
	sync_creds_finish(&r->creds, error == 0);
	git_strarray_dispose(&specs);
	gitchat_buf_dispose(&spec);
	return error;
}

typedef struct {
	sync_update *updates;
	size_t n;
	int seen;
} push_status_ctx;

static int push_status_cb(const char *refname, const char *status, void *payload)
{
	push_status_ctx *ctx = ((net_conn *)payload)->push_ctx;
	size_t i;

	for (i = 0; i < ctx->n; i++) {
		sync_update *u = &ctx->updates[i];
		if (strcmp(u->refname, refname) != 0)
			continue;
		ctx->seen++;
		free(u->reason);
		u->reason = NULL;
		if (!status) {
			u->done = 1;
		} else if (!(u->reason = strdup(status))) {
			return -1;
		}
	}
	return 0;
}

static int net_push(sync_conn *c, sync_update *updates, size_t n)
{
	net_conn *r = (net_conn *)c;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	git_strarray specs = { NULL, 0 };
	gitchat_buf spec = GITCHAT_BUF_INIT;
	push_status_ctx ctx = { updates, n, 0 };
	size_t i;
	int error = 0;

	if (!(specs.strings = calloc(n ? n : 1, sizeof(char *))))
		return gitchat_error_oom();
	for (i = 0; i < n; i++) {
		gitchat_buf_clear(&spec);
		/* src:dst without '+': never forced. */
		if (gitchat_buf_printf(&spec, "%s:%s", updates[i].refname, updates[i].refname) < 0) {
			error = GITCHAT_ENOMEM;
			goto done;
		}
		specs.strings[specs.count++] = gitchat_buf_detach(&spec);
	}
	callbacks_init(&po.callbacks, r);
	po.callbacks.push_update_reference = push_status_cb;
	po.pb_parallelism = 1;
	po.proxy_opts.type = GIT_PROXY_AUTO;
	r->push_ctx = &ctx;
	gitchat_buf_clear(&r->base.sideband);
	gitchat_buf_clear(&r->line);
	r->capture_messages = 1;
	sync_stream_enter(&r->limits);
	error = git_remote_upload(r->remote, &specs, &po);
	sync_stream_leave();
	r->capture_messages = 0;
	r->push_ctx = NULL;
	if (error < 0) {
		error = net_error(r, error, "cannot push to");
		goto done;
	}
	/* A ref the server did not report on was not updated. */
	for (i = 0; i < n; i++)
		if (!updates[i].done && !updates[i].reason &&
		    !(updates[i].reason = strdup("the server did not report on this ref"))) {
			error = gitchat_error_oom();
			goto done;
		}
done:
	sync_creds_finish(&r->creds, error == 0);
	git_strarray_dispose(&specs);
	gitchat_buf_dispose(&spec);
	return error;
}

static void net_close(sync_conn *c)
{
	net_conn *r = (net_conn *)c;

	if (r->remote) {
		sync_stream_enter(&r->limits);
		git_remote_disconnect(r->remote);
		git_remote_free(r->remote);
		sync_stream_leave();
		r->remote = NULL;
	}
}

static void net_free(sync_conn *c)
{
	net_conn *r = (net_conn *)c;

	net_close(c);
	sync_conn_base_dispose(c);
	sync_creds_dispose(&r->creds);
	sync_tls_dispose(&r->tls);
	gitchat_buf_dispose(&r->line);
	gitchat_buf_dispose(&r->failure);
	free(r);
}

static const sync_conn_ops net_ops = {
	net_connect, net_fetch, net_push, NULL, net_close, net_free,
};

int sync_transport_new(sync_conn **out, git_repository *repo, const sync_target *target,
                       sync_report *report)
{
	net_conn *r;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return gitchat_error_oom();
	r->base.ops = &net_ops;
	r->repo = repo;
	r->target = target;
	r->report = report;
	sync_creds_init(&r->creds, repo, report->opts, target->url, &r->failure, &report->cancelled);
	*out = &r->base;
	return 0;
}
