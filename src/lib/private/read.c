/*
 * Reading a private room: the membership (members/), the epochs the reader
 * can open, then each message through DESIGN.md's reading rules. What a
 * rule refuses is reported once and becomes a hidden entry; the rest is
 * the decrypted inner message, handed to the view through the
 * conversation's filter. Plaintext stays in memory (never in the message
 * cache on disk) and is wiped when freed; on disk only sealed, in the
 * reader's cache of what it decrypted (keycache.h, docs/private-rooms.md).
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "order/known.h"
#include "private/keycache.h"
#include "private/private_internal.h"
#include "util/buf.h"
#include "util/error.h"

enum { S_HIDDEN, S_PENDING /* passed the rules that need no key */, S_DECODED };

typedef struct {
	gitchat_message_kind kind;
	size_t target, reply;
	char *text;             /* NULL: hidden */
	size_t len;
	gitchat_file *files;    /* from the inner chat-file headers */
	size_t file_count;
} pentry;

struct gitchat_private {
	gitchat_conversation *conv;
	gitchat_members *m;
	/* Entries are written only when decoded: a page of a big room
	 * touches (and faults in) only its own; `state` says which. */
	pentry *e;
	unsigned char *state;   /* per entry: S_HIDDEN, S_PENDING or S_DECODED */
	size_t n, refused;
	char *title;
	size_t title_at;        /* the title's entry */
	const gitchat_pubkey *dm_founder, *dm_peer;
	gitchat_pubkey founder, peer;
	/* Decryption is lazy (a page of a big room decrypts only that page):
	 * what it needs, and where its refusals go. */
	gitchat_store *store;
	gitchat_epochs ep;
	gitchat_problem_cb cb;
	void *payload;
	gitchat_file_source files;   /* decrypts files/<n> for gitchat_file_save */
	gitchat_keycache *kc;        /* the reader's sealed cache: keycache.h */
	gitchat_age_scratch *scratch;   /* age's secrets, one block per read */
};

static int report(gitchat_private *p, gitchat_problem_cb cb, void *payload, const git_oid *id,
                  const char *detail)
{
	gitchat_buf why = GITCHAT_BUF_INIT;
	gitchat_problem pr;
	int r = 0;

	p->refused++;
	if (!cb)
		return 0;
	if (gitchat_buf_printf(&why, "%s", detail) < 0)
		return gitchat_error_oom();
	pr.refname = NULL;
	pr.commit = id;
	pr.reason = why.ptr;
	r = cb(&pr, payload);
	gitchat_buf_dispose(&why);
	return r;
}

/* The sealed files/<n> entries of `tree`: 0 for the empty tree. */
static int sealed_count(size_t *n, gitchat_store *store, const git_oid *tree)
{
	git_tree *t = NULL, *sub = NULL;
	const git_tree_entry *e;
	int error = 0;

	*n = 0;
	if (git_tree_lookup(&t, gitchat_store_repository(store), tree) < 0)
		return gitchat_error_from_git(-1, "cannot read the tree of a message");
	if ((e = git_tree_entry_byname(t, "files"))) {
		if (git_tree_lookup(&sub, gitchat_store_repository(store), git_tree_entry_id(e)) < 0)
			error = gitchat_error_from_git(-1, "cannot read the files of a message");
		else
			*n = git_tree_entrycount(sub);
	}
	git_tree_free(sub);
	git_tree_free(t);
	return error;
}

/* The files the inner message names, as many as its tree seals. */
static int inner_files(pentry *pe, const gitchat_inner *inner, uint32_t sealed, const char **why)
{
	size_t n = sealed, i;

	if (n != inner->file_count) {
		*why = "its inner message names other files than its tree holds";
		return 0;
	}
	if (n && !(pe->files = calloc(n, sizeof(*pe->files))))
		return gitchat_error_oom();
	for (i = 0; i < n; i++) {
		if (!(pe->files[i].name = strndup(inner->files[i].name, inner->files[i].name_len)))
			return gitchat_error_oom();
		pe->files[i].size = inner->files[i].size;
		pe->file_count = i + 1;
	}
	return 0;
}

static void files_free(pentry *pe)
{
	for (size_t i = 0; i < pe->file_count; i++) {
		sodium_memzero(pe->files[i].name, strlen(pe->files[i].name));
		free(pe->files[i].name);
	}
	free(pe->files);
	pe->files = NULL;
	pe->file_count = 0;
}

/* gitchat_file_source.decode: files/<index+1> of `msg`, an age file
 * sealed to the message's epoch. */
static int file_decode(gitchat_buf *out, const gitchat_message *msg, size_t index,
                       const void *blob, size_t blob_len, void *payload)
{
	gitchat_private *p = payload;
	gitchat_members_info in;
	const gitchat_age_identity *id;
	size_t i;
	int error;

	(void)index;
	if ((error = gitchat_conversation_find(&i, p->conv, &msg->id)) < 0 ||
	    (error = gitchat_members_info_get(&in, p->m, i)) < 0)
		return error;
	if (!in.epoch || !(id = gitchat_epochs_find(&p->ep, in.epoch)))
		return gitchat_error_set(GITCHAT_ENOTFOUND, "it is in an epoch this key cannot open");
	return gitchat_age_decrypt(out, NULL, &id, 1, blob, blob_len, 0);
}

/* The inner plaintext of message i (commit in->id, in the epoch that `id`
 * opens) and the count of files its tree seals: from the reader's sealed
 * cache, or decrypted (*fresh: decode keeps it once it parses). *why when
 * it does not decrypt. */
static int plaintext(const unsigned char **plain, size_t *len, uint32_t *sealed, int *fresh,
                     gitchat_buf *buf, gitchat_private *p, size_t i,
                     const gitchat_members_info *in, const gitchat_age_identity *id,
                     const char **why, gitchat_buf *reason)
{
	gitchat_message *msg = NULL;
	size_t n;
	int error;

	*fresh = 0;
	if (p->kc && (error = gitchat_keycache_get(plain, len, sealed, p->kc, in->id, in->epoch, id)))
		return error < 0 ? error : 0;
	if ((!p->scratch && (error = gitchat_age_scratch_new(&p->scratch)) < 0) ||
	    (error = gitchat_conversation_message_load_raw(&msg, p->conv, i)) < 0)
		return error;
	if (msg->file_count) {
		*why = "it names files in plain chat-file headers in a private room";
		goto done;
	}
	if (gitchat_age_decrypt_with(buf, NULL, p->scratch, &id, 1, msg->text, msg->text_len,
	                             GITCHAT_AGE_ARMOR) < 0) {
		gitchat_buf_printf(reason, "it does not decrypt: %s", gitchat_error_last()->message);
		*why = reason->ptr;
		gitchat_error_clear();
		goto done;
	}
	if ((error = sealed_count(&n, p->store, &msg->tree)) < 0)
		goto done;
	*plain = (const unsigned char *)buf->ptr;
	*len = buf->size;
	*sealed = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	*fresh = n <= UINT32_MAX;
done:
	gitchat_message_free(msg);
	return error;
}

/* Decrypts and parses message i; 0 with *why NULL when it is shown. */
static int decode(gitchat_private *p, size_t i, const gitchat_members_info *in,
                  const gitchat_epochs *ep, gitchat_store *store, const char **why,
                  gitchat_buf *reason)
{
	const gitchat_age_identity *id;
	const unsigned char *src = NULL;
	gitchat_buf plain = GITCHAT_BUF_INIT;
	gitchat_inner inner;
	pentry *pe = &p->e[i];
	size_t t, len = 0;
	uint32_t sealed = 0;
	int error, fresh = 0;

	*why = NULL;
	pe->target = pe->reply = GITCHAT_NO_INDEX;
	if (!in->epoch) {
		*why = "it is plaintext in a private room (no chat-epoch)";
		return 0;
	}
	if (!(id = gitchat_epochs_find(ep, in->epoch))) {
		*why = "it is in an epoch this key cannot open (unknown epoch, or one sealed "
		       "before this key was a member)";
		return 0;
	}
	if ((error = plaintext(&src, &len, &sealed, &fresh, &plain, p, i, in, id, why, reason)) < 0 ||
	    *why)
		goto done;
	if (gitchat_inner_parse(&inner, (const char *)src, len, gitchat_store_limits(store)) < 0) {
		gitchat_buf_printf(reason, "%s", gitchat_error_last()->message);
		*why = reason->ptr;
		gitchat_error_clear();
		goto done;
	}
	/* Kept after a full, verified decryption to a whole inner message. */
	if (fresh && p->kc &&
	    (error = gitchat_keycache_add(p->kc, in->id, in->epoch, id, sealed, src, len)) < 0)
		goto done;
	if (inner.has_title) {
		if (p->title && p->title_at > i)
			goto done;   /* a later title is known already */
		p->title_at = i;
		free(p->title);
		if (!(p->title = strndup(inner.title, inner.title_len))) {
			error = gitchat_error_oom();
			goto done;
		}
		goto done;   /* a title message: hidden, not refused */
	}
	pe->kind = inner.kind;
	if (inner.kind != GITCHAT_MESSAGE_TEXT) {
		/* A target outside this room, or not before it, applies to nothing. */
		if (gitchat_conversation_find(&t, p->conv, &inner.target) < 0 || t >= i) {
			gitchat_error_clear();
			*why = "its edit, redaction or reaction names no earlier message of this room";
			goto done;
		}
		pe->target = t;
	}
	if (inner.has_reply) {
		if (gitchat_conversation_find(&t, p->conv, &inner.reply_to) == 0 && t < i)
			pe->reply = t;
		gitchat_error_clear();
	}
	if (!(pe->text = malloc(inner.text_len + 1))) {
		error = gitchat_error_oom();
		goto done;
	}
	memcpy(pe->text, inner.text, inner.text_len);
	pe->text[inner.text_len] = '\0';
	pe->len = inner.text_len;
	if ((error = inner_files(pe, &inner, sealed, why)) < 0 || *why) {
		free(pe->text);
		pe->text = NULL;
	}
done:
	gitchat_buf_dispose_secure(&plain);
	return error;
}

/* Decrypts entry i when it is still pending; a refusal is reported then. */
static int ensure(gitchat_private *p, size_t i)
{
	gitchat_members_info in;
	gitchat_buf reason = GITCHAT_BUF_INIT;
	const char *why = NULL;
	int error;

	if (p->state[i] != S_PENDING)
		return 0;
	p->state[i] = S_DECODED;
	if ((error = gitchat_members_info_get(&in, p->m, i)) == 0 &&
	    (error = decode(p, i, &in, &p->ep, p->store, &why, &reason)) == 0 && why)
		error = report(p, p->cb, p->payload, in.id, why);
	gitchat_buf_dispose(&reason);
	return error < 0 ? error : 0;
}

int gitchat_private_decrypt_all(gitchat_private *p)
{
	int error;
	for (size_t i = 0; i < p->n; i++)
		if ((error = ensure(p, i)) < 0)
			return error;
	return 0;
}

static int filter_entry(gitchat_conversation_entry *e, size_t i, void *payload)
{
	gitchat_private *p = payload;
	int error;
	if (i >= p->n)
		return gitchat_error_set(GITCHAT_ENOTFOUND, "no message %zu in this room", i);
	if ((error = ensure(p, i)) < 0)
		return error;
	if (!p->e[i].text) {
		e->kind = GITCHAT_MESSAGE_HIDDEN;
		e->target = e->reply_to = GITCHAT_NO_INDEX;
		return 0;
	}
	e->kind = p->e[i].kind;
	e->target = p->e[i].kind == GITCHAT_MESSAGE_TEXT ? GITCHAT_NO_INDEX : p->e[i].target;
	e->reply_to = p->e[i].reply;
	return 0;
}

static int filter_message(gitchat_message **msg, size_t i, void *payload)
{
	gitchat_private *p = payload;
	gitchat_message *m = *msg;
	const pentry *pe = i < p->n ? &p->e[i] : NULL;
	char *text;
	gitchat_conversation_entry e;

	if (!pe)
		return gitchat_error_set(GITCHAT_ENOTFOUND, "no message %zu in this room", i);
	if (ensure(p, i) < 0)
		return GITCHAT_ENOMEM;
	if (!(text = malloc(pe->text ? pe->len + 1 : 1)))
		return gitchat_error_oom();
	memcpy(text, pe->text ? pe->text : "", pe->text ? pe->len + 1 : 1);
	sodium_memzero(m->text, m->text_len);
	free(m->text);
	m->text = text;
	m->text_len = pe->text ? pe->len : 0;
	m->kind = pe->text ? pe->kind : GITCHAT_MESSAGE_HIDDEN;
	m->has_reply = 0;
	if (pe->text && pe->file_count) {
		gitchat_file *f = calloc(pe->file_count, sizeof(*f));
		if (!f)
			return gitchat_error_oom();
		for (size_t k = 0; k < m->file_count; k++)
			free(m->files[k].name);
		free(m->files);
		m->files = f;
		m->file_count = 0;
		for (size_t k = 0; k < pe->file_count; k++) {
			if (!(f[k].name = strdup(pe->files[k].name)))
				return gitchat_error_oom();
			f[k].size = pe->files[k].size;
			m->file_count = k + 1;
		}
		m->file_source = &p->files;
	}
	if (pe->text && pe->kind != GITCHAT_MESSAGE_TEXT &&
	    gitchat_conversation_entry_get_raw(&e, p->conv, pe->target) == 0)
		m->target = *e.id;
	if (pe->text && pe->reply != GITCHAT_NO_INDEX &&
	    gitchat_conversation_entry_get_raw(&e, p->conv, pe->reply) == 0) {
		m->has_reply = 1;
		m->reply_to = *e.id;
	}
	return 0;
}

/* Whether the reader holds `epoch`: asked for every message, and a run of
 * messages names the same string of the membership, so the last answer is
 * kept. */
typedef struct {
	const char *epoch;
	int found;
} epoch_memo;

static int epoch_known(epoch_memo *memo, const gitchat_epochs *ep, const char *epoch)
{
	if (epoch != memo->epoch) {
		memo->epoch = epoch;
		memo->found = gitchat_epochs_find(ep, epoch) != NULL;
	}
	return memo->found;
}

/* DESIGN.md's reading rules for commit i: what needs no key. A commit
 * they refuse is reported and stays hidden; one that passes is pending
 * (decrypted when used). */
static int judge(gitchat_private *p, size_t i, int valid, int reader, epoch_memo *known)
{
	gitchat_members_info in;
	const char *why = NULL;
	int error;

	if ((error = gitchat_members_info_peek(&in, p->m, i)) < 0)
		return error;
	if (!valid)
		why = "the room has no genesis that gives its name (a squatted or "
		      "incomplete private room): nothing in it is shown";
	else if (in.event) {
		if (in.genesis && (error = gitchat_members_info_get(&in, p->m, i)) < 0)
			return error;
		if (in.genesis) {
			p->founder = *in.key;
			if (in.dm) {
				p->peer = *in.dm;
				p->dm_founder = &p->founder;
				p->dm_peer = &p->peer;
			}
		}
		if (!in.counted)
			why = in.ignored;
	} else if (!in.member)
		why = "its author is not a member of the room in its causal past";
	else if (in.removed)
		why = "its author was removed before it in the room's order";
	else if (!reader)
		;   /* hidden: the reader's lack, not the room's problem */
	else if (!in.epoch)
		why = "it is plaintext in a private room (no chat-epoch)";
	else if (!epoch_known(known, &p->ep, in.epoch))
		why = "it is in an epoch this key cannot open (unknown epoch, or one sealed "
		      "before this key was a member)";
	else
		p->state[i] = S_PENDING;
	if (why && ((error = gitchat_members_info_get(&in, p->m, i)) < 0 ||
	            (error = report(p, p->cb, p->payload, in.id, why)) != 0))
		return error;
	return 0;
}

/* 1 when the membership already says that every commit but the events
 * passes the rules above for this reader: then only the events are
 * judged (a page of a big room walks none of its messages). */
static int messages_pass(const gitchat_private *p, int valid, int reader)
{
	const char *const *epochs;
	size_t n;

	if (!valid || !gitchat_members_messages_clean(&epochs, &n, p->m))
		return 0;
	for (size_t k = 0; reader && k < n; k++)
		if (!gitchat_epochs_find(&p->ep, epochs[k]))
			return 0;
	return 1;
}

int gitchat_private_open(gitchat_private **out, gitchat_store *store, gitchat_conversation *conv,
                         const char *room, const gitchat_key *reader, gitchat_problem_cb cb,
                         void *payload)
{
	gitchat_private *p = calloc(1, sizeof(*p));
	gitchat_conversation_filter f;
	epoch_memo known = { NULL, 0 };
	int error = 0, valid;

	*out = NULL;
	if (!p)
		return gitchat_error_oom();
	p->conv = conv;
	p->store = store;
	p->cb = cb;
	p->payload = payload;
	p->files.decode = file_decode;
	p->files.payload = p;
	if ((error = gitchat_members_load(&p->m, store, conv, room)) < 0)
		goto done;
	p->n = gitchat_members_count(p->m);
	if (!(p->e = calloc(p->n + 1, sizeof(*p->e))) || !(p->state = calloc(p->n + 1, 1))) {
		error = gitchat_error_oom();
		goto done;
	}
	if (reader && ((error = gitchat_epochs_load(&p->ep, store, p->m, reader)) < 0 ||
	               (gitchat_conversation_index_path(conv) &&
	                (error = gitchat_keycache_open(&p->kc, gitchat_conversation_index_path(conv),
	                                               room, gitchat_key_public(reader))) < 0)))
		goto done;
	valid = gitchat_members_valid(p->m);
	if (messages_pass(p, valid, reader != NULL)) {
		size_t nev = gitchat_members_event_count(p->m);
		if (reader)
			memset(p->state, S_PENDING, p->n);
		for (size_t k = 0; k < nev && !error; k++) {
			size_t i = gitchat_members_event_commit(p->m, k);
			p->state[i] = S_HIDDEN;
			error = judge(p, i, valid, reader != NULL, &known);
		}
	} else {
		for (size_t i = 0; i < p->n && !error; i++)
			error = judge(p, i, valid, reader != NULL, &known);
	}
	if (error)
		goto done;
	f.entry = filter_entry;
	f.message = filter_message;
	f.payload = p;
	gitchat_conversation_filter_set(conv, &f);
	*out = p;
	p = NULL;
done:
	gitchat_private_free(p);
	return error;
}

const char *gitchat_private_title(gitchat_private *p)
{
	/* The last title message wins: decrypt from the end until one. */
	for (size_t i = p->n; i-- > 0;) {
		if (ensure(p, i) < 0 || (p->title && p->title_at >= i))
			break;
	}
	return p->title;
}

const gitchat_members *gitchat_private_members(const gitchat_private *p)
{
	return p->m;
}

const gitchat_pubkey *gitchat_private_dm_peer(const gitchat_private *p, const gitchat_pubkey *me)
{
	if (!p->dm_peer)
		return NULL;
	if (!gitchat_pubkey_cmp(me, p->dm_founder))
		return p->dm_peer;
	if (!gitchat_pubkey_cmp(me, p->dm_peer))
		return p->dm_founder;
	return NULL;
}

size_t gitchat_private_refused(const gitchat_private *p)
{
	return p->refused;
}

void gitchat_private_free(gitchat_private *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->state && i < p->n; i++) {
		if (p->state[i] != S_DECODED)
			continue;
		if (p->e[i].text) {
			sodium_memzero(p->e[i].text, p->e[i].len);
			free(p->e[i].text);
		}
		files_free(&p->e[i]);
	}
	free(p->e);
	free(p->state);
	free(p->title);
	gitchat_keycache_free(p->kc);
	gitchat_age_scratch_free(p->scratch);
	gitchat_epochs_dispose(&p->ep);
	gitchat_members_free(p->m);
	free(p);
}

/* ---- direct messages ---- */

typedef struct {
	char rooms[64][26];
	size_t n;
} room_set;

static int collect(const char *name, void *payload)
{
	room_set *s = payload;
	gitchat_chatref r;

	if (gitchat_chatref_parse(&r, name) < 0 || gitchat_room_type(r.room) != GITCHAT_ROOM_PRIVATE) {
		gitchat_error_clear();
		return 0;
	}
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->rooms[i], r.room))
			return 0;
	if (s->n < sizeof(s->rooms) / sizeof(s->rooms[0]))
		memcpy(s->rooms[s->n++], r.room, 26);
	return 0;
}

int gitchat_private_dm_find(char room[26], gitchat_store *store, const gitchat_pubkey *me,
                            const gitchat_pubkey *other)
{
	git_repository *repo = gitchat_store_repository(store);
	room_set *s = calloc(1, sizeof(*s));
	int error = 0, found = 0;

	if (!s)
		return gitchat_error_oom();
	if (git_reference_foreach_name(repo, collect, s) < 0) {
		error = gitchat_error_from_git(-1, "cannot list the rooms");
		goto done;
	}
	for (size_t i = 0; i < s->n; i++) {
		gitchat_conversation *conv = NULL;
		gitchat_private *p = NULL;
		const gitchat_pubkey *peer;
		if (gitchat_conversation_load(&conv, store, s->rooms[i], NULL) == 0 &&
		    gitchat_private_open(&p, store, conv, s->rooms[i], NULL, NULL, NULL) == 0 &&
		    (peer = gitchat_private_dm_peer(p, me)) && !gitchat_pubkey_cmp(peer, other) &&
		    (!found || strcmp(s->rooms[i], room) < 0)) {
			memcpy(room, s->rooms[i], 26);
			found = 1;
		}
		gitchat_error_clear();
		gitchat_private_free(p);
		gitchat_conversation_free(conv);
	}
	if (!found)
		error = gitchat_error_set(GITCHAT_ENOTFOUND, "no direct-message room with that key here");
done:
	free(s);
	return error;
}
