/*
 * Writing into a private room: the genesis, epochs, membership changes and
 * encrypted messages, each one commit through gitchat_send (the one writer
 * of message commits) with its extra headers and tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gitchat/persons.h"
#include "private/private_internal.h"
#include "message/commit.h"
#include "send/files.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/options.h"

GITCHAT_OPTIONS_INIT_FUNCTION(gitchat_private_create_options_init, gitchat_private_create_options,
                              GITCHAT_PRIVATE_CREATE_OPTIONS_INIT,
                              GITCHAT_PRIVATE_CREATE_OPTIONS_VERSION)

/* The room as it stands: its conversation and membership. */
typedef struct {
	gitchat_conversation *conv;
	gitchat_members *m;
} room_state;

static void room_dispose(room_state *r)
{
	gitchat_members_free(r->m);
	gitchat_conversation_free(r->conv);
	memset(r, 0, sizeof(*r));
}

/* The loaded room's checks: a valid room, of which `me` is a member (an
 * admin when `need_admin`). */
static int room_check(const gitchat_members *m, const char *room, const gitchat_pubkey *me,
                      int need_admin)
{
	const gitchat_member *mine;

	if (!gitchat_members_valid(m))
		return gitchat_error_set(GITCHAT_ENOTFOUND, "there is no private room '%s' here "
		                         "(no valid genesis); sync with its members first", room);
	if (!(mine = gitchat_members_get(m, me)))
		return gitchat_error_set(GITCHAT_EINVALID, "you are not a member of room '%s'; "
		                         "an admin of the room can add you", room);
	if (need_admin && !mine->admin)
		return gitchat_error_set(GITCHAT_EINVALID, "you are not an admin of room '%s'; "
		                         "ask one of its admins ('git chat member list -r %s')",
		                         room, room);
	return 0;
}

/* `current`: only the current state is needed (a send), which the
 * membership cache may give without loading the room. */
static int room_load(room_state *r, gitchat_store *store, const char *room,
                     const gitchat_pubkey *me, int need_admin, int current)
{
	int error;

	memset(r, 0, sizeof(*r));
	if (gitchat_room_type(room) != GITCHAT_ROOM_PRIVATE)
		return gitchat_error_set(GITCHAT_EINVALID, "'%s' is not a private room name", room);
	if (current && (error = gitchat_members_load_current(&r->m, store, room)) != GITCHAT_ENOTFOUND) {
		if (error == 0 && (error = room_check(r->m, room, me, need_admin)) == 0)
			return 0;
		goto fail;
	}
	gitchat_error_clear();
	if ((error = gitchat_conversation_load(&r->conv, store, room, NULL)) < 0 ||
	    (error = gitchat_members_load(&r->m, store, r->conv, room)) < 0 ||
	    (error = room_check(r->m, room, me, need_admin)) < 0)
		goto fail;
	return 0;
fail:
	room_dispose(r);
	return error;
}

/* One commit of an event or message: headers, tree, body to `epoch`. */
static int commit_sealed(git_oid *out, gitchat_store *store, const gitchat_key *key,
                         const gitchat_send_options *base, const char *room,
                         const char *const *headers, size_t nheaders, const git_oid *tree,
                         const char *epoch, const gitchat_buf *inner)
{
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	gitchat_buf body = GITCHAT_BUF_INIT;
	int error;

	if (base) {
		o.author_name = base->author_name;
		o.author_email = base->author_email;
		o.author_date = base->author_date;
		o.committer_date = base->committer_date;
		o.max_retries = base->max_retries;
	}
	if ((error = gitchat_private_seal(&body, epoch, inner->ptr, inner->size)) < 0)
		goto done;
	o.room = room;
	o.text = body.ptr;
	o.text_len = body.size;
	o.headers = headers;
	o.header_count = nheaders;
	o.tree = tree;
	error = gitchat_send(out, store, key, &o);
done:
	gitchat_buf_dispose(&body);
	return error;
}

/* The events' body: an empty inner message, so that every body in a
 * private room is an age file (the headers carry the event). */
static const gitchat_buf empty_inner = { (char *)"\n", 1, 0 };

/* An event commit: `headers` (chat-member-* lines or none) and a new
 * epoch sealed to `after`. */
static int event(git_oid *out, gitchat_store *store, const gitchat_key *key, const char *room,
                 const gitchat_send_options *base, char **headers, size_t nheaders,
                 const gitchat_member *after, size_t nafter, const gitchat_epochs *history,
                 const gitchat_pubkey *history_to, char epoch_out[GITCHAT_MEMBERS_MAX_EPOCH + 1])
{
	gitchat_age_identity *id = NULL;
	char recipient[GITCHAT_MEMBERS_MAX_EPOCH + 1];
	gitchat_buf line = GITCHAT_BUF_INIT;
	git_oid tree, ignored;
	int error;

	if ((error = gitchat_epoch_new(&id, recipient, &tree, store, after, nafter, history,
	                               history_to)) < 0)
		return error;
	if (gitchat_buf_printf(&line, "chat-epoch %s", recipient) < 0) {
		error = gitchat_error_oom();
		goto done;
	}
	headers[nheaders++] = line.ptr;
	error = commit_sealed(out ? out : &ignored, store, key, base, room,
	                      (const char *const *)headers, nheaders, &tree, recipient, &empty_inner);
	if (error == 0 && epoch_out)
		memcpy(epoch_out, recipient, sizeof(recipient));
done:
	gitchat_buf_dispose(&line);
	gitchat_age_identity_free(id);
	return error;
}

int gitchat_private_create(char room[26], gitchat_store *store, const gitchat_key *key,
                           const gitchat_private_create_options *opts)
{
	gitchat_private_create_options none = GITCHAT_PRIVATE_CREATE_OPTIONS_INIT;
	const gitchat_pubkey *me = gitchat_key_public(key);
	unsigned char nonce[16];
	char hex[GITCHAT_PUBKEY_HEXSIZE], **headers = NULL;
	gitchat_member *members = NULL;
	size_t n = 0, nh = 0, i, j;
	git_oid id;
	int error;

	if (!opts)
		opts = &none;
	if (opts->version != GITCHAT_PRIVATE_CREATE_OPTIONS_VERSION)
		return gitchat_error_set(GITCHAT_EINVALID, "gitchat_private_create: unknown options version");
	if (opts->member_count + 2 > GITCHAT_MEMBERS_MAX_CHANGES)
		return gitchat_error_set(GITCHAT_EINVALID, "at most %d members at creation",
		                         GITCHAT_MEMBERS_MAX_CHANGES - 2);
	if (!(members = calloc(opts->member_count + 2, sizeof(*members))) ||
	    !(headers = calloc(opts->member_count + 6, sizeof(*headers)))) {
		error = gitchat_error_oom();
		goto done;
	}
	members[n].key = *me;
	members[n++].admin = 1;
	for (i = 0; i < opts->member_count + (opts->dm ? 1 : 0); i++) {
		const gitchat_pubkey *k = i < opts->member_count ? &opts->members[i] : opts->dm;
		for (j = 0; j < n && gitchat_pubkey_cmp(&members[j].key, k); j++)
			;
		if (j == n)
			members[n++].key = *k;
	}
	randombytes_buf(nonce, sizeof(nonce));
	gitchat_members_room_name(room, me, nonce);
	{
		char nhex[33];
		sodium_bin2hex(nhex, sizeof(nhex), nonce, sizeof(nonce));
		gitchat_buf b = GITCHAT_BUF_INIT;
		if (gitchat_buf_printf(&b, "chat-genesis %s", nhex) < 0)
			goto oom;
		headers[nh++] = gitchat_buf_detach(&b);
	}
	for (i = 0; i < n; i++) {
		gitchat_buf b = GITCHAT_BUF_INIT;
		gitchat_pubkey_hex(hex, &members[i].key);
		if (gitchat_buf_printf(&b, "chat-member-add %s %s", hex,
		                       members[i].admin ? "admin" : "member") < 0)
			goto oom;
		headers[nh++] = gitchat_buf_detach(&b);
	}
	if (opts->dm) {
		gitchat_buf b = GITCHAT_BUF_INIT;
		gitchat_pubkey_hex(hex, opts->dm);
		if (gitchat_buf_printf(&b, "chat-dm %s", hex) < 0)
			goto oom;
		headers[nh++] = gitchat_buf_detach(&b);
	}
	if ((error = event(&id, store, key, room, NULL, headers, nh, members, n, NULL, NULL,
	                   NULL)) < 0)
		goto done;
	if (opts->title && (error = gitchat_private_title_set(&id, store, key, room, opts->title)) < 0)
		goto done;
	error = 0;
	goto done;
oom:
	error = gitchat_error_oom();
done:
	for (i = 0; headers && i < nh; i++)
		free(headers[i]);
	free(headers);
	free(members);
	return error;
}

/* Each attachment sealed to the epoch, as stock age writes it (binary):
 * `age -d -i EPOCH` opens files/<n>. */
static int seal_file(gitchat_buf *out, const void *plain, size_t len, void *payload)
{
	gitchat_age_recipient *r = NULL;
	const char *epoch = payload;
	int error;

	if ((error = gitchat_age_recipient_parse(&r, epoch, strlen(epoch))) == 0)
		error = gitchat_age_encrypt(out, (const gitchat_age_recipient *const *)&r, 1, plain,
		                            len, 0);
	gitchat_age_recipient_free(r);
	return error;
}

/* With files, text of white space alone is a message of files alone. */
static size_t text_len_of(const gitchat_send_options *o)
{
	size_t i;

	if (!o->file_count || !o->text)
		return o->text_len;
	for (i = 0; i < o->text_len && (o->text[i] == ' ' || o->text[i] == '\t' ||
	                                o->text[i] == '\r' || o->text[i] == '\n'); i++)
		;
	return i == o->text_len ? 0 : o->text_len;
}

static int send_inner(git_oid *out, gitchat_store *store, const gitchat_key *key,
                      const gitchat_send_options *opts, const char *title)
{
	room_state r;
	gitchat_send_options plain = *opts;
	gitchat_buf inner = GITCHAT_BUF_INIT, line = GITCHAT_BUF_INIT, files = GITCHAT_BUF_INIT;
	char epoch[GITCHAT_MEMBERS_MAX_EPOCH + 1], *headers[2] = { NULL, NULL };
	const char *have;
	const gitchat_member *cur;
	git_oid tree, *treep = NULL;
	size_t ncur;
	int error;

	if ((error = room_load(&r, store, opts->room, gitchat_key_public(key), 0, 1)) < 0)
		return error;
	plain.text_len = text_len_of(opts);
	/* Everything is checked before anything (a new epoch) is written. */
	if (!title && (plain.text_len || !opts->file_count) &&
	    (error = gitchat_text_check(opts->text, opts->text_len,
	                                gitchat_store_limits(store))) < 0)
		goto done;
	if (opts->file_count && opts->kind != GITCHAT_MESSAGE_TEXT) {
		error = gitchat_error_set(GITCHAT_EINVALID, "only a message carries files, not an "
		                          "edit, redaction or reaction");
		goto done;
	}
	if (opts->file_count && (error = gitchat_send_files_check(store, opts->files,
	                                                          opts->file_count)) < 0)
		goto done;
	if ((have = gitchat_members_epoch(r.m))) {
		snprintf(epoch, sizeof(epoch), "%s", have);
	} else {
		/* Someone was added or removed since the last epoch: open one
		 * for exactly the members now. */
		cur = gitchat_members_current(&ncur, r.m);
		if ((error = event(NULL, store, key, opts->room, opts, headers, 0, cur, ncur, NULL,
		                   NULL, epoch)) < 0)
			goto done;
	}
	/* The files sealed into files/<n>, their names and sizes (the
	 * chat-file lines) into the inner message only. */
	if (opts->file_count) {
		if ((error = gitchat_send_files_sealed(&tree, &files, store, opts->files,
		                                       opts->file_count, seal_file, epoch)) < 0)
			goto done;
		treep = &tree;
	}
	if ((error = gitchat_inner_build(&inner, &plain, title, &files)) < 0)
		goto done;
	if (gitchat_buf_printf(&line, "chat-epoch %s", epoch) < 0) {
		error = gitchat_error_oom();
		goto done;
	}
	headers[0] = line.ptr;
	error = commit_sealed(out, store, key, opts, opts->room, (const char *const *)headers, 1,
	                      treep, epoch, &inner);
done:
	gitchat_buf_dispose_secure(&inner);
	gitchat_buf_dispose_secure(&files);
	gitchat_buf_dispose(&line);
	room_dispose(&r);
	return error;
}

int gitchat_private_send(git_oid *out, gitchat_store *store, const gitchat_key *key,
                         const gitchat_send_options *opts)
{
	if (!opts || opts->version != GITCHAT_SEND_OPTIONS_VERSION || !opts->room ||
	    (opts->file_count && !opts->files))
		return gitchat_error_set(GITCHAT_EINVALID, "gitchat_private_send: bad options");
	return send_inner(out, store, key, opts, NULL);
}

int gitchat_private_title_set(git_oid *out, gitchat_store *store, const gitchat_key *key,
                              const char *room, const char *title)
{
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	o.room = room;
	return send_inner(out, store, key, &o, title);
}

/* *out = 1 when `who` is another device of `me` (linked both ways in the
 * `_identity` room): a member who is not an admin may add it. */
static int own_device(int *out, gitchat_store *store, const gitchat_pubkey *me,
                      const gitchat_pubkey *who)
{
	gitchat_persons *ps = NULL;
	int error;

	*out = 0;
	if (!gitchat_pubkey_cmp(me, who))
		return 0;
	if ((error = gitchat_persons_load(&ps, store, NULL)) < 0)
		return error;
	*out = gitchat_persons_same(ps, me, who);
	gitchat_persons_free(ps);
	return 0;
}

static int change(git_oid *out, gitchat_store *store, const gitchat_key *key, const char *room,
                  const gitchat_pubkey *who, int remove, int admin, int history)
{
	room_state r;
	gitchat_epochs epochs = { 0 };
	gitchat_member *after = NULL;
	const gitchat_member *cur, *was;
	gitchat_buf line = GITCHAT_BUF_INIT;
	char hex[GITCHAT_PUBKEY_HEXSIZE], fp[GITCHAT_FINGERPRINT_SIZE], *headers[2] = { NULL, NULL };
	size_t ncur, n = 0;
	int error, mine = 0;

	if (!remove && !admin &&
	    (error = own_device(&mine, store, gitchat_key_public(key), who)) < 0)
		return error;
	if ((error = room_load(&r, store, room, gitchat_key_public(key), !mine, 0)) < 0)
		return error;
	gitchat_pubkey_hex(hex, who);
	gitchat_pubkey_fingerprint(fp, who);
	was = gitchat_members_get(r.m, who);
	if (remove && !was) {
		error = gitchat_error_set(GITCHAT_EINVALID, "%s is not a member of room '%s'", fp, room);
		goto done;
	}
	if (!remove && was && was->admin == admin) {
		error = gitchat_error_set(GITCHAT_EINVALID, "%s is already %s of room '%s'", fp,
		                          admin ? "an admin" : "a member", room);
		goto done;
	}
	cur = gitchat_members_current(&ncur, r.m);
	if (!(after = calloc(ncur + 1, sizeof(*after)))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (size_t i = 0; i < ncur; i++)
		if (gitchat_pubkey_cmp(&cur[i].key, who))
			after[n++] = cur[i];
	if (!remove) {
		after[n].key = *who;
		after[n++].admin = admin;
	}
	if (gitchat_buf_printf(&line, remove ? "chat-member-remove %s" : "chat-member-add %s %s",
	                       hex, admin ? "admin" : "member") < 0) {
		error = gitchat_error_oom();
		goto done;
	}
	headers[0] = line.ptr;
	if (history && !remove &&
	    (error = gitchat_epochs_load(&epochs, store, r.m, key)) < 0)
		goto done;
	error = event(out, store, key, room, NULL, headers, 1, after, n, &epochs,
	              history && !remove ? who : NULL, NULL);
done:
	gitchat_epochs_dispose(&epochs);
	gitchat_buf_dispose(&line);
	free(after);
	room_dispose(&r);
	return error;
}

int gitchat_private_member_add(git_oid *out, gitchat_store *store, const gitchat_key *key,
                               const char *room, const gitchat_pubkey *who, int admin,
                               int history)
{
	return change(out, store, key, room, who, 0, admin, history);
}

int gitchat_private_member_remove(git_oid *out, gitchat_store *store, const gitchat_key *key,
                                  const char *room, const gitchat_pubkey *who)
{
	return change(out, store, key, room, who, 1, 0, 0);
}
