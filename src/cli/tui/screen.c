/* Curses: the terminal, the four windows and their layout, and the
 * renderer's styled lines drawn as curses attributes. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define ROOMS_W 22
#define COMP_MAX 6

int tui_screen_start(tui_screen *s)
{
	memset(s, 0, sizeof(*s));
	setlocale(LC_ALL, "");
	/* Alt-Enter arrives as ESC then Enter, at once: wait little for it. */
	if (!getenv("ESCDELAY"))
		set_escdelay(25);
	if (!initscr())
		return -1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	if (has_colors() && !(getenv("NO_COLOR") && *getenv("NO_COLOR"))) {
		start_color();
		use_default_colors();
		for (short i = 1; i < 8; i++)
			init_pair(i, i, -1);
		s->color = 1;
	}
	return 0;
}

void tui_screen_end(tui_screen *s)
{
	if (s->rooms) delwin(s->rooms);
	if (s->conv) delwin(s->conv);
	if (s->status) delwin(s->status);
	if (s->comp) delwin(s->comp);
	memset(s, 0, sizeof(*s));
	endwin();
}

static WINDOW *place(WINDOW *w, int h, int wd, int y, int x)
{
	if (w)
		delwin(w);
	w = newwin(h > 0 ? h : 1, wd > 0 ? wd : 1, y, x);
	if (w) {
		keypad(w, TRUE);
		nodelay(w, TRUE);
	}
	return w;
}

/* Rooms on the left, the conversation on the right, the status line and
 * the composer (as tall as its text, up to COMP_MAX lines) at the bottom. */
void tui_screen_layout(tui *t)
{
	tui_screen *s = &t->scr;
	int comp_h = 1, lines = 1;

	for (size_t i = 0; i < t->comp.text.size; i++)
		lines += t->comp.text.ptr[i] == '\n';
	comp_h = lines < COMP_MAX ? lines : COMP_MAX;
	getmaxyx(stdscr, s->rows, s->cols);
	s->rooms_w = s->cols >= 60 ? ROOMS_W : 0;
	s->comp_h = comp_h + (t->mode == TUI_REPLY || t->mode == TUI_EDIT || t->mode == TUI_REACT);
	s->rooms = place(s->rooms, s->rows - s->comp_h - 1, s->rooms_w, 0, 0);
	s->conv = place(s->conv, s->rows - s->comp_h - 1, s->cols - s->rooms_w, 0, s->rooms_w);
	s->status = place(s->status, 1, s->cols, s->rows - s->comp_h - 1, 0);
	s->comp = place(s->comp, s->comp_h, s->cols, s->rows - s->comp_h, 0);
	t->dirty = 1;
}

/* The renderer's SGR ("\033[0;1;31m") as curses attributes. */
static attr_t sgr_attr(const char *p, const char *end, short *pair)
{
	attr_t a = A_NORMAL;
	long v;

	*pair = 0;
	while (p < end) {
		v = strtol(p, (char **)&p, 10);
		if (v == 1) a |= A_BOLD;
		else if (v == 2) a |= A_DIM;
		else if (v == 3) a |= A_ITALIC;
		else if (v == 4) a |= A_UNDERLINE;
		else if (v == 7) a |= A_REVERSE;
		else if (v >= 31 && v <= 37) *pair = (short)(v - 30);
		if (p < end && *p == ';')
			p++;
		else
			break;
	}
	return a;
}

void tui_screen_put_styled(WINDOW *w, const char *s, size_t len, int extra)
{
	size_t i = 0, start = 0;
	short pair = 0;
	attr_t a = A_NORMAL;

	wattr_set(w, (attr_t)extra, 0, NULL);
	while (i <= len) {
		/* Only the renderer writes ESC: authors' ones are escaped. */
		if (i == len || s[i] == '\033') {
			if (i > start)
				waddnstr(w, s + start, (int)(i - start));
			if (i == len)
				break;
			if (i + 1 < len && s[i + 1] == '[') {
				const char *m = memchr(s + i, 'm', len - i);
				if (!m)
					break;
				a = sgr_attr(s + i + 2, m, &pair);
				wattr_set(w, a | (attr_t)extra, pair, NULL);
				i = (size_t)(m - s) + 1;
			} else {
				i++;
			}
			start = i;
			continue;
		}
		i++;
	}
	wattr_set(w, A_NORMAL, 0, NULL);
}

void tui_screen_draw(tui *t)
{
	if (t->mode == TUI_HELP) {
		tui_help_draw(t);
	} else {
		tui_rooms_draw(t);
		tui_conv_draw(t);
	}
	tui_status_draw(t);
	tui_composer_draw(t);
	doupdate();
	t->dirty = 0;
}

void tui_screen_bell(void)
{
	beep();
}
