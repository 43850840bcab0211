/*
 * The reader's view: edits, redactions and reactions applied to their
 * targets. The view itself holds two 32-bit links per entry, so that a
 * room of a million messages costs 8 MB here; texts are loaded per item.
 */
#include <stdlib.h>
#include <string.h>

#include "gitchat/view.h"
#include "util/buf.h"
#include "util/error.h"

#define NONE UINT32_MAX
#define MAX_EMOJI_BYTES 64

/* Links for entries [base, count): a view of the latest page needs only
 * the entries from the page on, since a modifier comes after its target
 * (it descends from it). Targets before `base` are looked up by a scan. */
struct gitchat_view {
	gitchat_conversation *conv;
	size_t count, base;
	uint32_t *first_mod;   /* per target - base: its first modifier, in order */
	uint32_t *next_mod;    /* per modifier - base: the next one of the same target */
	gitchat_persons *persons;
};

int gitchat_view_new(gitchat_view **out, gitchat_conversation *conv)
{
	return gitchat_view_new_from(out, conv, 0);
}

int gitchat_view_new_from(gitchat_view **out, gitchat_conversation *conv, size_t from)
{
	gitchat_view *v = calloc(1, sizeof(*v));
	gitchat_conversation_entry e;
	size_t i, n = gitchat_conversation_count(conv), m;
	int error;

	*out = NULL;
	if (!v)
		return gitchat_error_oom();
	if (n >= NONE) {
		free(v);
		return gitchat_error_set(GITCHAT_EUNSUPPORTED, "a room of %zu messages is too large", n);
	}
	v->conv = conv;
	if ((error = gitchat_persons_load(&v->persons, gitchat_conversation_store(conv), NULL)) < 0) {
		free(v);
		return error;
	}
	v->count = n;
	v->base = from < n ? from : n;
	m = n - v->base;
	v->first_mod = malloc((m + 1) * sizeof(uint32_t));
	v->next_mod = malloc((m + 1) * sizeof(uint32_t));
	if (!v->first_mod || !v->next_mod) {
		gitchat_view_free(v);
		return gitchat_error_oom();
	}
	memset(v->first_mod, 0xff, (m + 1) * sizeof(uint32_t));
	memset(v->next_mod, 0xff, (m + 1) * sizeof(uint32_t));
	/* Backwards, so that each target's list comes out in conversation order. */
	for (i = n; i-- > v->base;) {
		if ((error = gitchat_conversation_entry_get(&e, conv, i)) < 0) {
			gitchat_view_free(v);
			return error;
		}
		if (e.kind == GITCHAT_MESSAGE_TEXT || e.target == GITCHAT_NO_INDEX || e.target >= n ||
		    e.target < v->base)
			continue;
		v->next_mod[i - v->base] = v->first_mod[e.target - v->base];
		v->first_mod[e.target - v->base] = (uint32_t)i;
	}
	*out = v;
	return 0;
}

void gitchat_view_free(gitchat_view *v)
{
	if (!v)
		return;
	free(v->first_mod);
	free(v->next_mod);
	gitchat_persons_free(v->persons);
	free(v);
}

gitchat_conversation *gitchat_view_conversation(const gitchat_view *v)
{
	return v->conv;
}

const gitchat_persons *gitchat_view_persons(const gitchat_view *v)
{
	return v->persons;
}

int gitchat_view_visible(const gitchat_view *v, size_t i)
{
	gitchat_conversation_entry e;

	if (gitchat_conversation_entry_get(&e, v->conv, i) < 0)
		return 0;
	return e.kind == GITCHAT_MESSAGE_TEXT;
}

/* The modifiers of target i in order: j = NONE starts, NONE ends. */
static uint32_t mod_next(const gitchat_view *v, size_t i, uint32_t j)
{
	gitchat_conversation_entry e;
	size_t k;

	if (i >= v->base)
		return j == NONE ? v->first_mod[i - v->base] : v->next_mod[j - v->base];
	/* Before the view's base: scan (only a reply to an old message does). */
	for (k = j == NONE ? i + 1 : (size_t)j + 1; k < v->count; k++)
		if (gitchat_conversation_entry_get(&e, v->conv, k) == 0 &&
		    e.kind != GITCHAT_MESSAGE_TEXT && e.target == i)
			return (uint32_t)k;
	return NONE;
}

/* Does modifier j (an edit or redaction) count for its target t? Only when
 * the target is an ordinary message signed by the same person (the same
 * key, or one linked to it). */
static int mod_authorised(const gitchat_view *v, const gitchat_conversation_entry *mod,
                          const gitchat_conversation_entry *target)
{
	return target->kind == GITCHAT_MESSAGE_TEXT &&
	       gitchat_persons_same(v->persons, mod->key, target->key);
}

/* The latest valid edit of i (NONE when none) and whether i is redacted. */
static int resolve_mods(uint32_t *edit, int *redacted, const gitchat_view *v, size_t i)
{
	gitchat_conversation_entry t, m;
	uint32_t j;
	int error;

	*edit = NONE;
	*redacted = 0;
	if ((error = gitchat_conversation_entry_get(&t, v->conv, i)) < 0)
		return error;
	for (j = mod_next(v, i, NONE); j != NONE; j = mod_next(v, i, j)) {
		if ((error = gitchat_conversation_entry_get(&m, v->conv, j)) < 0)
			return error;
		if ((m.kind != GITCHAT_MESSAGE_EDIT && m.kind != GITCHAT_MESSAGE_REDACT) ||
		    !mod_authorised(v, &m, &t))
			continue;
		if (m.kind == GITCHAT_MESSAGE_EDIT)
			*edit = j;
		else
			*redacted = 1;
	}
	return 0;
}

/* The text a reader sees for entry i: a malloc'd copy ("" when redacted). */
static int shown_text(char **text, size_t *len, int *edited, int *redacted,
                      gitchat_view *v, size_t i, const gitchat_message *orig)
{
	gitchat_message *em = NULL;
	const char *src;
	size_t n;
	uint32_t edit;
	int error;

	*text = NULL;
	if ((error = resolve_mods(&edit, redacted, v, i)) < 0)
		return error;
	*edited = edit != NONE;
	if (*redacted) {
		src = "";
		n = 0;
	} else if (edit != NONE) {
		if ((error = gitchat_conversation_message_load(&em, v->conv, edit)) < 0)
			return error;
		src = em->text;
		n = em->text_len;
	} else {
		src = orig->text;
		n = orig->text_len;
	}
	if ((*text = malloc(n + 1)) != NULL) {
		memcpy(*text, src, n);
		(*text)[n] = '\0';
		*len = n;
	}
	gitchat_message_free(em);
	return *text ? 0 : gitchat_error_oom();
}

/* A reaction's emoji: the text without surrounding blanks; NULL length 0
 * when it is not one short line (such reactions are ignored). */
static size_t emoji_of(const char **start, const gitchat_message *m)
{
	const char *p = m->text, *e = m->text + m->text_len;

	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	*start = p;
	if (e == p || (size_t)(e - p) > MAX_EMOJI_BYTES || memchr(p, '\n', (size_t)(e - p)))
		return 0;
	return (size_t)(e - p);
}

static int reaction_toggle(gitchat_view_item *item, const char *emoji, size_t len,
                           const gitchat_pubkey *key)
{
	gitchat_reaction *r = NULL;
	size_t i;

	for (i = 0; i < item->reaction_count; i++)
		if (strlen(item->reactions[i].emoji) == len && !memcmp(item->reactions[i].emoji, emoji, len)) {
			r = &item->reactions[i];
			break;
		}
	if (!r) {
		gitchat_reaction *nr = realloc(item->reactions, (item->reaction_count + 1) * sizeof(*nr));
		if (!nr)
			return gitchat_error_oom();
		item->reactions = nr;
		r = &nr[item->reaction_count];
		memset(r, 0, sizeof(*r));
		if (!(r->emoji = strndup(emoji, len)))
			return gitchat_error_oom();
		item->reaction_count++;
	}
	for (i = 0; i < r->count; i++)
		if (gitchat_pubkey_cmp(&r->keys[i], key) == 0) {
			memmove(&r->keys[i], &r->keys[i + 1], (r->count - i - 1) * sizeof(*r->keys));
			r->count--;
			return 0;
		}
	{
		gitchat_pubkey *nk = realloc(r->keys, (r->count + 1) * sizeof(*nk));
		if (!nk)
			return gitchat_error_oom();
		r->keys = nk;
		r->keys[r->count++] = *key;
	}
	return 0;
}

static int load_reactions(gitchat_view_item *item, gitchat_view *v, size_t i)
{
	gitchat_conversation_entry t, m;
	gitchat_message *rm = NULL;
	const char *emoji;
	size_t len, k, w;
	uint32_t j;
	int error = 0;

	if ((error = gitchat_conversation_entry_get(&t, v->conv, i)) < 0)
		return error;
	for (j = mod_next(v, i, NONE); j != NONE && error == 0; j = mod_next(v, i, j)) {
		if ((error = gitchat_conversation_entry_get(&m, v->conv, j)) < 0)
			break;
		if (m.kind != GITCHAT_MESSAGE_REACT || t.kind != GITCHAT_MESSAGE_TEXT)
			continue;
		if ((error = gitchat_conversation_message_load(&rm, v->conv, j)) < 0)
			break;
		if ((len = emoji_of(&emoji, rm)) > 0)
			error = reaction_toggle(item, emoji, len, &rm->key);
		gitchat_message_free(rm);
		rm = NULL;
	}
	/* Drop emojis that every reactor toggled off. */
	for (k = w = 0; k < item->reaction_count; k++) {
		if (item->reactions[k].count) {
			item->reactions[w++] = item->reactions[k];
		} else {
			free(item->reactions[k].emoji);
			free(item->reactions[k].keys);
		}
	}
	item->reaction_count = w;
	return error;
}

static int load_reply(gitchat_view_item *item, gitchat_view *v, size_t target)
{
	gitchat_message *tm = NULL;
	size_t len;
	int edited, error;

	if ((error = gitchat_conversation_message_load(&tm, v->conv, target)) < 0)
		return error;
	if ((error = shown_text(&item->reply_text, &len, &edited, &item->reply_redacted,
	                        v, target, tm)) == 0) {
		gitchat_person p;
		gitchat_persons_lookup(&p, v->persons, &tm->key);
		item->reply_key = tm->key;
		item->reply_person = *p.key;
		item->reply_name_shared = p.name_shared;
		if (!(item->reply_name = strdup(p.name ? p.name : tm->author_name)))
			error = gitchat_error_oom();
		else
			item->has_reply = 1;
	}
	gitchat_message_free(tm);
	return error;
}

/* The author as a person: name, person key, profile or not. */
static int author_of(gitchat_view_item *item, const gitchat_view *v)
{
	gitchat_person p;

	gitchat_persons_lookup(&p, v->persons, &item->msg->key);
	item->person = *p.key;
	item->has_profile = p.name != NULL;
	item->name_shared = p.name_shared;
	item->name = strdup(p.name ? p.name : item->msg->author_name);
	return item->name ? 0 : gitchat_error_oom();
}

int gitchat_view_item_load(gitchat_view_item **out, gitchat_view *v, size_t i)
{
	gitchat_view_item *item = calloc(1, sizeof(*item));
	gitchat_conversation_entry e;
	char *text = NULL;
	int error;

	*out = NULL;
	if (!item)
		return gitchat_error_oom();
	item->index = i;
	if ((error = gitchat_conversation_entry_get(&e, v->conv, i)) < 0 ||
	    (error = gitchat_conversation_message_load(&item->msg, v->conv, i)) < 0 ||
	    (error = shown_text(&text, &item->text_len, &item->edited, &item->redacted,
	                        v, i, item->msg)) < 0 ||
	    (error = load_reactions(item, v, i)) < 0)
		goto done;
	item->text = text;
	text = NULL;
	if ((error = author_of(item, v)) < 0)
		goto done;
	if (e.reply_to != GITCHAT_NO_INDEX && e.reply_to < v->count &&
	    (error = load_reply(item, v, e.reply_to)) < 0)
		goto done;
	*out = item;
	item = NULL;
done:
	free(text);
	gitchat_view_item_free(item);
	return error;
}

void gitchat_view_item_free(gitchat_view_item *item)
{
	size_t i;

	if (!item)
		return;
	for (i = 0; i < item->reaction_count; i++) {
		free(item->reactions[i].emoji);
		free(item->reactions[i].keys);
	}
	free(item->reactions);
	free((char *)item->text);
	free(item->reply_name);
	free(item->reply_text);
	free(item->name);
	gitchat_message_free(item->msg);
	free(item);
}
