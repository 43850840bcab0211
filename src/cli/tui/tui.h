/*
 * git chat tui: the terminal client. One file per job, all sharing the
 * state below: screen.c (curses, layout, styled lines), composer.c (the
 * text being written), rooms.c (the room list and unread counts), conv.c
 * (the conversation pane), actions.c (send, reply, edit, react, redact),
 * keymap.c (keys to actions, the help), draft.c (drafts kept on disk),
 * bgsync.c (the sync thread), status.c (the status line).
 *
 * Every rule of DESIGN.md is the library's: the client loads, orders,
 * renders and sends through the API log, follow and send use (a private
 * room read through gitchat_private_open, written through
 * gitchat_private_send: reader.c, cli_send_id), and shows untrusted text
 * only through the renderers or gitchat_text_escape.
 */
#ifndef GITCHAT_CLI_TUI_H
#define GITCHAT_CLI_TUI_H

#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <pthread.h>
#include <time.h>

#include "reader.h"
#include "notify.h"
#include "syncloop.h"

/* The key code of Alt-Enter (ESC then Enter, read as one key). */
#define KEY_ALT_ENTER (KEY_MAX + 1)

/* Messages sent and shown before the room is ordered again with them. */
#define TUI_MAX_PENDING 8

/* Lines of one message shown at most; the rest is summed up. */
#define TUI_MAX_MESSAGE_LINES 40

typedef enum {
	TUI_WRITE = 0,   /* typing a message */
	TUI_SELECT,      /* moving through the messages */
	TUI_REPLY,       /* typing a reply to the selected message */
	TUI_EDIT,        /* typing the new text of one's own message */
	TUI_REACT,       /* typing an emoji */
	TUI_REDACT,      /* asking: delete it? */
	TUI_HELP         /* the keys, until a key is pressed */
} tui_mode;

typedef struct {
	gitchat_buf text;   /* UTF-8 */
	size_t cur;         /* byte offset of the cursor */
	int changed;        /* since the draft was saved */
} tui_composer;

typedef struct {
	char *name;
	char *label;        /* a private room's title or "dm with", else NULL */
	size_t unread;
	gitchat_buf sig;    /* its refs when counted */
} tui_room;

typedef struct {
	gitchat_conversation *conv;
	gitchat_private *priv;   /* a private room as read (its filter on conv) */
	gitchat_view *view;
	size_t count;
	size_t bottom;      /* the entry at the bottom of the pane */
	int at_end;         /* following the end (bottom = the last) */
	size_t selected;    /* GITCHAT_NO_INDEX: none */
	size_t new_from;    /* the "new" rule goes before this entry */
	size_t skipped;     /* commits left out as invalid at the last load */
	size_t top;         /* the entry at the top at the last draw */
	git_oid marked;     /* where the read marker was put */
	gitchat_buf sig;    /* the room's refs at the last load */
	/* Messages just sent, shown at the end until the room, ordered by
	 * the sync thread (bgsync.c), is loaded again with them. */
	git_oid pending[TUI_MAX_PENDING];
	gitchat_buf pending_text[TUI_MAX_PENDING];
	size_t npending;
} tui_conv;

typedef struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int started, stop, now;   /* now: sync at once (after a send) */
	int wake[2];              /* a byte after each round */
	double interval;
	char *gitdir;
	/* Under lock: what the last round left. */
	time_t last;
	int remotes;
	char *failed;             /* "name: why; ..." or NULL */
	size_t blocked, forks;
	char *said;               /* the last thing a round said */
	char *load_room;          /* a room to order before the screen reads it */
	int loading;              /* a load asked for and not done yet */
	int dead;                 /* the thread could not open the store */
} tui_sync;

typedef struct {
	WINDOW *rooms, *conv, *status, *comp;
	int rows, cols, rooms_w, comp_h;
	int color;
} tui_screen;

typedef struct tui {
	gitchat_store *store;
	gitchat_key *key;           /* NULL: reading only, sending says why */
	const gitchat_pubkey *me;
	char *key_error;
	/* Private rooms decrypt with the key when it has its secret half
	 * (a key file, or one unlocked before the screen started); else why
	 * they cannot be read. */
	char *read_error;
	char *problem;              /* the last refusal in the room on screen */
	tui_room *rooms;
	size_t nrooms, cur;
	tui_conv conv;
	tui_composer comp;
	tui_mode mode;
	git_oid target;             /* the message replied to, edited, reacted to */
	tui_sync sync;
	cli_notify notify;
	tui_screen scr;
	gitchat_buf all_sig;        /* every room's refs */
	char *notice;               /* the last error or note, shown in the status */
	gitchat_attachment *attach; /* files for the next message (/attach PATH) */
	size_t nattach;
	int dirty, quit;
} tui;

/* screen.c */
int tui_screen_start(tui_screen *s);
void tui_screen_end(tui_screen *s);
void tui_screen_layout(tui *t);
/* A line of the text renderer (its own SGR styles; the untrusted text in
 * it is escaped already) drawn at the cursor, cut at the window's edge. */
void tui_screen_put_styled(WINDOW *w, const char *s, size_t len, int extra);
void tui_screen_draw(tui *t);
void tui_screen_bell(void);

/* composer.c */
void tui_composer_insert(tui_composer *c, const char *s, size_t len);
void tui_composer_set(tui_composer *c, const char *s, size_t len);
void tui_composer_backspace(tui_composer *c);
void tui_composer_delete(tui_composer *c);
void tui_composer_move(tui_composer *c, int dir);
void tui_composer_home_end(tui_composer *c, int end);
void tui_composer_clear(tui_composer *c);
void tui_composer_draw(tui *t);

/* rooms.c */
int tui_rooms_refresh(tui *t, int notify);
int tui_rooms_find(tui *t, const char *name);
void tui_rooms_draw(tui *t);

/* conv.c */
/* A room loaded as log loads it (reader_room_load), the commits left out
 * counted; a private room read with the user's key, its refusals kept in
 * t->problem when `report`. */
int tui_load(gitchat_conversation **conv, gitchat_private **priv, gitchat_view **view,
             size_t *skipped, tui *t, const char *room, int report);
/* The key that reads private rooms, NULL when there is none (why: in
 * t->read_error or t->key_error). */
const gitchat_key *tui_read_key(tui *t);
int tui_conv_open(tui *t);
int tui_conv_reload(tui *t);
void tui_conv_close(tui_conv *c);
void tui_conv_scroll(tui *t, int pages);
void tui_conv_select(tui *t, int dir);
void tui_conv_mark_read(tui *t);
void tui_conv_draw(tui *t);
/* Shows message `id`, just sent, at the end until the room is loaded
 * again with it in its place. */
void tui_conv_pending(tui *t, const git_oid *id);

/* actions.c */
void tui_action_enter(tui *t);
void tui_action_begin(tui *t, tui_mode mode);
void tui_action_redact(tui *t);
/* Drops the files attached for the next message. */
void tui_attach_clear(tui *t);
/* Saves the selected message's files into the current directory. */
void tui_action_save(tui *t);
void tui_notice(tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* keymap.c */
void tui_key(tui *t, int is_key, wint_t ch);
void tui_help_draw(tui *t);

/* draft.c */
void tui_draft_save(tui *t);
void tui_draft_load(tui *t);

/* bgsync.c */
int tui_sync_start(tui *t);
void tui_sync_stop(tui *t);
void tui_sync_kick(tui *t);
/* Asks the sync thread to order `room` (the index updated on disk), then
 * to sync; the screen reloads the room when it is done. */
void tui_sync_load(tui *t, const char *room);
/* 1 while a load asked for is not done. */
int tui_sync_loading(tui *t);
/* 1 when the thread runs and takes loads. */
int tui_sync_alive(tui *t);
void tui_sync_drain(tui *t);

/* status.c */
void tui_status_draw(tui *t);

#endif
