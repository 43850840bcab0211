/* The conversation pane: the room as `log` shows it (the same renderer,
 * day separators, replies, edits, reactions, the "new" rule), drawn from
 * the bottom up so that only what fits is loaded, with scrollback and a
 * selected message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static int count_problem(const gitchat_problem *p, void *payload)
{
	(void)p;
	(*(size_t *)payload)++;
	return 0;
}

const gitchat_key *tui_read_key(tui *t)
{
	return t->key && !gitchat_key_agent_signs(t->key) ? t->key : NULL;
}

/* A refusal of the reading rules in the room on screen: what log warns,
 * kept for the status line. */
static int keep_problem(const gitchat_problem *p, void *payload)
{
	tui *t = payload;
	char hex[9] = "";

	if (p->commit)
		git_oid_tostr(hex, sizeof(hex), p->commit);
	free(t->problem);
	if (asprintf(&t->problem, "%s: %s", hex, p->reason) < 0)
		t->problem = NULL;
	t->dirty = 1;
	return 0;
}

int tui_load(gitchat_conversation **conv, gitchat_private **priv, gitchat_view **view,
             size_t *skipped, tui *t, const char *room, int report)
{
	gitchat_conversation_options o = GITCHAT_CONVERSATION_OPTIONS_INIT;
	int error;

	*view = NULL;
	*skipped = 0;
	o.problem_cb = count_problem;
	o.payload = skipped;
	if ((error = reader_room_load(conv, priv, t->store, room, &o, tui_read_key(t),
	                              report ? keep_problem : NULL, report ? t : NULL)) < 0)
		return error;
	if ((error = gitchat_view_new(view, *conv)) < 0) {
		gitchat_conversation_free(*conv);
		gitchat_private_free(*priv);
		*conv = NULL;
		*priv = NULL;
	}
	return error;
}

static void pending_clear(tui_conv *c)
{
	for (size_t i = 0; i < c->npending; i++)
		gitchat_buf_dispose(&c->pending_text[i]);
	c->npending = 0;
}

void tui_conv_close(tui_conv *c)
{
	pending_clear(c);
	gitchat_view_free(c->view);
	gitchat_conversation_free(c->conv);
	gitchat_private_free(c->priv);
	c->view = NULL;
	c->conv = NULL;
	c->priv = NULL;
	c->count = 0;
}

static const char *room_name(tui *t)
{
	return t->rooms[t->cur].name;
}

/* The visible entry at or before i, or GITCHAT_NO_INDEX. */
static size_t visible_before(const tui_conv *c, size_t i)
{
	for (i = i < c->count ? i + 1 : c->count; i > 0; i--)
		if (gitchat_view_visible(c->view, i - 1))
			return i - 1;
	return GITCHAT_NO_INDEX;
}

static size_t visible_after(const tui_conv *c, size_t i)
{
	for (i++; i < c->count; i++)
		if (gitchat_view_visible(c->view, i))
			return i;
	return GITCHAT_NO_INDEX;
}

void tui_conv_mark_read(tui *t)
{
	tui_conv *c = &t->conv;
	gitchat_conversation_entry e;

	if (!c->at_end || !c->count || gitchat_conversation_entry_get(&e, c->conv, c->count - 1) < 0)
		return;
	t->rooms[t->cur].unread = 0;
	if (!git_oid_cmp(&c->marked, e.id))
		return;
	if (gitchat_read_marker_set(t->store, room_name(t), e.id) < 0)
		tui_notice(t, "cannot move the read marker: %s", gitchat_error_last()->message);
	else
		git_oid_cpy(&c->marked, e.id);
}

/* The room on screen's label, from the room as just read. */
static void set_label(tui *t)
{
	tui_room *r = &t->rooms[t->cur];
	char *label = NULL;

	if (reader_private_label(&label, t->conv.priv, t->me, 1) < 0)
		return;
	free(r->label);
	r->label = label;
	gitchat_error_clear();
}

int tui_conv_open(tui *t)
{
	tui_conv *c = &t->conv;
	size_t read_upto = 0;

	tui_conv_close(c);
	memset(&c->marked, 0, sizeof(c->marked));
	free(t->problem);
	t->problem = NULL;
	if (tui_load(&c->conv, &c->priv, &c->view, &c->skipped, t, room_name(t), 1) < 0)
		return -1;
	set_label(t);
	c->count = gitchat_conversation_count(c->conv);
	if (gitchat_read_marker_get(&read_upto, t->store, c->conv, room_name(t)) < 0)
		gitchat_error_clear();
	c->new_from = read_upto && read_upto < c->count ? read_upto : GITCHAT_NO_INDEX;
	c->at_end = 1;
	c->bottom = visible_before(c, c->count);
	c->selected = GITCHAT_NO_INDEX;
	cli_refs_signature(&c->sig, gitchat_store_repository(t->store), room_name(t));
	tui_conv_mark_read(t);
	t->dirty = 1;
	return 0;
}

/* The index of `id` in the new conversation, or `fallback`. */
static size_t refind(const tui_conv *old, size_t i, const tui_conv *now, size_t fallback)
{
	gitchat_conversation_entry e;
	size_t pos;

	if (i == GITCHAT_NO_INDEX || gitchat_conversation_entry_get(&e, old->conv, i) < 0 ||
	    gitchat_conversation_find(&pos, now->conv, e.id) < 0) {
		gitchat_error_clear();
		return fallback;
	}
	return pos;
}

/* The room again after its refs moved, keeping the place read and the
 * selection; mentions of the user in what arrived are notified. */
int tui_conv_reload(tui *t)
{
	tui_conv *c = &t->conv, now = *c;
	size_t i;

	if (tui_load(&now.conv, &now.priv, &now.view, &now.skipped, t, room_name(t), 1) < 0)
		return -1;
	now.count = gitchat_conversation_count(now.conv);
	now.bottom = now.at_end ? visible_before(&now, now.count)
	                        : refind(c, c->bottom, &now, visible_before(&now, now.count));
	now.selected = refind(c, c->selected, &now, GITCHAT_NO_INDEX);
	now.new_from = refind(c, c->new_from, &now, GITCHAT_NO_INDEX);
	for (i = c->count; i < now.count; i++) {
		gitchat_view_item *it = NULL;
		if (!gitchat_view_visible(now.view, i) || gitchat_view_item_load(&it, now.view, i) < 0)
			continue;
		if ((!t->me || gitchat_pubkey_cmp(t->me, &it->msg->key)) &&
		    cli_notify_mentions(&t->notify, it->text, it->text_len))
			cli_notify_message(&t->notify, room_name(t), "you are mentioned",
			                   it->text, it->text_len);
		gitchat_view_item_free(it);
	}
	gitchat_error_clear();
	gitchat_view_free(c->view);
	gitchat_conversation_free(c->conv);
	gitchat_private_free(c->priv);
	/* A message sent is no longer pending once the room holds it. */
	now.npending = 0;
	for (i = 0; i < c->npending; i++) {
		size_t pos;
		if (gitchat_conversation_find(&pos, now.conv, &c->pending[i]) == 0) {
			gitchat_buf_dispose(&c->pending_text[i]);
			continue;
		}
		now.pending[now.npending] = c->pending[i];
		now.pending_text[now.npending++] = c->pending_text[i];
	}
	gitchat_error_clear();
	*c = now;
	set_label(t);
	cli_refs_signature(&c->sig, gitchat_store_repository(t->store), room_name(t));
	tui_conv_mark_read(t);
	t->dirty = 1;
	return 0;
}

void tui_conv_scroll(tui *t, int pages)
{
	tui_conv *c = &t->conv;
	int h = getmaxy(t->scr.conv), steps = h / 4 > 1 ? h / 4 : 1;
	size_t i = c->bottom, n;

	for (; steps > 0 && i != GITCHAT_NO_INDEX; steps--) {
		n = pages < 0 ? (i ? visible_before(c, i - 1) : GITCHAT_NO_INDEX) : visible_after(c, i);
		if (n == GITCHAT_NO_INDEX)
			break;
		i = n;
	}
	c->bottom = i;
	c->at_end = visible_after(c, c->bottom) == GITCHAT_NO_INDEX;
	tui_conv_mark_read(t);
	t->dirty = 1;
}

void tui_conv_select(tui *t, int dir)
{
	tui_conv *c = &t->conv;
	size_t n;

	if (c->selected == GITCHAT_NO_INDEX)
		n = dir < 0 ? c->bottom : GITCHAT_NO_INDEX;
	else if (dir < 0)
		n = c->selected ? visible_before(c, c->selected - 1) : GITCHAT_NO_INDEX;
	else
		n = visible_after(c, c->selected);
	if (n == GITCHAT_NO_INDEX) {
		if (dir > 0) {
			c->selected = GITCHAT_NO_INDEX;
			t->mode = TUI_WRITE;
		}
		t->dirty = 1;
		return;
	}
	c->selected = n;
	if (n > c->bottom || (c->top != GITCHAT_NO_INDEX && n < c->top))
		c->bottom = n;
	c->at_end = visible_after(c, c->bottom) == GITCHAT_NO_INDEX;
	t->dirty = 1;
}

/* One message rendered as log renders it, cut to TUI_MAX_MESSAGE_LINES. */
static int render_one(gitchat_buf *out, gitchat_text_renderer *r, tui_conv *c, size_t i)
{
	gitchat_view_item *it = NULL;
	gitchat_conversation_entry e;
	size_t prev = i ? visible_before(c, i - 1) : GITCHAT_NO_INDEX, k, lines = 0;
	int error;

	if ((error = gitchat_view_item_load(&it, c->view, i)) < 0)
		return error;
	if (prev != GITCHAT_NO_INDEX && gitchat_conversation_entry_get(&e, c->conv, prev) == 0)
		gitchat_text_renderer_set_previous(r, 1, e.time);
	else
		gitchat_text_renderer_set_previous(r, 0, 0);
	if ((error = gitchat_text_renderer_note_author(r, it->name, &it->person)) < 0 ||
	    (it->has_reply &&
	     (error = gitchat_text_renderer_note_author(r, it->reply_name, &it->reply_person)) < 0) ||
	    (i == c->new_from && (error = gitchat_text_render_rule(out, r, "new")) < 0) ||
	    (error = gitchat_text_render_item(out, r, it)) < 0)
		goto done;
	for (k = 0; k < out->size; k++)
		if (out->ptr[k] == '\n' && ++lines == TUI_MAX_MESSAGE_LINES && k + 1 < out->size) {
			size_t more = 0;
			for (size_t j = k + 1; j < out->size; j++)
				more += out->ptr[j] == '\n';
			out->size = k + 1;
			out->ptr[out->size] = '\0';
			error = gitchat_buf_printf(out, "  … %zu more lines ('git chat log' shows them)\n",
			                           more);
			break;
		}
done:
	gitchat_view_item_free(it);
	return error;
}

typedef struct {
	gitchat_buf text;
	size_t index;
} block;

void tui_conv_pending(tui *t, const git_oid *id)
{
	tui_conv *c = &t->conv;
	gitchat_text_options o = GITCHAT_TEXT_OPTIONS_INIT;
	gitchat_text_renderer *r = NULL;
	gitchat_message *m = NULL;
	gitchat_view_item it;
	gitchat_person who;
	gitchat_conversation_entry e;
	size_t last = visible_before(c, c->count);
	gitchat_view_item *target = NULL;
	size_t pos;
	gitchat_buf *out;

	if (c->npending == TUI_MAX_PENDING)
		return;   /* the next reload shows them all */
	out = &c->pending_text[c->npending];
	memset(out, 0, sizeof(*out));
	o.width = (unsigned)(getmaxx(t->scr.conv) > 12 ? getmaxx(t->scr.conv) - 2 : 10);
	o.color = t->scr.color;
	/* Read back through the library's checked reader, shown by the
	 * renderer log uses, as a message with no edits or reactions yet. */
	if (gitchat_message_read(&m, t->store, id, t->rooms[t->cur].name) < 0 ||
	    gitchat_text_renderer_new(&r, &o) < 0)
		goto done;
	memset(&it, 0, sizeof(it));
	it.index = GITCHAT_NO_INDEX;
	it.msg = m;
	it.text = m->text;
	it.text_len = m->text_len;
	/* The message replied to, as the view would give it. */
	if (m->has_reply && gitchat_conversation_find(&pos, c->conv, &m->reply_to) == 0 &&
	    gitchat_view_item_load(&target, c->view, pos) == 0) {
		it.has_reply = 1;
		it.reply_name = target->name;
		it.reply_key = target->msg->key;
		it.reply_person = target->person;
		it.reply_name_shared = target->name_shared;
		it.reply_text = (char *)target->text;
		it.reply_redacted = target->redacted;
	}
	if (last != GITCHAT_NO_INDEX && gitchat_conversation_entry_get(&e, c->conv, last) == 0)
		gitchat_text_renderer_set_previous(r, 1, e.time);
	/* The author as the view shows people (gitchat/persons.h). */
	gitchat_persons_lookup(&who, gitchat_view_persons(c->view), &m->key);
	it.name = (char *)(who.name ? who.name : m->author_name);
	it.person = *who.key;
	it.has_profile = who.name != NULL;
	it.name_shared = who.name_shared;
	if (gitchat_text_renderer_note_author(r, it.name, &it.person) == 0 &&
	    gitchat_text_render_item(out, r, &it) == 0) {
		git_oid_cpy(&c->pending[c->npending++], id);
		t->dirty = 1;
	}
done:
	if (c->npending == 0 || !git_oid_equal(&c->pending[c->npending - 1], id))
		gitchat_buf_dispose(out);
	gitchat_error_clear();
	gitchat_text_renderer_free(r);
	gitchat_view_item_free(target);
	gitchat_message_free(m);
}

static void draw_header(tui *t, WINDOW *w, int wd)
{
	gitchat_buf name = GITCHAT_BUF_INIT;
	const char *label = t->rooms[t->cur].label;

	/* A private room: its title (a member's text) and then its name. */
	if (label)
		gitchat_text_escape(&name, label, strlen(label), (size_t)wd / 2);
	else
		gitchat_text_escape(&name, room_name(t), strlen(room_name(t)), (size_t)wd / 2);
	wattr_set(w, A_BOLD, 0, NULL);
	mvwprintw(w, 0, 1, "%s", name.ptr ? name.ptr : "");
	wattr_set(w, A_DIM, 0, NULL);
	if (label)
		wprintw(w, "  %s", room_name(t));
	wprintw(w, "  %s", t->conv.at_end ? "" : "(scrolled back: End returns)");
	wattr_set(w, A_NORMAL, 0, NULL);
	gitchat_buf_dispose(&name);
}

/* Draws the lines of blocks[nb-1] (top) .. blocks[0] (bottom), the last
 * `h` of them, from row 1. */
static void draw_blocks(tui *t, WINDOW *w, block *b, size_t nb, int h, size_t total)
{
	size_t skip = total > (size_t)h ? total - (size_t)h : 0, k;
	int y = 1;

	t->conv.top = GITCHAT_NO_INDEX;
	for (k = nb; k-- > 0;) {
		const char *s = b[k].text.ptr ? b[k].text.ptr : "", *end = s + b[k].text.size;
		int sel = b[k].index != GITCHAT_NO_INDEX && b[k].index == t->conv.selected;
		while (s < end && y <= h) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
			if (skip) {
				skip--;
			} else {
				if (t->conv.top == GITCHAT_NO_INDEX)
					t->conv.top = b[k].index;   /* the first shown, even in part */
				if (sel) {
					wattr_set(w, A_BOLD | A_REVERSE, 0, NULL);
					mvwaddch(w, y, 0, '>');
				}
				wmove(w, y++, 1);
				tui_screen_put_styled(w, s, len, 0);
			}
			s += len + 1;
		}
	}
}

/* One more block at the top: a message's lines. */
static block *add_block(block **b, size_t *nb, size_t index)
{
	block *nbk = realloc(*b, (*nb + 1) * sizeof(*nbk));

	if (!nbk)
		return NULL;
	*b = nbk;
	memset(&nbk[*nb], 0, sizeof(nbk[*nb]));
	nbk[*nb].index = index;
	return &nbk[(*nb)++];
}

static size_t count_lines(const gitchat_buf *text)
{
	size_t n = 0;

	for (size_t k = 0; k < text->size; k++)
		n += text->ptr[k] == '\n';
	return n;
}

void tui_conv_draw(tui *t)
{
	WINDOW *w = t->scr.conv;
	tui_conv *c = &t->conv;
	gitchat_text_options o = GITCHAT_TEXT_OPTIONS_INIT;
	gitchat_text_renderer *r = NULL;
	block *b = NULL;
	size_t nb = 0, total = 0, i = c->bottom;
	int h, wd;

	werase(w);
	getmaxyx(w, h, wd);
	draw_header(t, w, wd);
	o.width = (unsigned)(wd > 12 ? wd - 2 : 10);
	o.color = t->scr.color;
	if (gitchat_text_renderer_new(&r, &o) < 0)
		goto done;
	for (size_t k = c->at_end ? c->npending : 0; k-- > 0;) {
		block *nbk = add_block(&b, &nb, GITCHAT_NO_INDEX);
		if (!nbk)
			break;
		gitchat_buf_put(&nbk->text, c->pending_text[k].ptr, c->pending_text[k].size);
		total += count_lines(&nbk->text);
	}
	while (i != GITCHAT_NO_INDEX && total < (size_t)(h - 1)) {
		block *nbk = add_block(&b, &nb, i);
		if (!nbk)
			break;
		if (render_one(&nbk->text, r, c, i) < 0)
			gitchat_buf_printf(&nbk->text, "  (cannot show this message: %s)\n",
			                   gitchat_error_last()->message);
		total += count_lines(&nbk->text);
		i = i ? visible_before(c, i - 1) : GITCHAT_NO_INDEX;
	}
	if (!c->count) {
		wattr_set(w, A_DIM, 0, NULL);
		mvwaddstr(w, 2, 2, "no messages yet: type one and press Enter (? shows the keys)");
		wattr_set(w, A_NORMAL, 0, NULL);
	}
	draw_blocks(t, w, b, nb, h - 1, total);
done:
	for (size_t k = 0; k < nb; k++)
		gitchat_buf_dispose(&b[k].text);
	free(b);
	gitchat_text_renderer_free(r);
	gitchat_error_clear();
	wnoutrefresh(w);
}
