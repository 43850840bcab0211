/* Keys to actions, per mode, and the help screen that lists them. */
#include <limits.h>
#include <string.h>
#include <wchar.h>

#include "tui.h"

#define CTRL(c) ((c) & 0x1f)

static const char *const help[] = {
	"git chat tui: keys",
	"",
	"  Enter            send the message (Markdown as typed)",
	"  Alt-Enter        a new line in the message",
	"  Ctrl-D, /quit    quit (Ctrl-D on an empty composer); the draft is kept",
	"  Tab, Shift-Tab   next, previous room (also Ctrl-N, Ctrl-P)",
	"  PgUp, PgDn       scroll back, forward; End: back to the newest",
	"  Up               (empty composer) select a message: Up, Down move",
	"    r  reply       e  edit (yours)    +  react    d  delete (yours)",
	"    s  save its files in the current directory",
	"  /attach PATH     a file for the next message (Enter sends)",
	"    Esc            back to writing",
	"  Ctrl-L           redraw",
	"  ?                (empty composer) this help",
	"",
	"Drafts are saved as you type and come back when you return.",
	"git config chat.notify: off, bell, desktop, all or auto;",
	"chat.tuiInterval: seconds between syncs ('docs/tui.md').",
	"",
	"press any key",
};

void tui_help_draw(tui *t)
{
	WINDOW *w = t->scr.conv;

	werase(w);
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]) && (int)i + 1 < getmaxy(w); i++)
		mvwaddstr(w, (int)i + 1, 2, help[i]);
	wnoutrefresh(w);
	if (t->scr.rooms_w) {
		werase(t->scr.rooms);
		wnoutrefresh(t->scr.rooms);
	}
}

static void switch_room(tui *t, int dir)
{
	if (t->nrooms < 2)
		return;
	tui_draft_save(t);
	t->cur = (t->cur + t->nrooms + (size_t)(dir > 0 ? 1 : t->nrooms - 1)) % t->nrooms;
	t->mode = TUI_WRITE;
	if (tui_conv_open(t) < 0)
		tui_notice(t, "cannot read the room: %s", gitchat_error_last()->message);
	tui_draft_load(t);
}

/* Keys every mode but help shares: 1 when `ch` was one. */
static int common_key(tui *t, int is_key, wint_t ch)
{
	if (is_key) {
		switch (ch) {
		case KEY_BTAB: switch_room(t, -1); return 1;
		case KEY_PPAGE: tui_conv_scroll(t, -1); return 1;
		case KEY_NPAGE: tui_conv_scroll(t, 1); return 1;
		case KEY_END:
			if (t->mode == TUI_SELECT || !t->comp.text.size) {
				t->conv.at_end = 1;
				t->conv.bottom = (size_t)-1;
				tui_conv_reload(t);
				return 1;
			}
			return 0;
		case KEY_RESIZE: tui_screen_layout(t); return 1;
		}
		return 0;
	}
	switch (ch) {
	case '\t': case CTRL('n'): switch_room(t, 1); return 1;
	case CTRL('p'): switch_room(t, -1); return 1;
	case CTRL('l'): clearok(curscr, TRUE); t->dirty = 1; return 1;
	}
	return 0;
}

static void select_key(tui *t, int is_key, wint_t ch)
{
	if (is_key && ch == KEY_UP) { tui_conv_select(t, -1); return; }
	if (is_key && ch == KEY_DOWN) { tui_conv_select(t, 1); return; }
	if (is_key)
		return;
	switch (ch) {
	case 'k': tui_conv_select(t, -1); break;
	case 'j': tui_conv_select(t, 1); break;
	case 'r': tui_action_begin(t, TUI_REPLY); break;
	case 'e': tui_action_begin(t, TUI_EDIT); break;
	case '+': case 'a': tui_action_begin(t, TUI_REACT); break;
	case 'd': tui_action_begin(t, TUI_REDACT); break;
	case 's': tui_action_save(t); break;
	case '?': t->mode = TUI_HELP; t->dirty = 1; break;
	case 27: case 'q':
		t->mode = TUI_WRITE;
		t->conv.selected = GITCHAT_NO_INDEX;
		t->dirty = 1;
		break;
	}
}

static void compose_key(tui *t, int is_key, wint_t ch)
{
	tui_composer *c = &t->comp;
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t n;

	if (is_key) {
		switch (ch) {
		case KEY_BACKSPACE: tui_composer_backspace(c); break;
		case KEY_DC: tui_composer_delete(c); break;
		case KEY_LEFT: tui_composer_move(c, -1); break;
		case KEY_RIGHT: tui_composer_move(c, 1); break;
		case KEY_HOME: tui_composer_home_end(c, 0); break;
		case KEY_END: tui_composer_home_end(c, 1); break;
		case KEY_ENTER: tui_action_enter(t); break;
		case KEY_ALT_ENTER: tui_composer_insert(c, "\n", 1); tui_screen_layout(t); break;
		case KEY_UP:
			if (!c->text.size && t->mode == TUI_WRITE) {
				t->mode = TUI_SELECT;
				tui_conv_select(t, -1);
			}
			break;
		}
		t->dirty = 1;
		return;
	}
	switch (ch) {
	case '\r': case '\n': tui_action_enter(t); break;
	case 127: case CTRL('h'): tui_composer_backspace(c); break;
	case CTRL('a'): tui_composer_home_end(c, 0); break;
	case CTRL('e'): tui_composer_home_end(c, 1); break;
	case CTRL('u'): tui_composer_clear(c); tui_screen_layout(t); break;
	case CTRL('d'):
		if (!c->text.size)
			t->quit = 1;
		else
			tui_composer_delete(c);
		break;
	case 27:
		if (t->mode == TUI_WRITE && t->nattach) {
			tui_attach_clear(t);
			tui_notice(t, "attachments dropped");
		}
		if (t->mode != TUI_WRITE) {
			if (t->mode == TUI_EDIT)
				tui_composer_clear(c);
			t->mode = TUI_WRITE;
			tui_screen_layout(t);
		}
		break;
	case '?':
		if (!c->text.size && t->mode == TUI_WRITE) {
			t->mode = TUI_HELP;
			break;
		}
		/* fall through */ /* a question mark in a message */
		__attribute__((fallthrough));
	default:
		if (ch < 0x20)
			break;   /* other controls are no text */
		memset(&st, 0, sizeof(st));
		n = wcrtomb(mb, (wchar_t)ch, &st);
		if (n != (size_t)-1)
			tui_composer_insert(c, mb, n);
	}
	t->dirty = 1;
}

void tui_key(tui *t, int is_key, wint_t ch)
{
	if (t->mode == TUI_HELP) {
		t->mode = TUI_WRITE;
		t->dirty = 1;
		return;
	}
	if (common_key(t, is_key, ch))
		return;
	if (t->mode == TUI_REDACT) {
		if (!is_key && (ch == 'y' || ch == 'Y'))
			tui_action_redact(t);
		else
			t->mode = TUI_SELECT;
		t->dirty = 1;
	} else if (t->mode == TUI_SELECT) {
		select_key(t, is_key, ch);
	} else {
		compose_key(t, is_key, ch);
	}
}
