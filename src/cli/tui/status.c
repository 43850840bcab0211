/* The status line: the last sync, what failed and why, logs a remote
 * keeps from being pushed, forks, commits left out (in a private room
 * also what its reading rules refused, and why it cannot be read); or the
 * last notice. */
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static void sync_part(tui *t, gitchat_buf *out)
{
	tui_sync *s = &t->sync;
	struct tm tm;
	char when[16] = "never";

	pthread_mutex_lock(&s->lock);
	if (s->last && localtime_r(&s->last, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (!s->remotes && s->last)
		gitchat_buf_puts(out, "no remotes: local only");
	else
		gitchat_buf_printf(out, "synced %s", when);
	if (s->failed)
		gitchat_buf_printf(out, " · failed: %s", s->failed);
	if (s->blocked)
		gitchat_buf_printf(out, " · %zu log%s not pushed ('git chat sync' says why)",
		                   s->blocked, s->blocked == 1 ? "" : "s");
	if (s->forks)
		gitchat_buf_printf(out, " · %zu fork%s", s->forks, s->forks == 1 ? "" : "s");
	pthread_mutex_unlock(&s->lock);
}

/* Why the user's key cannot read a private room. */
static const char *unreadable_why(const tui *t)
{
	if (t->read_error)
		return t->read_error;
	if (t->key_error)
		return t->key_error;
	if (t->key)   /* not unlocked: the store had no private room then */
		return "the key signs through ssh-agent, which cannot decrypt; restart the "
		       "client to unlock its file";
	return "no key";
}

void tui_status_draw(tui *t)
{
	WINDOW *w = t->scr.status;
	gitchat_buf raw = GITCHAT_BUF_INIT, line = GITCHAT_BUF_INIT;
	int wd = getmaxx(w);
	size_t left;

	werase(w);
	wbkgdset(w, A_REVERSE);
	werase(w);
	left = t->conv.skipped + (t->conv.priv ? gitchat_private_refused(t->conv.priv) : 0);
	if (t->notice)
		gitchat_buf_printf(&raw, "%s · ", t->notice);
	/* What log warns about a private room: the last refusal, and why. */
	if (left && t->conv.priv && t->problem)
		gitchat_buf_printf(&raw, "left out %s · ", t->problem);
	sync_part(t, &raw);
	if (t->conv.priv && !tui_read_key(t))
		gitchat_buf_printf(&raw, " · private room not readable: %s", unreadable_why(t));
	if (left)
		gitchat_buf_printf(&raw, " · %zu invalid commit%s left out ('git chat verify')",
		                   left, left == 1 ? "" : "s");
	gitchat_buf_puts(&raw, " · ? keys");
	gitchat_text_escape(&line, raw.ptr ? raw.ptr : "", raw.size, (size_t)(wd > 2 ? wd - 2 : 1));
	mvwaddnstr(w, 0, 1, line.ptr ? line.ptr : "", (int)line.size);
	gitchat_error_clear();
	gitchat_buf_dispose(&raw);
	gitchat_buf_dispose(&line);
	wnoutrefresh(w);
}
