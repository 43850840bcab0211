/*
 * Edits and redactions that the view ignores. They are valid commits (the
 * signature, room and parents hold), so the store is not invalid; but a
 * reader should know that someone tried to change another's words.
 */
#include <stdlib.h>
#include <string.h>

#include "gitchat/view.h"
#include "store/refs.h"
#include "util/buf.h"
#include "util/error.h"

static const char *kind_name(gitchat_message_kind k)
{
	switch (k) {
	case GITCHAT_MESSAGE_EDIT: return "edit";
	case GITCHAT_MESSAGE_REDACT: return "redaction";
	case GITCHAT_MESSAGE_REACT: return "reaction";
	default: return "message";
	}
}

static int check_room(gitchat_store *store, const gitchat_persons *persons, const char *room,
                      gitchat_problem_cb cb, void *payload)
{
	gitchat_conversation *conv = NULL;
	gitchat_conversation_entry e, t;
	gitchat_buf ref = GITCHAT_BUF_INIT, why = GITCHAT_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], fp[GITCHAT_FINGERPRINT_SIZE], tfp[GITCHAT_FINGERPRINT_SIZE];
	gitchat_problem p;
	size_t i, n;
	int error;

	/* Invalid commits are gitchat_verify_store's to report. */
	if ((error = gitchat_conversation_load(&conv, store, room, NULL)) < 0)
		goto done;
	n = gitchat_conversation_count(conv);
	for (i = 0; i < n; i++) {
		if ((error = gitchat_conversation_entry_get(&e, conv, i)) < 0)
			goto done;
		if (e.kind == GITCHAT_MESSAGE_TEXT || e.target == GITCHAT_NO_INDEX)
			continue;
		if ((error = gitchat_conversation_entry_get(&t, conv, e.target)) < 0)
			goto done;
		git_oid_tostr(hex, sizeof(hex), t.id);
		gitchat_buf_clear(&why);
		if (t.kind != GITCHAT_MESSAGE_TEXT) {
			error = gitchat_buf_printf(&why, "%s of %s, which is itself a %s; ignored",
			                           kind_name(e.kind), hex, kind_name(t.kind));
		} else if (e.kind != GITCHAT_MESSAGE_REACT &&
		           !gitchat_persons_same(persons, e.key, t.key)) {
			gitchat_pubkey_fingerprint(fp, e.key);
			gitchat_pubkey_fingerprint(tfp, t.key);
			error = gitchat_buf_printf(&why, "%s of %s by %s, who is not its author (%s) "
			                           "nor a device linked to it; ignored",
			                           kind_name(e.kind), hex, fp, tfp);
		} else {
			continue;
		}
		gitchat_buf_clear(&ref);
		if (error < 0 || (error = gitchat_chatref_format(&ref, NULL, room, e.key)) < 0)
			goto done;
		p.refname = ref.ptr;
		p.commit = e.id;
		p.reason = why.ptr;
		if (cb && (error = cb(&p, payload)) != 0)
			goto done;
	}
done:
	gitchat_conversation_free(conv);
	gitchat_buf_dispose(&ref);
	gitchat_buf_dispose(&why);
	return error;
}

int gitchat_view_check(gitchat_store *store, const char *room, gitchat_problem_cb cb,
                       void *payload)
{
	gitchat_persons_options po = GITCHAT_PERSONS_OPTIONS_INIT;
	gitchat_persons *persons = NULL;
	git_strarray rooms = { NULL, 0 };
	size_t i;
	int error;

	/* The claims of `_identity` that readers ignore (one-sided links, bad
	 * names) are warned about with that room. */
	if (!room || !strcmp(room, GITCHAT_IDENTITY_ROOM)) {
		po.problem_cb = cb;
		po.payload = payload;
	}
	if ((error = gitchat_persons_load(&persons, store, &po)) != 0)
		goto done;
	if (room) {
		error = check_room(store, persons, room, cb, payload);
		goto done;
	}
	if ((error = gitchat_room_list(&rooms, store)) < 0)
		goto done;
	for (i = 0; i < rooms.count && error == 0; i++)
		error = check_room(store, persons, rooms.strings[i], cb, payload);
done:
	gitchat_persons_free(persons);
	git_strarray_dispose(&rooms);
	return error;
}
