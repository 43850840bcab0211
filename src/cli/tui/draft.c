/* Drafts: the composer's text saved (gitchat_draft_save: an atomic
 * replace in $GIT_DIR/chat/drafts/) after each batch of keys that changed
 * it, so that a crash or a kill -9 loses at most the keys of that batch;
 * restored when the room is opened again. */
#include "tui.h"

void tui_draft_save(tui *t)
{
	if (!t->comp.changed || !t->nrooms)
		return;
	t->comp.changed = 0;
	if (gitchat_draft_save(t->store, t->rooms[t->cur].name,
	                       t->comp.text.ptr ? t->comp.text.ptr : "", t->comp.text.size) < 0)
		tui_notice(t, "cannot save the draft: %s", gitchat_error_last()->message);
}

void tui_draft_load(tui *t)
{
	gitchat_buf text = GITCHAT_BUF_INIT;

	if (gitchat_draft_load(&text, t->store, t->rooms[t->cur].name) < 0)
		tui_notice(t, "cannot read the draft: %s", gitchat_error_last()->message);
	tui_composer_set(&t->comp, text.ptr ? text.ptr : "", text.size);
	t->comp.changed = 0;
	gitchat_buf_dispose(&text);
	tui_screen_layout(t);
}
