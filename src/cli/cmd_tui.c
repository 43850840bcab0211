#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tui.h"

const cli_usage usage_tui = {
	"tui",
	"usage: git chat tui [-r ROOM] [--interval SECONDS] [--key PATH]\n",
	"A full-screen chat client: the rooms with their unread messages, the\n"
	"conversation as 'log' shows it, and a composer (Enter sends, Alt-Enter\n"
	"starts a new line). It syncs with the configured remotes in the\n"
	"background, keeps the draft of each room as you type, and rings the\n"
	"bell (git config chat.notify) when a message arrives in a room not on\n"
	"screen or mentions you. '?' shows the keys; Ctrl-D or /quit quits.\n",
	(const cli_option[]){
		{ 'r', 'r', "room", "ROOM",
		  "the room to open (default: git config chat.room, else general)", "@room" },
		{ 'i', 0, "interval", "SECONDS",
		  "how often to sync (default: git config chat.tuiInterval,\n"
		  "else 5; fractions allowed)", NULL },
		{ 'k', 0, "key", "PATH",
		  "your identity (default: DESIGN.md's search order)", "@file" },
		CLI_OPT_END
	},
	"Drafts are kept in $GIT_DIR/chat/drafts/. docs/tui.md tells the rest.\n",
	NULL
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void config_interval(double *out, git_repository *repo)
{
	git_config *cfg = NULL, *snap = NULL;
	const char *v;

	if (git_repository_config(&cfg, repo) == 0 && git_config_snapshot(&snap, cfg) == 0 &&
	    git_config_get_string(&v, snap, "chat.tuiInterval") == 0 && cli_syncloop_interval(out, v) < 0)
		cli_warn("chat.tuiInterval is '%s', not seconds (0.05 to 86400); syncing every %g s",
		         v, *out);
	git_config_free(snap);
	git_config_free(cfg);
	git_error_clear();
}

/* Whether the store has a private room (reading one needs the key's
 * secret half). */
static int has_private_room(gitchat_store *store)
{
	git_strarray rooms = { NULL, 0 };
	int found = 0;

	if (gitchat_room_list(&rooms, store) == 0)
		for (size_t i = 0; i < rooms.count && !found; i++)
			found = gitchat_room_type(rooms.strings[i]) == GITCHAT_ROOM_PRIVATE;
	git_strarray_dispose(&rooms);
	gitchat_error_clear();
	return found;
}

/* The user's key, as send opens it (a key file, or one ssh-agent signs
 * with); none is no error for reading, sending says why. A key the agent
 * holds cannot decrypt: with private rooms in the store its file is
 * unlocked here, before the screen starts (the terminal or SSH_ASKPASS
 * asks); when that fails, public rooms work and the status line of a
 * private room says why it cannot be read. */
static void load_key(tui *t, const char *given)
{
	gitchat_buf path = GITCHAT_BUF_INIT;

	if (gitchat_key_path_find(&path, gitchat_store_repository(t->store), given) == 0 &&
	    gitchat_key_open(&t->key, path.ptr) == 0) {
		t->me = gitchat_key_public(t->key);
		if (gitchat_key_agent_signs(t->key) && has_private_room(t->store) &&
		    gitchat_key_unlock(t->key, cli_passphrase, NULL) < 0)
			t->read_error = strdup(gitchat_error_last()->message);
	} else {
		t->key_error = strdup(gitchat_error_last()->message);
	}
	gitchat_error_clear();
	gitchat_buf_dispose(&path);
}

/* One key, Alt-Enter read as one (ESC, then Enter at once). */
static void read_keys(tui *t)
{
	WINDOW *w = t->scr.comp;
	wint_t ch, next;
	int r;

	/* A key may lay the screen out anew (new windows): w is read again. */
	while (!t->quit && (r = wget_wch(w = t->scr.comp, &ch)) != ERR) {
		if (r == OK && ch == 27) {
			wtimeout(w, 60);
			r = wget_wch(w, &next);
			nodelay(w, TRUE);
			if (r == OK && (next == '\r' || next == '\n')) {
				tui_key(t, 1, KEY_ALT_ENTER);
				continue;
			}
			tui_key(t, 0, 27);
			if (r == ERR)
				continue;
			ch = next;
			r = r == KEY_CODE_YES ? KEY_CODE_YES : OK;
		}
		tui_key(t, r == KEY_CODE_YES, ch);
	}
	tui_draft_save(t);
}

/* Whether any room's refs moved: then the counts, and the room on screen. */
static void look(tui *t)
{
	gitchat_buf sig = GITCHAT_BUF_INIT;
	git_repository *repo = gitchat_store_repository(t->store);

	if (cli_refs_signature(&sig, repo, NULL) == 0 &&
	    (sig.size != t->all_sig.size || (sig.size && memcmp(sig.ptr, t->all_sig.ptr, sig.size)))) {
		gitchat_buf tmp = t->all_sig;
		t->all_sig = sig;
		sig = tmp;
		tui_rooms_refresh(t, 1);
		gitchat_buf_clear(&sig);
		/* The sync thread is ordering the room: read it when it is done. */
		if (tui_sync_loading(t)) {
			gitchat_buf_clear(&t->all_sig);
			goto done;
		}
		if (cli_refs_signature(&sig, repo, t->rooms[t->cur].name) == 0 &&
		    (sig.size != t->conv.sig.size ||
		     (sig.size && memcmp(sig.ptr, t->conv.sig.ptr, sig.size))) &&
		    tui_conv_reload(t) < 0)
			tui_notice(t, "cannot read the room: %s", gitchat_error_last()->message);
	}
done:
	gitchat_buf_dispose(&sig);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void loop(tui *t)
{
	struct pollfd pf[2] = { { 0, POLLIN, 0 }, { t->sync.wake[0], POLLIN, 0 } };
	double last_look = mono();

	while (!t->quit && !stop_requested) {
		if (t->dirty)
			tui_screen_draw(t);
		/* Idle, the client wakes once a second to look at the refs. */
		if (poll(pf, 2, 1000) < 0 && errno != EINTR)
			break;
		read_keys(t);   /* a resize arrives as a key after EINTR */
		if (pf[1].revents & POLLIN)
			tui_sync_drain(t);
		if ((pf[1].revents & POLLIN) || mono() - last_look >= 0.9) {
			look(t);
			last_look = mono();
		}
	}
}

static int start(tui *t, const char *room, double interval)
{
	t->rooms = calloc(1, sizeof(*t->rooms));
	if (!t->rooms || !(t->rooms[0].name = strdup(room)))
		return cli_fatal("out of memory");
	t->nrooms = 1;
	if (tui_rooms_refresh(t, 0) < 0)
		return cli_fatal_lib();
	t->cur = (size_t)tui_rooms_find(t, room);
	cli_refs_signature(&t->all_sig, gitchat_store_repository(t->store), NULL);
	/* Every network library now, while a warning can still reach the
	 * terminal: once the screen is ours, one would land in the middle. */
	cli_net_prepare("https://");
	cli_net_prepare("ssh://");
	if (tui_screen_start(&t->scr) < 0)
		return cli_fatal("cannot start the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "");
	tui_screen_layout(t);
	if (tui_conv_open(t) < 0)
		tui_notice(t, "cannot read the room: %s", gitchat_error_last()->message);
	tui_draft_load(t);
	t->sync.interval = interval;
	if (tui_sync_start(t) < 0)
		tui_notice(t, "cannot start syncing in the background: %s", strerror(errno));
	return 0;
}

static void finish(tui *t)
{
	tui_draft_save(t);
	tui_sync_stop(t);
	if (t->scr.comp)
		tui_screen_end(&t->scr);
	tui_conv_close(&t->conv);
	gitchat_buf_dispose(&t->conv.sig);
	for (size_t i = 0; i < t->nrooms; i++) {
		free(t->rooms[i].name);
		free(t->rooms[i].label);
		gitchat_buf_dispose(&t->rooms[i].sig);
	}
	free(t->rooms);
	gitchat_buf_dispose(&t->comp.text);
	gitchat_buf_dispose(&t->all_sig);
	cli_notify_dispose(&t->notify);
	gitchat_key_free(t->key);
	free(t->key_error);
	free(t->read_error);
	free(t->problem);
	free(t->notice);
	tui_attach_clear(t);
	gitchat_store_free(t->store);
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;   /* no SA_RESTART: poll returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int cmd_tui(int argc, char **argv)
{
	tui t;
	const char *room_arg = NULL, *keypath = NULL, *interval_arg = NULL;
	char *room = NULL;
	double interval = 5;
	cli_parser p;
	int c, ret;

	memset(&t, 0, sizeof(t));
	pthread_mutex_init(&t.sync.lock, NULL);
	pthread_cond_init(&t.sync.cond, NULL);
	t.sync.wake[0] = t.sync.wake[1] = -1;
	cli_parser_init(&p, &usage_tui, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'r': room_arg = p.value; break;
		case 'k': keypath = p.value; break;
		case 'i':
			if (cli_syncloop_interval(&interval, p.value) < 0)
				return cli_usage_error(&usage_tui, "--interval needs seconds (0.05 to 86400), "
				                       "not '%s'", p.value);
			interval_arg = p.value;
			break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (p.nargs)
		return cli_usage_error(&usage_tui, "unexpected argument '%s'", p.args[0]);
	if (!isatty(0) || !isatty(1))
		return cli_fatal("tui needs a terminal; 'git chat follow' and 'git chat send' work "
		                 "without one");
	if ((ret = cli_open_store(&t.store)) != 0 ||
	    (ret = cli_room(&room, gitchat_store_repository(t.store), room_arg)) != 0)
		goto done;
	if (!interval_arg)
		config_interval(&interval, gitchat_store_repository(t.store));
	if (cli_notify_init(&t.notify, gitchat_store_repository(t.store), NULL) < 0) {
		ret = CLI_EXIT_USAGE;
		goto done;
	}
	t.notify.ring = tui_screen_bell;
	load_key(&t, keypath);
	catch_signals();
	if ((ret = start(&t, room, interval)) == 0)
		loop(&t);
done:
	finish(&t);
	free(room);
	pthread_mutex_destroy(&t.sync.lock);
	pthread_cond_destroy(&t.sync.cond);
	return ret;
}
