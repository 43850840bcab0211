#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"
#include "reader.h"
#include "syncloop.h"

const cli_usage usage_follow = {
	"follow",
	"usage: git chat follow [-r ROOM] [--interval SECONDS] [-n N] [--format=text|json]\n"
	"                       [--color=auto|always|never] [--[no-]mark-read] [--key PATH]\n"
	"                       [--notify]\n",
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
		{ 'O', 0, "notify", NULL,
		  "ring the bell and show a desktop notification for each\n"
		  "new message of someone else, as git config chat.notify\n"
		  "says (default auto: the bell, the desktop when there is one)", NULL },
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

typedef struct {
	gitchat_store *store;
	const char *room;
	reader_printer pr;
	int mark, has_me;
	gitchat_pubkey me;
	int fresh;            /* showing messages that just arrived */
	cli_notify *notify;   /* --notify, else NULL */
} follower;

/* --notify: a message that just arrived, from someone else. */
static void notify_new(follower *f, const gitchat_view_item *it)
{
	gitchat_buf title = GITCHAT_BUF_INIT;

	if (!f->notify || !f->fresh || (f->has_me && !gitchat_pubkey_cmp(&f->me, &it->msg->key)))
		return;
	if (gitchat_buf_printf(&title, "%s%s in %s", it->name,
	                       cli_notify_mentions(f->notify, it->text, it->text_len) ?
	                       " mentions you" : "", f->room) == 0)
		cli_notify_message(f->notify, f->room, title.ptr, it->text, it->text_len);
	gitchat_buf_dispose(&title);
}

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
	if (!update)
		notify_new(f, it);
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

/* What a sync round says, as follow says it: on stderr. */
static void follow_say(void *payload, int warning, const char *text)
{
	(void)payload;
	if (warning)
		cli_warn("%s", text);
	else
		fprintf(stderr, "%s\n", text);
}

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
	cli_syncloop sl;
	struct sigaction sa;
	char *room = NULL, *end;
	double interval = 5, poll, since_sync = 0;
	long long lines = 10;
	cli_parser p;
	int c, ret, want_notify = 0;
	cli_notify nt;

	memset(&f, 0, sizeof(f));
	memset(&nt, 0, sizeof(nt));
	cli_syncloop_init(&sl, interval, follow_say, NULL);
	cli_parser_init(&p, &usage_follow, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		if (reader_opt(&o, c, p.value))
			continue;
		switch (c) {
		case 'i':
			if (cli_syncloop_interval(&interval, p.value) < 0)
				return cli_usage_error(&usage_follow, "--interval needs seconds (0.05 to 86400), "
				                       "not '%s'", p.value);
			break;
		case 'O':
			want_notify = 1;
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
	sl.interval = interval;

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
	if (want_notify) {
		if (cli_notify_init(&nt, gitchat_store_repository(f.store), NULL) < 0) {
			ret = CLI_EXIT_USAGE;
			goto done;
		}
		f.notify = &nt;
	}
	f.has_me = reader_my_key(&f.me, gitchat_store_repository(f.store), o.keypath);
	if ((ret = reader_printer_init(&f.pr, o.json, o.color, reader_width(), 0)) != 0 ||
	    cli_refs_signature(&sig, gitchat_store_repository(f.store), room) < 0 ||
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
			cli_syncloop_round(&sl, f.store, &f.room, 1);
		}
		if (cli_refs_signature(&nsig, gitchat_store_repository(f.store), room) < 0) {
			ret = cli_fatal("cannot list the refs of room '%s': %s", room,
			                git_error_last() ? git_error_last()->message : "unknown error");
			goto done;
		}
		if (nsig.size == sig.size && (!sig.size || !memcmp(nsig.ptr, sig.ptr, sig.size)))
			continue;
		if ((ret = load(&next, &next_view, &f)) != 0)
			goto done;
		f.fresh = 1;
		ret = show_new(&f, conv, next_view);
		f.fresh = 0;
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
	cli_syncloop_dispose(&sl);
	cli_notify_dispose(&nt);
	free(room);
	return ret;
}
