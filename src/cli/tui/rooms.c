/* The rooms pane: every room of the store with its unread count (the read
 * marker of view/rooms.c), counted again only when a room's refs moved. */
#include <stdlib.h>
#include <string.h>

#include "tui.h"

int tui_rooms_find(tui *t, const char *name)
{
	for (size_t i = 0; i < t->nrooms; i++)
		if (!strcmp(t->rooms[i].name, name))
			return (int)i;
	return -1;
}

/* Tells the user about the last message of a room that is not on screen. */
static void notify_room(tui *t, const tui_room *r, gitchat_view *view)
{
	gitchat_conversation *conv = gitchat_view_conversation(view);
	gitchat_view_item *it = NULL;
	gitchat_buf title = GITCHAT_BUF_INIT;
	size_t i = gitchat_conversation_count(conv);

	while (i > 0 && !gitchat_view_visible(view, i - 1))
		i--;
	if (!i || gitchat_view_item_load(&it, view, i - 1) < 0) {
		gitchat_error_clear();
		return;
	}
	if (gitchat_buf_printf(&title, "%s%s in %s", it->name,
	                       cli_notify_mentions(&t->notify, it->text, it->text_len) ?
	                       " mentions you" : "", r->label ? r->label : r->name) == 0)
		cli_notify_message(&t->notify, r->name, title.ptr, it->text, it->text_len);
	gitchat_buf_dispose(&title);
	gitchat_view_item_free(it);
}

/* Counts the unread messages of a room whose refs moved. */
static int count_unread(tui *t, tui_room *r, int notify)
{
	gitchat_conversation *conv = NULL;
	gitchat_private *priv = NULL;
	gitchat_view *view = NULL;
	gitchat_room_stats st;
	size_t skipped, before = r->unread;
	char *label = NULL;
	int error;

	/* A private room counts what its members can read (decrypted, its
	 * events left out), and is listed by its title. */
	if ((error = tui_load(&conv, &priv, &view, &skipped, t, r->name, 0)) < 0 ||
	    (error = gitchat_room_stats_get(&st, t->store, view, r->name, t->me)) < 0 ||
	    (error = reader_private_label(&label, priv, t->me, 1)) < 0)
		goto done;
	free(r->label);
	r->label = label;
	r->unread = st.unread;
	if (notify && r->unread > before)
		notify_room(t, r, view);
done:
	gitchat_view_free(view);
	gitchat_conversation_free(conv);
	gitchat_private_free(priv);
	return error;
}

static int add_room(tui_room **v, size_t *n, const char *name)
{
	tui_room *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	if (!(nv[*n].name = strdup(name)))
		return -1;
	(*n)++;
	return 0;
}

/* The rooms now, keeping what is known of each; the current one stays
 * even before its first message. */
static int list_rooms(tui *t)
{
	git_strarray names = { NULL, 0 };
	tui_room *v = NULL;
	size_t n = 0, i;
	int k, cur = -1;
	const char *cur_name = t->nrooms ? t->rooms[t->cur].name : NULL;

	if (gitchat_room_list(&names, t->store) < 0)
		return -1;
	for (i = 0; i < names.count; i++)
		if (add_room(&v, &n, names.strings[i]) < 0)
			break;
	if (cur_name && tui_rooms_find(t, cur_name) >= 0) {
		for (i = 0; i < n && strcmp(v[i].name, cur_name); i++)
			;
		if (i == n)
			add_room(&v, &n, cur_name);
		cur = (int)i;
	}
	git_strarray_dispose(&names);
	for (i = 0; i < n; i++)
		if ((k = tui_rooms_find(t, v[i].name)) >= 0) {
			v[i].unread = t->rooms[k].unread;
			v[i].sig = t->rooms[k].sig;
			v[i].label = t->rooms[k].label;
			memset(&t->rooms[k].sig, 0, sizeof(t->rooms[k].sig));
			t->rooms[k].label = NULL;
		}
	for (i = 0; i < t->nrooms; i++) {
		free(t->rooms[i].name);
		free(t->rooms[i].label);
		gitchat_buf_dispose(&t->rooms[i].sig);
	}
	free(t->rooms);
	t->rooms = v;
	t->nrooms = n;
	t->cur = cur >= 0 ? (size_t)cur : 0;
	return 0;
}

int tui_rooms_refresh(tui *t, int notify)
{
	gitchat_buf sig = GITCHAT_BUF_INIT;
	git_repository *repo = gitchat_store_repository(t->store);
	size_t i;

	if (list_rooms(t) < 0)
		return -1;
	for (i = 0; i < t->nrooms; i++) {
		tui_room *r = &t->rooms[i];
		if (cli_refs_signature(&sig, repo, r->name) < 0)
			break;
		if (r->sig.ptr && sig.size == r->sig.size && !memcmp(sig.ptr, r->sig.ptr, sig.size))
			continue;
		gitchat_buf_clear(&r->sig);
		gitchat_buf_put(&r->sig, sig.ptr ? sig.ptr : "", sig.size);
		if (i != t->cur && count_unread(t, r, notify) < 0)
			gitchat_error_clear();
	}
	gitchat_buf_dispose(&sig);
	t->dirty = 1;
	return 0;
}

void tui_rooms_draw(tui *t)
{
	WINDOW *w = t->scr.rooms;
	gitchat_buf name = GITCHAT_BUF_INIT;
	int h, wd, y;
	size_t i, first = 0;

	if (!t->scr.rooms_w)
		return;
	werase(w);
	getmaxyx(w, h, wd);
	wattr_set(w, A_BOLD, 0, NULL);
	mvwaddstr(w, 0, 1, "rooms");
	wattr_set(w, A_NORMAL, 0, NULL);
	if (t->cur >= (size_t)(h - 1))
		first = t->cur - (size_t)(h - 2);
	for (i = first, y = 1; i < t->nrooms && y < h; i++, y++) {
		char count[24] = "";
		const tui_room *r = &t->rooms[i];
		const char *shown = r->label ? r->label : r->name;
		if (r->unread && i != t->cur)
			snprintf(count, sizeof(count), " (%zu)", r->unread);
		gitchat_buf_clear(&name);
		gitchat_text_escape(&name, shown, strlen(shown),
		                    (size_t)(wd - 3 - (int)strlen(count) > 1 ? wd - 3 - (int)strlen(count) : 1));
		wattr_set(w, i == t->cur ? A_REVERSE : r->unread ? A_BOLD : A_NORMAL, 0, NULL);
		mvwprintw(w, y, 0, " %.*s%s", (int)name.size, name.ptr ? name.ptr : "", count);
		wattr_set(w, A_NORMAL, 0, NULL);
	}
	mvwvline(w, 0, wd - 1, ACS_VLINE, h);
	gitchat_error_clear();
	gitchat_buf_dispose(&name);
	wnoutrefresh(w);
}
