/* What Enter does in each mode, through the library's writers (send's
 * cli_send_id: gitchat_send, gitchat_private_send in a private room): a
 * message, a reply, an edit, a reaction, a redaction. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

void tui_notice(tui *t, const char *fmt, ...)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(t->notice);
	t->notice = NULL;
	if (s && gitchat_text_escape(&b, s, strlen(s), 400) == 0)
		t->notice = strdup(b.ptr ? b.ptr : "");
	gitchat_error_clear();
	gitchat_buf_dispose(&b);
	free(s);
	t->dirty = 1;
}

void tui_attach_clear(tui *t)
{
	for (size_t i = 0; i < t->nattach; i++)
		free((char *)t->attach[i].path);
	free(t->attach);
	t->attach = NULL;
	t->nattach = 0;
}

/* "/attach PATH": a file for the next message (the send checks it). */
static void attach_add(tui *t, const char *path)
{
	gitchat_attachment *a = realloc(t->attach, (t->nattach + 1) * sizeof(*a));

	if (!a || !(a[t->nattach].path = strdup(path))) {
		if (a)
			t->attach = a;
		tui_notice(t, "out of memory");
		return;
	}
	t->attach = a;
	a[t->nattach].name = NULL;
	t->nattach++;
	tui_notice(t, "%zu file%s attached (%s); Enter sends, Esc drops them", t->nattach,
	           t->nattach == 1 ? "" : "s", path);
}

static int send_kind(tui *t, gitchat_message_kind kind, const char *text, size_t len)
{
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	git_oid id;

	if (!t->key) {
		tui_notice(t, "cannot send: %s", t->key_error ? t->key_error : "no key");
		return -1;
	}
	o.room = t->rooms[t->cur].name;
	o.text = text;
	o.text_len = len;
	o.kind = kind;
	if (t->mode == TUI_REPLY)
		o.reply_to = &t->target;
	if (kind != GITCHAT_MESSAGE_TEXT)
		o.target = &t->target;
	else {
		o.files = t->attach;
		o.file_count = t->nattach;
	}
	if (cli_send_id(&id, t->store, t->key, &o) < 0) {
		tui_notice(t, "not sent: %s", gitchat_error_last()->message);
		return -1;
	}
	free(t->notice);
	t->notice = NULL;
	if (kind == GITCHAT_MESSAGE_TEXT)
		tui_attach_clear(t);
	t->conv.at_end = 1;
	t->conv.selected = GITCHAT_NO_INDEX;
	/* Ordering a large room takes a while: the sync thread does it and
	 * the screen reloads the room after; a message shows at once. Without
	 * the thread, the screen orders it itself. */
	if (tui_sync_alive(t)) {
		/* A private message is an age file: it shows once read back
		 * through the room's reading rules, after the load. */
		if (kind == GITCHAT_MESSAGE_TEXT && !t->conv.priv)
			tui_conv_pending(t, &id);
		tui_sync_load(t, o.room);
	} else if (tui_conv_reload(t) < 0) {
		tui_notice(t, "cannot read the room: %s", gitchat_error_last()->message);
	}
	return 0;
}

void tui_action_enter(tui *t)
{
	static const gitchat_message_kind kinds[] = {
		[TUI_WRITE] = GITCHAT_MESSAGE_TEXT, [TUI_REPLY] = GITCHAT_MESSAGE_TEXT,
		[TUI_EDIT] = GITCHAT_MESSAGE_EDIT, [TUI_REACT] = GITCHAT_MESSAGE_REACT
	};
	tui_composer *c = &t->comp;
	const char *s = c->text.ptr ? c->text.ptr : "";

	if (t->mode == TUI_WRITE && (!strcmp(s, "/quit") || !strcmp(s, "/q"))) {
		tui_composer_clear(c);
		t->quit = 1;
		return;
	}
	if (t->mode == TUI_WRITE && !strncmp(s, "/attach ", 8)) {
		attach_add(t, s + 8);
		tui_composer_clear(c);
		return;
	}
	if (!c->text.size && !(t->nattach && kinds[t->mode] == GITCHAT_MESSAGE_TEXT))
		return;
	if (send_kind(t, kinds[t->mode], s, c->text.size) < 0)
		return;
	tui_composer_clear(c);
	t->mode = TUI_WRITE;
	tui_screen_layout(t);
}

/* Starts a reply, an edit or a reaction to the selected message. */
void tui_action_begin(tui *t, tui_mode mode)
{
	gitchat_view_item *it = NULL;

	if (t->conv.selected == GITCHAT_NO_INDEX ||
	    gitchat_view_item_load(&it, t->conv.view, t->conv.selected) < 0) {
		gitchat_error_clear();
		return;
	}
	if ((mode == TUI_EDIT || mode == TUI_REDACT) &&
	    (!t->me || gitchat_pubkey_cmp(t->me, &it->msg->key))) {
		tui_notice(t, "only its author can %s a message", mode == TUI_EDIT ? "edit" : "delete");
	} else if (mode != TUI_REACT && it->redacted) {
		tui_notice(t, "that message is deleted");
	} else {
		git_oid_cpy(&t->target, &it->msg->id);
		t->mode = mode;
		/* The composer keeps a draft in progress; an edit starts from the text. */
		if (mode == TUI_EDIT)
			tui_composer_set(&t->comp, it->text, it->text_len);
		if (mode == TUI_REDACT)
			tui_notice(t, "delete this message for everyone? y/n");
		tui_screen_layout(t);
	}
	gitchat_view_item_free(it);
}

void tui_action_redact(tui *t)
{
	tui_mode was = t->mode;

	t->mode = TUI_WRITE;   /* no reply header on a redaction */
	if (send_kind(t, GITCHAT_MESSAGE_REDACT, "(redacted)", 10)   /* as redact sends */ < 0)
		t->mode = was == TUI_REDACT ? TUI_SELECT : was;
	else
		tui_notice(t, "deleted");
}

void tui_action_save(tui *t)
{
	gitchat_view_item *it = NULL;
	gitchat_buf path = GITCHAT_BUF_INIT;
	size_t i;

	if (t->conv.selected == GITCHAT_NO_INDEX ||
	    gitchat_view_item_load(&it, t->conv.view, t->conv.selected) < 0) {
		gitchat_error_clear();
		return;
	}
	if (!it->msg->file_count)
		tui_notice(t, "that message has no files");
	for (i = 0; i < it->msg->file_count; i++) {
		gitchat_buf_clear(&path);
		if (gitchat_file_save(&path, t->store, it->msg, i, NULL) < 0) {
			tui_notice(t, "cannot save: %s", gitchat_error_last()->message);
			break;
		}
		tui_notice(t, "saved %s", path.ptr);
	}
	gitchat_buf_dispose(&path);
	gitchat_view_item_free(it);
}
