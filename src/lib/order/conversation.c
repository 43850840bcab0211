#include <stdlib.h>
#include <string.h>

#include "gitchat/conversation.h"
#include "message/commit.h"
#include "order/order.h"
#include "store/refs.h"
#include "store/store_internal.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/oidmap.h"

/* For now every message is held in memory; the entries are derived. */
struct gitchat_conversation {
	gitchat_message **messages;   /* in conversation order */
	size_t count;
	gitchat_oidmap index;         /* oid -> position */
	size_t *target, *reply;       /* positions, GITCHAT_NO_INDEX when none */
};

typedef struct {
	gitchat_store *store;
	const char *room;
	gitchat_problem_cb cb;
	void *payload;
	gitchat_oidmap seen;          /* oid -> index in msgs, or UINT32_MAX if invalid */
	gitchat_message **msgs;
	size_t n, cap;
	git_oid *queue;
	size_t qhead, qtail, qcap;
	gitchat_buf raw;
} loader;

static int report(loader *l, const char *refname, const git_oid *id, const char *reason)
{
	gitchat_problem p = { refname, id, reason };
	return l->cb ? l->cb(&p, l->payload) : 0;
}

static int enqueue(loader *l, const git_oid *id)
{
	if (gitchat_oidmap_get(&l->seen, id, NULL))
		return 0;
	if (l->qtail == l->qcap) {
		size_t cap = l->qcap ? l->qcap * 2 : 256;
		git_oid *q = realloc(l->queue, cap * sizeof(*q));
		if (!q)
			return gitchat_error_oom();
		l->queue = q;
		l->qcap = cap;
	}
	l->queue[l->qtail++] = *id;
	return gitchat_oidmap_set(&l->seen, id, UINT32_MAX - 1);
}

/* Loads one commit: keeps it when valid, walks on to its parents anyway,
 * since a valid message may be reachable only through an invalid one. */
static int load_one(loader *l, const git_oid *id)
{
	gitchat_commit c;
	gitchat_pubkey signer;
	gitchat_message *m = NULL;
	git_oid bad;
	int error, valid;
	size_t i;

	if ((error = gitchat_commit_read_raw(&l->raw, l->store->repo, id)) < 0 ||
	    (error = gitchat_commit_parse(&c, l->raw.ptr, l->raw.size)) < 0) {
		if (error == GITCHAT_ENOMEM)
			return error;
		error = report(l, NULL, id, gitchat_error_last()->message);
		gitchat_oidmap_set(&l->seen, id, UINT32_MAX);
		return error;
	}
	error = gitchat_verify_commit(l->store, id, l->room, &bad);
	valid = error == 0;
	if (error == GITCHAT_EVERIFY) {
		error = report(l, NULL, id, gitchat_error_last()->message);
	} else if (error == 0) {
		/* Verified (now or before, the cache says): the signer is the blob's key. */
		if ((error = gitchat_commit_signer(&signer, l->store, id)) == 0)
			error = gitchat_message_from_commit(&m, id, &c, &signer);
	}
	for (i = 0; error == 0 && i < c.parent_count; i++)
		error = enqueue(l, &c.parents[i]);
	gitchat_commit_dispose(&c);
	if (error < 0) {
		gitchat_message_free(m);
		return error;
	}
	if (!valid)
		return gitchat_oidmap_set(&l->seen, id, UINT32_MAX);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		gitchat_message **nm = realloc(l->msgs, cap * sizeof(*nm));
		if (!nm) {
			gitchat_message_free(m);
			return gitchat_error_oom();
		}
		l->msgs = nm;
		l->cap = cap;
	}
	l->msgs[l->n] = m;
	return gitchat_oidmap_set(&l->seen, id, (uint32_t)l->n++);
}

static int load_tips(loader *l)
{
	gitchat_tips tips;
	gitchat_pubkey signer;
	char want[GITCHAT_FINGERPRINT_SIZE], got[GITCHAT_FINGERPRINT_SIZE];
	gitchat_buf why = GITCHAT_BUF_INIT;
	size_t i;
	int error;

	if ((error = gitchat_tips_list(&tips, NULL, l->store->repo, l->room)) < 0)
		return error;
	for (i = 0; i < tips.count && error == 0; i++) {
		const gitchat_tip *t = &tips.tips[i];
		/* A head signed by someone else is reported; its valid commits are
		 * still messages (DESIGN.md: every valid commit reachable). */
		if (gitchat_commit_signer(&signer, l->store, &t->id) == 0 &&
		    gitchat_pubkey_cmp(&signer, &t->ref.key) != 0) {
			gitchat_pubkey_fingerprint(want, &t->ref.key);
			gitchat_pubkey_fingerprint(got, &signer);
			gitchat_buf_clear(&why);
			if ((error = gitchat_buf_printf(&why, "the head is signed by %s, not by the "
			                                "log's owner %s", got, want)) < 0 ||
			    (error = report(l, t->refname, &t->id, why.ptr)) != 0)
				break;
		}
		gitchat_error_clear();
		error = enqueue(l, &t->id);
	}
	gitchat_buf_dispose(&why);
	gitchat_tips_dispose(&tips);
	return error;
}

static int link_entries(gitchat_conversation *conv)
{
	size_t i;
	uint32_t pos;
	int error;

	conv->target = malloc((conv->count + 1) * sizeof(size_t));
	conv->reply = malloc((conv->count + 1) * sizeof(size_t));
	if (!conv->target || !conv->reply)
		return gitchat_error_oom();
	for (i = 0; i < conv->count; i++)
		if ((error = gitchat_oidmap_set(&conv->index, &conv->messages[i]->id, (uint32_t)i)) < 0)
			return error;
	for (i = 0; i < conv->count; i++) {
		const gitchat_message *m = conv->messages[i];
		conv->target[i] = m->kind != GITCHAT_MESSAGE_TEXT &&
		                  gitchat_oidmap_get(&conv->index, &m->target, &pos) ? pos : GITCHAT_NO_INDEX;
		conv->reply[i] = m->has_reply && gitchat_oidmap_get(&conv->index, &m->reply_to, &pos)
		                 ? pos : GITCHAT_NO_INDEX;
	}
	return 0;
}

static int build_order(gitchat_conversation *conv, loader *l)
{
	gitchat_order_node *nodes = calloc(l->n + 1, sizeof(*nodes));
	uint32_t *parents = NULL, *order = malloc((l->n + 1) * sizeof(uint32_t));
	size_t i, k, np = 0, total = 0;
	int error = GITCHAT_ENOMEM;

	for (i = 0; i < l->n; i++)
		total += l->msgs[i]->parent_count;
	if (!nodes || !order || !(parents = malloc((total + 1) * sizeof(uint32_t))))
		goto done;
	for (i = 0; i < l->n; i++) {
		gitchat_message *m = l->msgs[i];
		nodes[i].id = m->id;
		nodes[i].time = m->time;
		nodes[i].key = m->key;
		nodes[i].first_parent = (uint32_t)np;
		for (k = 0; k < m->parent_count; k++) {
			uint32_t idx;
			/* A valid commit's parents are valid, hence loaded. */
			if (gitchat_oidmap_get(&l->seen, &m->parents[k], &idx) && idx < l->n)
				parents[np++] = idx;
		}
		nodes[i].nparents = (uint32_t)(np - nodes[i].first_parent);
	}
	if ((error = gitchat_order_compute(order, nodes, l->n, parents)) < 0)
		goto done;
	if (!(conv->messages = malloc((l->n + 1) * sizeof(gitchat_message *)))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (i = 0; i < l->n; i++)
		conv->messages[i] = l->msgs[order[i]];
	conv->count = l->n;
	l->n = 0;   /* ownership moved */
	error = link_entries(conv);
done:
	if (error == GITCHAT_ENOMEM && !gitchat_error_last()->code)
		gitchat_error_oom();
	free(nodes);
	free(parents);
	free(order);
	return error;
}

int gitchat_conversation_load(gitchat_conversation **out, gitchat_store *store, const char *room,
                              gitchat_problem_cb cb, void *payload)
{
	gitchat_conversation *conv = calloc(1, sizeof(*conv));
	loader l;
	size_t i;
	int error;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	l.store = store;
	l.room = room;
	l.cb = cb;
	l.payload = payload;
	if (!conv)
		return gitchat_error_oom();
	if ((error = gitchat_room_validate(room)) < 0 || (error = load_tips(&l)) != 0)
		goto done;
	while (l.qhead < l.qtail) {
		git_oid id = l.queue[l.qhead++];
		if ((error = load_one(&l, &id)) != 0)
			goto done;
	}
	if ((error = build_order(conv, &l)) < 0)
		goto done;
	*out = conv;
	conv = NULL;
done:
	for (i = 0; i < l.n; i++)
		gitchat_message_free(l.msgs[i]);
	free(l.msgs);
	free(l.queue);
	gitchat_oidmap_dispose(&l.seen);
	gitchat_buf_dispose(&l.raw);
	gitchat_conversation_free(conv);
	return error;
}

size_t gitchat_conversation_count(const gitchat_conversation *conv)
{
	return conv->count;
}

int gitchat_conversation_entry_get(gitchat_conversation_entry *out,
                                   const gitchat_conversation *conv, size_t i)
{
	const gitchat_message *m;

	if (i >= conv->count)
		return gitchat_error_set(GITCHAT_ENOTFOUND, "no message %zu in this conversation", i);
	m = conv->messages[i];
	out->id = &m->id;
	out->time = m->time;
	out->key = &m->key;
	out->kind = m->kind;
	out->target = conv->target[i];
	out->reply_to = conv->reply[i];
	return 0;
}

int gitchat_conversation_message(gitchat_message **out, gitchat_conversation *conv, size_t i)
{
	*out = NULL;
	if (i >= conv->count)
		return gitchat_error_set(GITCHAT_ENOTFOUND, "no message %zu in this conversation", i);
	return gitchat_message_dup(out, conv->messages[i]);
}

int gitchat_conversation_find(size_t *out, const gitchat_conversation *conv, const git_oid *id)
{
	uint32_t pos;
	char hex[GIT_OID_HEXSZ + 1];

	if (!gitchat_oidmap_get(&conv->index, id, &pos))
		return gitchat_error_set(GITCHAT_ENOTFOUND, "message %s is not in this conversation",
		                         git_oid_tostr(hex, sizeof(hex), id));
	*out = pos;
	return 0;
}

void gitchat_conversation_free(gitchat_conversation *conv)
{
	if (!conv)
		return;
	for (size_t i = 0; i < conv->count; i++)
		gitchat_message_free(conv->messages[i]);
	free(conv->messages);
	free(conv->target);
	free(conv->reply);
	gitchat_oidmap_dispose(&conv->index);
	free(conv);
}
