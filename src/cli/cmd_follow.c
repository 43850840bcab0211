#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reader.h"

/* The sync library arrives from another branch; until it is there, follow
 * watches the local store only. */
#if defined(__has_include)
# if __has_include(<gitchat/sync.h>)
#  include <gitchat/sync.h>
#  define FOLLOW_SYNC 1
# endif
#endif

const cli_usage usage_follow = {
	"follow",
	"usage: git chat follow [-r ROOM] [--interval SECONDS] [-n N] [--format=text|json]\n"
	"                       [--color=auto|always|never] [--[no-]mark-read] [--key PATH]\n",
	"Shows the last N messages of ROOM, then new ones as they arrive, like\n"
	"'tail -f': messages sent from this store, and messages that other stores\n"
	"pushed to the configured remotes, synced (both ways) every interval. A\n"
	"remote that is down is warned about once and tried again each interval;\n"
	"a log that a remote's copy keeps from being pushed is warned about once\n"
	"too, and again when that changes ('git chat sync' tells the repair).\n"
	"Edits, redactions and reactions of a message already shown show that\n"
	"message again, updated, marked '(updated)' at the start of its header line\n"
	"(in JSON, \"update\": true; false on a message's first appearance).\n"
	"Ctrl-C ends it.\n",
	(const cli_option[]){
		{ 'r', 'r', "room", "ROOM",
		  "the room (default: git config chat.room, else general)", "@room" },
		{ 'i', 0, "interval", "SECONDS",
		  "how often to look for new messages (default 5;\n"
		  "fractions allowed); the local store is looked at\n"
		  "at least every second", NULL },
		{ 'n', 'n', "lines", "N",
		  "messages shown at the start (default 10)", NULL },
		{ 'f', 0, "format", "FORMAT",
		  "text (default) or json (one object per line)", "text json" },
		{ 'c', 0, "color", "WHEN",
		  "auto (default), always or never (NO_COLOR wins)", "auto always never" },
		{ 'c', 0, "colour", "WHEN", NULL, "auto always never" },
		{ 'M', 0, "mark-read", NULL,
		  "move the read marker as messages are shown\n"
		  "(default only for text on a terminal)", NULL },
		{ 'N', 0, "no-mark-read", NULL,
		  "never move the read marker", NULL },
		{ 'k', 0, "key", "PATH",
		  "your identity (your own messages are not 'new')", "@file" },
		CLI_OPT_END
	},
	NULL,
	NULL
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The room's refs and their targets, to notice any change cheaply. */
static int refs_signature(gitchat_buf *out, git_repository *repo, const char *room)
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
			else if (id && !strcmp(parsed.room, room))
				gitchat_buf_printf(out, "%s %s\n", name, git_oid_tostr(hex, sizeof(hex), id));
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	return 0;
}

typedef struct {
	gitchat_store *store;
	const char *room;
	reader_printer pr;
	int mark, has_me;
	gitchat_pubkey me;
} follower;

static int mark_end(follower *f, gitchat_conversation *conv)
{
	gitchat_conversation_entry e;
	size_t n = gitchat_conversation_count(conv);

	if (!f->mark || !n)
		return 0;
	if (gitchat_conversation_entry_get(&e, conv, n - 1) < 0 ||
	    gitchat_read_marker_set(f->store, f->room, e.id) < 0)
		cli_warn("cannot move the read marker: %s", gitchat_error_last()->message);
	return 0;
}

static int show(follower *f, gitchat_view *view, size_t i, int update)
{
	gitchat_view_item *it = NULL;
	int r;

	if (gitchat_view_item_load(&it, view, i) < 0)
		return cli_fatal_lib();
	if (f->pr.text && gitchat_text_renderer_note_author(f->pr.text, it->name, &it->person) < 0) {
		gitchat_view_item_free(it);
		return cli_fatal_lib();
	}
	r = reader_print_follow(&f->pr, it, update);
	gitchat_view_item_free(it);
	return r;
}

/* The first screen: the last `lines` messages. */
static int show_start(follower *f, gitchat_view *view, size_t lines)
{
	size_t n = gitchat_conversation_count(gitchat_view_conversation(view)), i, start = n, k = 0;
	int r;

	while (start > 0 && k < lines)
		if (gitchat_view_visible(view, --start))
			k++;
	for (i = start; i < n; i++)
		if (gitchat_view_visible(view, i) && (r = show(f, view, i, 0)) != 0)
			return r;
	return 0;
}

/* What `now` has that `before` had not, in order: new messages, and the
 * messages that new edits, redactions and reactions change. */
static int show_new(follower *f, gitchat_conversation *before, gitchat_view *view)
{
	gitchat_conversation *now = gitchat_view_conversation(view);
	gitchat_conversation_entry e, t;
	size_t n = gitchat_conversation_count(now), i, pos, *again = NULL, nagain = 0, k;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		if (gitchat_conversation_entry_get(&e, now, i) < 0)
			return cli_fatal_lib();
		if (gitchat_conversation_find(&pos, before, e.id) == 0)
			continue;
		if (e.kind == GITCHAT_MESSAGE_TEXT) {
			r = show(f, view, i, 0);
			continue;
		}
		/* A change to a message shown before: show it again, once. */
		if (e.target == GITCHAT_NO_INDEX ||
		    gitchat_conversation_entry_get(&t, now, e.target) < 0 ||
		    gitchat_conversation_find(&pos, before, t.id) < 0 || t.kind != GITCHAT_MESSAGE_TEXT)
			continue;
		for (k = 0; k < nagain && again[k] != e.target; k++)
			;
		if (k < nagain)
			continue;
		{
			size_t *na = realloc(again, (nagain + 1) * sizeof(*na));
			if (!na) {
				free(again);
				return cli_fatal("out of memory");
			}
			again = na;
			again[nagain++] = e.target;
		}
		r = show(f, view, e.target, 1);
	}
	gitchat_error_clear();
	free(again);
	return r;
}

static int load(gitchat_conversation **conv, gitchat_view **view, follower *f)
{
	*conv = NULL;
	*view = NULL;
	int error;

	/* Small pack windows while reading, the defaults again for the sync's
	 * fetch (packwin.c). */
	cli_pack_windows_small(1);
	error = reader_load(conv, f->store, f->room);
	cli_pack_windows_small(0);
	if (error < 0 || gitchat_view_new(view, *conv) < 0) {
		gitchat_conversation_free(*conv);
		*conv = NULL;
		return cli_fatal_lib();
	}
	return 0;
}

/* A log that a remote's copy keeps from being pushed: "remote\nrefname",
 * and what was said about it (warned again only when that changes). */
typedef struct {
	char *key, *said;
} not_pushed;

typedef struct {
	not_pushed *v;
	size_t n;
} not_pushed_list;

static void not_pushed_dispose(not_pushed_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].said);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Remotes that failed, so that each is warned about once while it is down;
 * logs not pushed, each warned about once while it stays so. */
typedef struct {
	char **down;
	size_t ndown;
	not_pushed_list np;
} sync_state;

static void sync_state_dispose(sync_state *st)
{
	for (size_t i = 0; i < st->ndown; i++)
		free(st->down[i]);
	free(st->down);
	not_pushed_dispose(&st->np);
}

#ifdef FOLLOW_SYNC
static size_t down_find(const sync_state *st, const char *name)
{
	size_t i;
	for (i = 0; i < st->ndown && strcmp(st->down[i], name); i++)
		;
	return i;
}

static size_t np_find(const not_pushed_list *l, const char *key)
{
	size_t i;
	for (i = 0; i < l->n && strcmp(l->v[i].key, key); i++)
		;
	return i;
}

/* Collects this round's NOT_PUSHED events (and the notes of the library
 * about a log it could not tell why), with the line to show for each. */
static int follow_on_event(const gitchat_sync_event *e, void *payload)
{
	not_pushed_list *round = payload;
	gitchat_buf key = GITCHAT_BUF_INIT, said = GITCHAT_BUF_INIT;
	char theirs[GIT_OID_HEXSZ + 1] = "-";
	not_pushed *nv;
	int error;

	if (!(e->type == GITCHAT_SYNC_EVENT_NOT_PUSHED ||
	      (e->type == GITCHAT_SYNC_EVENT_REMOTE_MESSAGE && e->refname)))
		return 0;
	if (e->old)
		git_oid_tostr(theirs, sizeof(theirs), e->old);
	error = gitchat_buf_printf(&key, "%s\n%s", e->remote, e->refname);
	if (error == 0 && e->type == GITCHAT_SYNC_EVENT_REMOTE_MESSAGE)
		error = gitchat_buf_printf(&said, "'%s': %s", e->remote, e->reason);
	else if (error == 0)
		error = gitchat_buf_printf(
			&said, "'%s': %s is not pushed: the remote's copy, at %s, %s%s%s%s; "
			"'git chat sync' tells more", e->remote, e->refname, theirs,
			e->blocked == GITCHAT_SYNC_BLOCKED_INVALID ? "is not valid (" :
			e->blocked == GITCHAT_SYNC_BLOCKED_FORK ? "is a fork" :
			                                          "is not fetched yet",
			e->blocked == GITCHAT_SYNC_BLOCKED_INVALID && e->reason ? e->reason : "",
			e->blocked == GITCHAT_SYNC_BLOCKED_INVALID ? ")" : "",
			e->count ? (e->count == 1 ? ", and 1 new message waits here" :
			                            ", and new messages wait here") : "");
	if (error == 0 && (nv = realloc(round->v, (round->n + 1) * sizeof(*nv))) != NULL) {
		round->v = nv;
		nv[round->n].key = strdup(key.ptr);
		nv[round->n].said = strdup(said.ptr);
		if (nv[round->n].key && nv[round->n].said) {
			round->n++;
		} else {
			free(nv[round->n].key);
			free(nv[round->n].said);
		}
	}
	gitchat_buf_dispose(&key);
	gitchat_buf_dispose(&said);
	return 0;   /* a warning lost to OOM must not stop the sync */
}

/* Warns about each log not pushed that is new or changed since the last
 * round; forgets those of a remote that synced without them. */
static void follow_not_pushed(sync_state *st, not_pushed_list *round,
                              const gitchat_sync_result *res)
{
	size_t i, k;

	for (i = 0; i < round->n; i++) {
		k = np_find(&st->np, round->v[i].key);
		if (k < st->np.n && !strcmp(st->np.v[k].said, round->v[i].said))
			continue;
		cli_warn("%s", round->v[i].said);
		if (k < st->np.n) {
			char *said = strdup(round->v[i].said);
			if (said) {
				free(st->np.v[k].said);
				st->np.v[k].said = said;
			}
		} else {
			not_pushed *nv = realloc(st->np.v, (st->np.n + 1) * sizeof(*nv));
			if (!nv)
				continue;
			st->np.v = nv;
			nv[st->np.n].key = strdup(round->v[i].key);
			nv[st->np.n].said = strdup(round->v[i].said);
			if (nv[st->np.n].key && nv[st->np.n].said) {
				st->np.n++;
			} else {
				free(nv[st->np.n].key);
				free(nv[st->np.n].said);
			}
		}
	}
	for (k = 0; k < st->np.n;) {
		const char *remote = st->np.v[k].key;
		size_t rl = strcspn(remote, "\n");
		int keep = np_find(round, st->np.v[k].key) < round->n;
		for (i = 0; !keep && i < gitchat_sync_result_count(res); i++) {
			const gitchat_sync_remote_result *r = gitchat_sync_result_get(res, i);
			/* a remote that failed said nothing: keep what we know */
			if (r->failed && strlen(r->name) == rl && !strncmp(r->name, remote, rl))
				keep = 1;
		}
		if (keep) {
			k++;
			continue;
		}
		free(st->np.v[k].key);
		free(st->np.v[k].said);
		st->np.v[k] = st->np.v[--st->np.n];
	}
}

/* One sync of the room with every configured remote. A remote that is down
 * gets one warning, and is tried again at the next interval; so does each
 * log of ours a remote's copy keeps from being pushed. */
static void follow_sync(follower *f, sync_state *st, double interval)
{
	gitchat_sync_options o = GITCHAT_SYNC_OPTIONS_INIT;
	gitchat_sync_result *res = NULL;
	git_strarray names = { NULL, 0 };
	not_pushed_list round = { NULL, 0 };
	const char *rooms[1];
	size_t i, k;

	if (git_remote_list(&names, gitchat_store_repository(f->store)) < 0 || !names.count) {
		git_strarray_dispose(&names);
		return;   /* nothing to sync with: the local store is all there is */
	}
	git_strarray_dispose(&names);
	rooms[0] = f->room;
	o.rooms = rooms;
	o.rooms_count = 1;
	o.flags = GITCHAT_SYNC_NO_PROMPT;
	o.event_cb = follow_on_event;
	o.payload = &round;
	if (gitchat_sync(&res, f->store, NULL, 0, &o) < 0) {
		not_pushed_dispose(&round);
		if (down_find(st, "") == st->ndown) {
			cli_warn("cannot sync: %s; still following the local store",
			         gitchat_error_last()->message);
			char **nd = realloc(st->down, (st->ndown + 1) * sizeof(*nd));
			if (nd && (nd[st->ndown] = strdup("")) != NULL) {
				st->down = nd;
				st->ndown++;
			} else if (nd) {
				st->down = nd;
			}
		}
		return;
	}
	for (i = 0; i < gitchat_sync_result_count(res); i++) {
		const gitchat_sync_remote_result *r = gitchat_sync_result_get(res, i);
		k = down_find(st, r->name);
		if (r->failed && k == st->ndown) {
			char **nd = realloc(st->down, (st->ndown + 1) * sizeof(*nd));
			cli_warn("cannot sync with '%s' (%s); still following, trying again every %g s",
			         r->name, r->error ? r->error : "unknown error", interval);
			if (nd) {
				st->down = nd;
				if ((nd[st->ndown] = strdup(r->name)) != NULL)
					st->ndown++;
			}
		} else if (!r->failed && k < st->ndown) {
			fprintf(stderr, "'%s' is reachable again\n", r->name);
			free(st->down[k]);
			st->down[k] = st->down[--st->ndown];
		}
	}
	follow_not_pushed(st, &round, res);
	not_pushed_dispose(&round);
	gitchat_sync_result_free(res);
}
#endif

/* Following a room nobody has written in yet is fine (someone may soon);
 * one note says so, and names the rooms there are in case of a typo. */
static void note_empty(gitchat_store *store, const char *room)
{
	gitchat_buf list = GITCHAT_BUF_INIT;

	if (reader_room_exists(store, room, &list) == 0 && list.size)
		fprintf(stderr, "room '%s' has no messages yet; waiting (rooms here: %s; "
		        "'git chat rooms' lists them)\n", room, list.ptr);
	else
		fprintf(stderr, "room '%s' has no messages yet; waiting\n", room);
	gitchat_error_clear();
	gitchat_buf_dispose(&list);
}

/* Sleeps up to `secs`, waking early when asked to stop. */
static void nap(double secs)
{
	struct timespec ts;
	double slice;

	while (secs > 0 && !stop_requested) {
		slice = secs < 0.1 ? secs : 0.1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(slice * 1e9);
		nanosleep(&ts, NULL);
		secs -= slice;
	}
}

int cmd_follow(int argc, char **argv)
{
	reader_opts o = READER_OPTS_INIT;
	follower f;
	gitchat_conversation *conv = NULL, *next = NULL;
	gitchat_view *view = NULL, *next_view = NULL;
	gitchat_buf sig = GITCHAT_BUF_INIT, nsig = GITCHAT_BUF_INIT;
	sync_state sst = { NULL, 0, { NULL, 0 } };
	struct sigaction sa;
	char *room = NULL, *end;
	double interval = 5, poll, since_sync = 0;
	long long lines = 10;
	cli_parser p;
	int c, ret;

	memset(&f, 0, sizeof(f));
	cli_parser_init(&p, &usage_follow, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		if (reader_opt(&o, c, p.value))
			continue;
		switch (c) {
		case 'i':
			interval = strtod(p.value, &end);
			if (*end || end == p.value || !(interval >= 0.05 && interval <= 86400))
				return cli_usage_error(&usage_follow, "--interval needs seconds (0.05 to 86400), "
				                       "not '%s'", p.value);
			break;
		case 'n':
			lines = strtoll(p.value, &end, 10);
			if (*end || end == p.value || lines < 0)
				return cli_usage_error(&usage_follow, "-n needs a count, not '%s'", p.value);
			break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if ((ret = reader_opts_finish(&o, &p)) != 0)
		return ret;
	f.mark = o.mark;

	/* No SA_RESTART: a signal ends the nap at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((ret = cli_open_store(&f.store)) != 0 ||
	    (ret = cli_room(&room, gitchat_store_repository(f.store), o.room_arg)) != 0)
		goto done;
	f.room = room;
	f.has_me = reader_my_key(&f.me, gitchat_store_repository(f.store), o.keypath);
	if ((ret = reader_printer_init(&f.pr, o.json, o.color, reader_width(), 0)) != 0 ||
	    refs_signature(&sig, gitchat_store_repository(f.store), room) < 0 ||
	    (ret = load(&conv, &view, &f)) != 0)
		goto done;
	if (!gitchat_conversation_count(conv))
		note_empty(f.store, room);
	if ((ret = show_start(&f, view, (size_t)lines)) != 0)
		goto done;
	mark_end(&f, conv);
	if (fflush(stdout) != 0)
		goto done;
	poll = interval < 1 ? interval : 1;
	while (!stop_requested) {
		nap(poll);
		if (stop_requested)
			break;
		since_sync += poll;
		if (since_sync >= interval - 1e-9) {
			since_sync = 0;
#ifdef FOLLOW_SYNC
			follow_sync(&f, &sst, interval);
#endif
		}
		if (refs_signature(&nsig, gitchat_store_repository(f.store), room) < 0) {
			ret = cli_fatal("cannot list the refs of room '%s': %s", room,
			                git_error_last() ? git_error_last()->message : "unknown error");
			goto done;
		}
		if (nsig.size == sig.size && (!sig.size || !memcmp(nsig.ptr, sig.ptr, sig.size)))
			continue;
		if ((ret = load(&next, &next_view, &f)) != 0)
			goto done;
		ret = show_new(&f, conv, next_view);
		gitchat_view_free(view);
		gitchat_conversation_free(conv);
		conv = next;
		view = next_view;
		next = NULL;
		next_view = NULL;
		{
			gitchat_buf t = sig;
			sig = nsig;
			nsig = t;
		}
		if (ret != 0)
			goto done;
		mark_end(&f, conv);
		if (fflush(stdout) != 0)
			break;
	}
	ret = 0;
done:
	if (ret < 0)
		ret = 0;   /* stdout went away: like tail -f | head, not an error */
	fflush(stdout);
	reader_printer_dispose(&f.pr);
	gitchat_view_free(view);
	gitchat_conversation_free(conv);
	gitchat_store_free(f.store);
	gitchat_buf_dispose(&sig);
	gitchat_buf_dispose(&nsig);
	sync_state_dispose(&sst);
	free(room);
	return ret;
}
