/* The composer: the text being written, a cursor that moves by UTF-8
 * character, drawn with its escapes visible (a pasted control character
 * is text, never a command to the terminal). */
#include <string.h>

#include "tui.h"

static size_t char_start(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

static size_t char_len(const char *s, size_t i, size_t n)
{
	size_t k = i + 1;
	while (k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
		k++;
	return k - i;
}

void tui_composer_insert(tui_composer *c, const char *s, size_t len)
{
	size_t tail = c->text.size - c->cur;

	if (gitchat_buf_put(&c->text, s, len) < 0)
		return;
	memmove(c->text.ptr + c->cur + len, c->text.ptr + c->cur, tail);
	memcpy(c->text.ptr + c->cur, s, len);
	c->cur += len;
	c->changed = 1;
}

void tui_composer_set(tui_composer *c, const char *s, size_t len)
{
	gitchat_buf_clear(&c->text);
	c->cur = 0;
	tui_composer_insert(c, s, len);
}

void tui_composer_clear(tui_composer *c)
{
	gitchat_buf_clear(&c->text);
	c->cur = 0;
	c->changed = 1;
}

static void cut(tui_composer *c, size_t from, size_t to)
{
	memmove(c->text.ptr + from, c->text.ptr + to, c->text.size - to);
	c->text.size -= to - from;
	c->text.ptr[c->text.size] = '\0';
	c->changed = 1;
}

void tui_composer_backspace(tui_composer *c)
{
	size_t from;

	if (!c->cur)
		return;
	from = char_start(c->text.ptr, c->cur - 1);
	cut(c, from, c->cur);
	c->cur = from;
}

void tui_composer_delete(tui_composer *c)
{
	if (c->cur < c->text.size)
		cut(c, c->cur, c->cur + char_len(c->text.ptr, c->cur, c->text.size));
}

void tui_composer_move(tui_composer *c, int dir)
{
	if (dir < 0 && c->cur)
		c->cur = char_start(c->text.ptr, c->cur - 1);
	else if (dir > 0 && c->cur < c->text.size)
		c->cur += char_len(c->text.ptr, c->cur, c->text.size);
}

void tui_composer_home_end(tui_composer *c, int end)
{
	if (end) {
		while (c->cur < c->text.size && c->text.ptr[c->cur] != '\n')
			c->cur++;
	} else {
		while (c->cur > 0 && c->text.ptr[c->cur - 1] != '\n')
			c->cur--;
	}
}

/* What the composer is for, above its text when it is not a message. */
static void draw_context(tui *t, WINDOW *w, int *y)
{
	static const char *what[] = { [TUI_REPLY] = "reply to", [TUI_EDIT] = "edit",
	                              [TUI_REACT] = "react to" };
	char hex[9];

	if (t->mode != TUI_REPLY && t->mode != TUI_EDIT && t->mode != TUI_REACT)
		return;
	git_oid_tostr(hex, sizeof(hex), &t->target);
	wattr_set(w, A_DIM, 0, NULL);
	mvwprintw(w, (*y)++, 0, "%s %s (Esc: cancel)%s", what[t->mode], hex,
	          t->mode == TUI_REACT ? ": type an emoji, Enter" : "");
	wattr_set(w, A_NORMAL, 0, NULL);
}

void tui_composer_draw(tui *t)
{
	WINDOW *w = t->scr.comp;
	gitchat_buf line = GITCHAT_BUF_INIT;
	const char *s = t->comp.text.ptr ? t->comp.text.ptr : "";
	size_t n = t->comp.text.size, start = 0, i, cur_line = 0, cur_col = 0;
	int y = 0, top, cy = 0, cx = 0, h, wd, nl = 0;

	werase(w);
	getmaxyx(w, h, wd);
	draw_context(t, w, &y);
	for (i = 0; i < t->comp.cur; i++)
		if (s[i] == '\n') {
			cur_line++;
			start = i + 1;
		}
	gitchat_text_escape(&line, s + start, t->comp.cur - start, (size_t)wd * 4);
	cur_col = gitchat_display_width(line.ptr ? line.ptr : "", line.size);
	/* Keep the cursor's line in view. */
	top = (int)cur_line - (h - y - 1);
	top = top < 0 ? 0 : top;
	for (i = 0, start = 0, nl = 0; i <= n; i++) {
		if (i < n && s[i] != '\n')
			continue;
		if (nl >= top && y < h) {
			gitchat_buf_clear(&line);
			gitchat_text_escape(&line, s + start, i - start, (size_t)(wd > 3 ? wd - 3 : 1));
			mvwaddstr(w, y, 0, nl == 0 ? "> " : "  ");
			waddnstr(w, line.ptr ? line.ptr : "", (int)line.size);
			if ((size_t)nl == cur_line) {
				cy = y;
				cx = 2 + (int)cur_col;
			}
			y++;
		}
		nl++;
		start = i + 1;
	}
	gitchat_error_clear();
	gitchat_buf_dispose(&line);
	wmove(w, cy, cx < wd ? cx : wd - 1);
	wnoutrefresh(w);
}
