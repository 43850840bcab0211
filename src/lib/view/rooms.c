/* Rooms, their summary, and the per-room read marker (refs/chat-read/). */
#include <stdlib.h>
#include <string.h>

#include "gitchat/view.h"
#include "store/refs.h"
#include "util/buf.h"
#include "util/error.h"

#define READ_PREFIX "refs/chat-read/"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int gitchat_room_list_get(gitchat_room_list *out, gitchat_store *store)
{
	gitchat_tips tips;
	size_t i, n = 0;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = gitchat_tips_list(&tips, NULL, gitchat_store_repository(store), NULL)) < 0)
		return error;
	if (!(out->names = calloc(tips.count + 1, sizeof(char *)))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (i = 0; i < tips.count; i++)
		if (!(out->names[n++] = strdup(tips.tips[i].ref.room))) {
			out->count = n;
			error = gitchat_error_oom();
			goto done;
		}
	qsort(out->names, n, sizeof(char *), cmp_str);
	/* Unique, in place. */
	for (i = 0; i < n; i++) {
		if (out->count && !strcmp(out->names[out->count - 1], out->names[i]))
			free(out->names[i]);
		else
			out->names[out->count++] = out->names[i];
	}
done:
	gitchat_tips_dispose(&tips);
	if (error < 0)
		gitchat_room_list_dispose(out);
	return error;
}

void gitchat_room_list_dispose(gitchat_room_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->names[i]);
	free(list->names);
	memset(list, 0, sizeof(*list));
}

int gitchat_read_marker_get(size_t *out, gitchat_store *store,
                            const gitchat_conversation *conv, const char *room)
{
	gitchat_buf name = GITCHAT_BUF_INIT;
	git_oid id;
	size_t pos;
	int error;

	*out = 0;
	if ((error = gitchat_room_validate(room)) < 0 ||
	    (error = gitchat_buf_printf(&name, READ_PREFIX "%s", room)) < 0)
		goto done;
	error = git_reference_name_to_id(&id, gitchat_store_repository(store), name.ptr);
	if (error == GIT_ENOTFOUND) {
		error = 0;
		goto done;
	}
	if (error < 0) {
		error = gitchat_error_from_git(error, "cannot read '%s'", name.ptr);
		goto done;
	}
	/* A marker at a commit that is not (or no longer) a message of the
	 * room means nothing was read. */
	if (gitchat_conversation_find(&pos, conv, &id) == 0)
		*out = pos + 1;
	gitchat_error_clear();
done:
	gitchat_buf_dispose(&name);
	return error;
}

int gitchat_read_marker_set(gitchat_store *store, const char *room, const git_oid *id)
{
	gitchat_buf name = GITCHAT_BUF_INIT;
	git_reference *ref = NULL;
	int error;

	if ((error = gitchat_room_validate(room)) < 0 ||
	    (error = gitchat_buf_printf(&name, READ_PREFIX "%s", room)) < 0)
		goto done;
	if ((error = git_reference_create(&ref, gitchat_store_repository(store), name.ptr, id, 1,
	                                  "git-chat: read")) < 0)
		error = gitchat_error_from_git(error, "cannot update the read marker '%s'", name.ptr);
done:
	git_reference_free(ref);
	gitchat_buf_dispose(&name);
	return error;
}

int gitchat_room_stats_get(gitchat_room_stats *out, gitchat_store *store, gitchat_view *view,
                           const char *room, const gitchat_pubkey *me)
{
	const gitchat_conversation *conv = gitchat_view_conversation(view);
	gitchat_conversation_entry e;
	gitchat_pubkey *keys = NULL;
	size_t i, k, nkeys = 0, read_upto, n = gitchat_conversation_count(conv);
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = gitchat_read_marker_get(&read_upto, store, conv, room)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if ((error = gitchat_conversation_entry_get(&e, conv, i)) < 0)
			goto done;
		if (e.kind != GITCHAT_MESSAGE_TEXT)
			continue;
		out->messages++;
		out->last_time = e.time;
		if (i >= read_upto && !(me && gitchat_pubkey_cmp(me, e.key) == 0))
			out->unread++;
		/* Rooms have few authors: a linear set is enough. */
		for (k = 0; k < nkeys; k++)
			if (gitchat_pubkey_cmp(&keys[k], e.key) == 0)
				break;
		if (k == nkeys) {
			gitchat_pubkey *nk = realloc(keys, (nkeys + 1) * sizeof(*nk));
			if (!nk) {
				error = gitchat_error_oom();
				goto done;
			}
			keys = nk;
			keys[nkeys++] = *e.key;
		}
	}
	out->authors = nkeys;
done:
	free(keys);
	return error;
}
