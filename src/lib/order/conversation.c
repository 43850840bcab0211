/*
 * A room's conversation: its order index (order/index.h), brought up to
 * date with the refs, and messages read from the store on demand.
 *
 * Loading: list the room's refs; when the index was built from exactly
 * these tips, map it and stop there. Otherwise load its compact graph,
 * add what the refs reach that it lacks (order/graph.h: only new commits
 * are read and verified), order the valid nodes (order/order.h) and write
 * the index again. A damaged index found on the way is rebuilt from the
 * refs; a damaged block found later (blocks are checked when first read)
 * is repaired by rebuilding from the tips the index recorded, which gives
 * the same messages in the same places.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gitchat/conversation.h"
#include "message/commit.h"
#include "order/append.h"
#include "order/graph.h"
#include "order/index.h"
#include "order/known.h"
#include "message/objects.h"
#include "order/order.h"
#include "order/text.h"
#include "store/refs.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/options.h"

typedef struct {
	gitchat_store *store;
	char room[65];
	char *path;                    /* the index file; NULL: in memory only */
	gitchat_index *ix;
	gitchat_text_reader text;
	gitchat_index **retired;       /* replaced after a repair; entries may point in */
	size_t nretired;
	gitchat_objects objs;
	int objs_open;
	gitchat_buf raw;
	gitchat_conversation_stats stats;
	gitchat_conversation_filter filter;
	int filtered;
	int new_cached;                /* GITCHAT_CONVERSATION_NEW_CACHED */
} conv_state;

struct gitchat_conversation {
	conv_state *s;   /* const accessors may still repair the index */
};

static void refproblems_free(gitchat_index_refproblem *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)p[i].reason);
	free(p);
}

/* Heads signed by another key than their ref's: a problem of the ref, not
 * of the commit, which stays a message (DESIGN.md: every valid commit
 * reachable). */
static int ref_problems(gitchat_index_refproblem **out, size_t *n, const gitchat_graph *g,
                        const gitchat_tips *tips)
{
	gitchat_index_refproblem *p = calloc(tips->count + 1, sizeof(*p));
	char want[GITCHAT_FINGERPRINT_SIZE], got[GITCHAT_FINGERPRINT_SIZE];
	gitchat_buf why = GITCHAT_BUF_INIT;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!p)
		return gitchat_error_oom();
	for (i = 0; i < tips->count; i++) {
		const gitchat_tip *t = &tips->tips[i];
		uint32_t v = gitchat_graph_find(g, &t->id), k;
		if (v == GITCHAT_GRAPH_NONE || (k = g->nodes[v].key) == GITCHAT_GRAPH_NONE ||
		    gitchat_pubkey_cmp(&g->keys[k], &t->ref.key) == 0)
			continue;
		gitchat_pubkey_fingerprint(want, &t->ref.key);
		gitchat_pubkey_fingerprint(got, &g->keys[k]);
		if (gitchat_buf_printf(&why, "the head is signed by %s, not by the log's owner %s",
		                       got, want) < 0) {
			refproblems_free(p, *n);
			return GITCHAT_ENOMEM;
		}
		p[*n].refname = t->refname;
		p[*n].id = t->id;
		p[(*n)++].reason = gitchat_buf_detach(&why);
	}
	*out = p;
	return 0;
}

static const unsigned char no_text[GITCHAT_TEXT_ID_SIZE];

/* Files of other writers younger than this may still be in use. */
#define SWEEP_AGE (10 * 60)

/* Where the messages of new commits are copied: appended to the cache the
 * old index uses, or a new cache when there was none. NULL: no copies this
 * time; *keep says whether the old cache still holds for the old nodes, and
 * is -1 when it is gone or damaged (then the room is built afresh, so that
 * every message gets its copy again). */
static gitchat_text_writer *text_start(gitchat_text_writer *tw, int *keep, conv_state *s,
                                       gitchat_graph *g, gitchat_index *old)
{
	const unsigned char *id = old ? gitchat_index_text_id(old) : NULL;
	int error;

	*keep = 0;
	if (!s->path)
		return NULL;
	if (id && memcmp(id, no_text, sizeof(no_text)) != 0) {
		if ((error = gitchat_text_append(tw, s->path, id)) == 0)
			return tw;
		gitchat_error_clear();
		if (error == GITCHAT_EMODIFIED) {
			*keep = 1;
			return NULL;
		}
		if (g->n) {
			*keep = -1;
			return NULL;
		}
	}
	if (g->n)
		memset(g->text, 0, g->n * sizeof(uint32_t));
	if (gitchat_text_create(tw, s->path) == 0)
		return tw;
	gitchat_error_clear();   /* without a cache, messages come from git */
	return NULL;
}

/* Orders the room reached by `tips`, starting from what `old` knows (may
 * be NULL), and writes the index (in memory when it cannot be written).
 * `prev_text` (may be NULL) is the message cache of the index replaced. */
static int build(gitchat_index **out, conv_state *s, const gitchat_tips *tips,
                 gitchat_index *old, const unsigned char *prev_text)
{
	gitchat_graph g;
	gitchat_index_refproblem *problems = NULL;
	gitchat_text_writer twbuf, *tw = NULL;
	unsigned char text_id[GITCHAT_TEXT_ID_SIZE];
	size_t nproblems = 0;
	uint32_t *order = NULL;
	int error, keep_text = 0;

	*out = NULL;
	memset(text_id, 0, sizeof(text_id));
	gitchat_graph_init(&g);
	if (old && (error = gitchat_index_load_graph(&g, old)) < 0) {
		if (error != GITCHAT_EINVALID)
			goto done;
		gitchat_graph_dispose(&g);
		gitchat_graph_init(&g);
		old = NULL;
		s->stats.index = GITCHAT_CONVERSATION_INDEX_REBUILT;
	}
	gitchat_error_clear();
	tw = text_start(&twbuf, &keep_text, s, &g, old);
	if (keep_text < 0) {
		gitchat_graph_dispose(&g);
		s->stats.index = GITCHAT_CONVERSATION_INDEX_REBUILT;
		return build(out, s, tips, NULL, prev_text);
	}
	if (keep_text)
		memcpy(text_id, gitchat_index_text_id(old), sizeof(text_id));
	if ((error = gitchat_graph_update(&g, s->store, s->room, tips, tw)) < 0)
		goto done;
	s->stats.commits_read += g.parsed;
	/* The cache is published before the index that points into it. */
	if (tw) {
		memcpy(text_id, tw->id, sizeof(text_id));
		/* a writer that failed is dropped, not finished (and not leaked) */
		if (tw->failed ? (gitchat_text_abort(tw), 1) : gitchat_text_finish(tw) < 0) {
			memset(text_id, 0, sizeof(text_id));
			gitchat_error_clear();
		}
		tw = NULL;
	}
	if ((error = ref_problems(&problems, &nproblems, &g, tips)) < 0)
		goto done;
	gitchat_graph_drop_lookup(&g);
	if (!(order = malloc((g.nvalid + 1) * sizeof(uint32_t)))) {
		error = gitchat_error_oom();
		goto done;
	}
	error = gitchat_order_compute(order, g.nodes, g.nvalid, g.parents);
	if (error == GITCHAT_EINVALID && old) {
		/* Only a damaged index can make a cycle: start from the refs. */
		free(order);
		refproblems_free(problems, nproblems);
		gitchat_graph_dispose(&g);
		s->stats.index = GITCHAT_CONVERSATION_INDEX_REBUILT;
		return build(out, s, tips, NULL, prev_text);
	}
	if (error < 0)
		goto done;
	s->stats.saved = 0;
	if (s->path) {
		error = gitchat_index_write(out, s->path, &g, order, tips, problems, nproblems,
		                            gitchat_store_limits(s->store), text_id);
		if (error == 0) {
			s->stats.saved = 1;
			/* The cache the replaced index used, if another, is garbage
			 * (a reader that mapped it keeps its pages). */
			if (prev_text && memcmp(prev_text, no_text, sizeof(no_text)) &&
			    memcmp(prev_text, text_id, sizeof(text_id)))
				gitchat_text_remove(s->path, prev_text);
			/* A new cache: sweep what older races and crashes left. */
			if (!old)
				gitchat_text_sweep(s->path, text_id, (int64_t)time(NULL) - SWEEP_AGE);
		} else if (error == GITCHAT_ENOMEM) {
			goto done;
		}
	}
	/* The index only saves work: a store we cannot write is ordered in
	 * memory. */
	if (!*out)
		error = gitchat_index_write(out, NULL, &g, order, tips, problems, nproblems,
		                            gitchat_store_limits(s->store), text_id);
done:
	if (tw)
		gitchat_text_abort(tw);
	refproblems_free(problems, nproblems);
	free(order);
	gitchat_graph_dispose(&g);
	return error;
}

/* New messages that go after every old one: appended to the index's
 * tail (order/append.h). 0 with s->ix set, 0 without (rewrite it), or an
 * error. */
static int append(conv_state *s, gitchat_index *old, const gitchat_tips *tips)
{
	size_t parsed = 0;
	int error = gitchat_order_append(&s->ix, &parsed, old, s->path, s->store, s->room, tips,
	                                 s->new_cached);

	s->stats.commits_read += parsed;
	if (error == 0) {
		s->stats.index = GITCHAT_CONVERSATION_INDEX_APPENDED;
		s->stats.saved = 1;
		return 0;
	}
	/* Not appendable, a damaged block (the rewrite finds and repairs it)
	 * or a tail we could not write: the rewrite reads what it needs. */
	if (error > 0 || error == GITCHAT_EINVALID || error == GITCHAT_EIO) {
		gitchat_error_clear();
		/* Counted by the rewrite, which reads them again. */
		s->stats.commits_read -= parsed;
		return 0;
	}
	return error;
}

/* A block of the index failed its sum after loading: rebuild from the tips
 * it recorded (not from the refs, which may have moved meanwhile), so that
 * every index handed out keeps meaning the same message. */
static int repair(conv_state *s)
{
	gitchat_tips tips;
	gitchat_index *fresh = NULL, **r;
	int error;

	if ((error = gitchat_index_tips(&tips, s->ix)) < 0)
		return error;
	error = build(&fresh, s, &tips, NULL, gitchat_index_text_id(s->ix));
	gitchat_tips_dispose(&tips);
	if (error < 0)
		return error;
	if (gitchat_index_count(fresh) != gitchat_index_count(s->ix)) {
		gitchat_index_free(fresh);
		return gitchat_error_set(GITCHAT_ERROR,
			"the order index of room '%s' was damaged and rebuilding it changed the "
			"room; run the command again", s->room);
	}
	if (!(r = realloc(s->retired, (s->nretired + 1) * sizeof(*r)))) {
		gitchat_index_free(fresh);
		return gitchat_error_oom();
	}
	s->retired = r;
	r[s->nretired++] = s->ix;
	s->ix = fresh;
	s->stats.index = GITCHAT_CONVERSATION_INDEX_REBUILT;
	gitchat_text_close(&s->text);
	if (s->path)
		gitchat_text_open(&s->text, s->path, gitchat_index_text_id(s->ix));
	return 0;
}

static int node_at(gitchat_index_rec *nd, conv_state *s, size_t i)
{
	int error = gitchat_index_node(nd, s->ix, i);
	if (error == GITCHAT_EINVALID && (error = repair(s)) == 0)
		error = gitchat_index_node(nd, s->ix, i);
	return error;
}

/* Message i (not an invalid commit's node): GITCHAT_ENOTFOUND past the end. */
static int message_node(gitchat_index_rec *nd, conv_state *s, size_t i)
{
	if (i >= gitchat_index_count(s->ix))
		return gitchat_error_set(GITCHAT_ENOTFOUND, "no message %zu in this conversation", i);
	return node_at(nd, s, i);
}

typedef struct {
	gitchat_problem_cb cb;
	void *payload;
} report_ctx;

static int report_one(const char *refname, const git_oid *id, const char *reason, void *payload)
{
	report_ctx *r = payload;
	gitchat_problem p = { refname, id, reason };
	return r->cb ? r->cb(&p, r->payload) : 0;
}

/* Reads every problem record, reporting none: only to know they are sound. */
static int count_problems(const char *refname, const git_oid *id, const char *reason,
                          void *payload)
{
	(void)refname; (void)id; (void)reason; (void)payload;
	return 0;
}

/* libgit2's pack windows are process-wide: the caller chooses them
 * (gitchat/conversation.h). */
int gitchat_conversation_load(gitchat_conversation **out, gitchat_store *store,
                              const char *room, const gitchat_conversation_options *opts)
{
	gitchat_conversation *conv = NULL;
	conv_state *s = NULL;
	gitchat_index *old = NULL;
	unsigned char prev_text[GITCHAT_TEXT_ID_SIZE];
	gitchat_tips tips = { 0 };
	gitchat_buf path = GITCHAT_BUF_INIT;
	report_ctx rc = { NULL, NULL };
	int error, m, have_prev = 0;

	*out = NULL;
	if (opts && opts->version != GITCHAT_CONVERSATION_OPTIONS_VERSION)
		return gitchat_error_set(GITCHAT_EINVALID,
		                         "gitchat_conversation_load: unknown options version");
	if ((error = gitchat_room_validate(room)) < 0)
		return error;
	if (!(conv = calloc(1, sizeof(*conv))) || !(s = calloc(1, sizeof(*s)))) {
		free(conv);
		return gitchat_error_oom();
	}
	conv->s = s;
	s->store = store;
	strcpy(s->room, room);
	if (opts) {
		rc.cb = opts->problem_cb;
		rc.payload = opts->payload;
		s->new_cached = !!(opts->flags & GITCHAT_CONVERSATION_NEW_CACHED);
	}
	if ((error = gitchat_tips_list(&tips, NULL, gitchat_store_repository(store), room)) < 0)
		goto done;
	if (!opts || !(opts->flags & GITCHAT_CONVERSATION_NO_INDEX)) {
		if ((error = gitchat_index_path(&path, gitchat_store_repository(store), room)) < 0)
			goto done;
		s->path = gitchat_buf_detach(&path);
	}
	s->stats.index = s->path ? GITCHAT_CONVERSATION_INDEX_BUILT : GITCHAT_CONVERSATION_INDEX_NONE;
	if (s->path && !(opts && (opts->flags & GITCHAT_CONVERSATION_REBUILD))) {
		error = gitchat_index_open(&old, s->path, gitchat_store_limits(store));
		if (error == GITCHAT_EINVALID)
			s->stats.index = GITCHAT_CONVERSATION_INDEX_REBUILT;
		if (error == 0) {
			memcpy(prev_text, gitchat_index_text_id(old), sizeof(prev_text));
			have_prev = 1;
			if ((m = gitchat_index_tips_match(old, &tips)) == 1) {
				s->ix = old;
				old = NULL;
				s->stats.index = GITCHAT_CONVERSATION_INDEX_WARM;
			} else if (m < 0) {
				gitchat_index_free(old);
				old = NULL;
				s->stats.index = GITCHAT_CONVERSATION_INDEX_REBUILT;
			} else {
				s->stats.index = GITCHAT_CONVERSATION_INDEX_UPDATED;
			}
		}
		gitchat_error_clear();
	} else if (s->path && gitchat_index_open(&old, s->path, gitchat_store_limits(store)) == 0) {
		/* Rebuilding anyway: only to know which message cache goes. */
		memcpy(prev_text, gitchat_index_text_id(old), sizeof(prev_text));
		have_prev = 1;
		gitchat_index_free(old);
		old = NULL;
	}
	gitchat_error_clear();
	if (!s->ix && old && (error = append(s, old, &tips)) < 0)
		goto done;
	if (!s->ix && (error = build(&s->ix, s, &tips, old, have_prev ? prev_text : NULL)) < 0)
		goto done;
	gitchat_index_free(old);
	old = NULL;
	/* A problem record out of bounds (under right sums: the index is data
	 * on disk): the index goes, the refs order the room again. */
	if ((error = gitchat_index_problems(s->ix, count_problems, NULL)) == GITCHAT_EINVALID) {
		gitchat_index_free(s->ix);
		s->ix = NULL;
		gitchat_error_clear();
		s->stats.index = GITCHAT_CONVERSATION_INDEX_REBUILT;
		error = build(&s->ix, s, &tips, NULL, have_prev ? prev_text : NULL);
	}
	if (error < 0)
		goto done;
	s->stats.invalid = gitchat_index_invalid(s->ix);
	if (s->path)
		gitchat_text_open(&s->text, s->path, gitchat_index_text_id(s->ix));
	if ((error = gitchat_index_problems(s->ix, report_one, &rc)) != 0)
		goto done;
	*out = conv;
	conv = NULL;
done:
	gitchat_index_free(old);
	gitchat_tips_dispose(&tips);
	gitchat_buf_dispose(&path);
	gitchat_conversation_free(conv);
	return error;
}

void gitchat_conversation_stats_get(gitchat_conversation_stats *out,
                                    const gitchat_conversation *conv)
{
	*out = conv->s->stats;
}

size_t gitchat_conversation_count(const gitchat_conversation *conv)
{
	return gitchat_index_count(conv->s->ix);
}

void gitchat_conversation_filter_set(gitchat_conversation *conv,
                                     const gitchat_conversation_filter *f)
{
	conv->s->filtered = f != NULL;
	if (f)
		conv->s->filter = *f;
}

int gitchat_conversation_entry_get(gitchat_conversation_entry *out,
                                   const gitchat_conversation *conv, size_t i)
{
	conv_state *s = conv->s;
	int error = gitchat_conversation_entry_get_raw(out, conv, i);

	if (error == 0 && s->filtered && s->filter.entry)
		error = s->filter.entry(out, i, s->filter.payload);
	return error;
}

int gitchat_conversation_entry_get_raw(gitchat_conversation_entry *out,
                                       const gitchat_conversation *conv, size_t i)
{
	conv_state *s = conv->s;
	gitchat_index_rec nd = { 0 };
	int error;

	if ((error = message_node(&nd, s, i)) < 0)
		return error;
	out->id = nd.id;
	out->time = nd.time;
	out->key = gitchat_index_key(s->ix, nd.key);
	out->kind = (gitchat_message_kind)nd.kind;
	out->target = nd.target == GITCHAT_INDEX_NONE ? GITCHAT_NO_INDEX : nd.target;
	out->reply_to = nd.reply == GITCHAT_INDEX_NONE ? GITCHAT_NO_INDEX : nd.reply;
	return 0;
}

static int message_at(gitchat_message **out, conv_state *s, size_t i, int body);
static int message_load(gitchat_message **out, conv_state *s, size_t i, int body);

int gitchat_conversation_message_load(gitchat_message **out, gitchat_conversation *conv, size_t i)
{
	conv_state *s = conv->s;
	/* A filter that gives the text (a private room's) needs no body. */
	int error = message_load(out, s, i, !(s->filtered && s->filter.message));

	if (error == 0 && s->filtered && s->filter.message &&
	    (error = s->filter.message(out, i, s->filter.payload)) < 0) {
		gitchat_message_free(*out);
		*out = NULL;
	}
	return error;
}

int gitchat_conversation_message_load_raw(gitchat_message **out, gitchat_conversation *conv,
                                          size_t i)
{
	return message_load(out, conv->s, i, 1);
}

static int message_load(gitchat_message **out, conv_state *s, size_t i, int body)
{
	int error = message_at(out, s, i, body);

	/* A record naming a missing commit, or one that is not what it says
	 * (right sums over wrong records): rebuild, then read again. */
	if ((error == GITCHAT_EINVALID || error == GITCHAT_ENOTFOUND) &&
	    i < gitchat_index_count(s->ix) && (error = repair(s)) == 0)
		error = message_at(out, s, i, body);
	return error;
}

/* Message i; `body`: with its text as the commit has it, which the
 * message cache lacks for a private room (gitchat_text_keeps_body). */
static int message_at(gitchat_message **out, conv_state *s, size_t i, int body)
{
	gitchat_index_rec nd = { 0 };
	gitchat_commit c;
	git_oid parents[64];
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	*out = NULL;
	if (i >= gitchat_index_count(s->ix))
		return gitchat_error_set(GITCHAT_ENOTFOUND, "no message %zu in this conversation", i);
	if ((error = node_at(&nd, s, i)) < 0)
		return error;
	/* From the message cache when it has a sound copy... */
	if (nd.text && (!body || gitchat_text_keeps_body(s->room, strlen(s->room))) &&
	    nd.nparents <= sizeof(parents) / sizeof(*parents) &&
	    gitchat_index_parents(parents, s->ix, &nd) == 0) {
		error = gitchat_text_message(out, &s->text, nd.text, nd.id, nd.time,
		                             gitchat_index_key(s->ix, nd.key), s->room, parents,
		                             nd.nparents);
		if (error == 0) {
			s->stats.messages_cached++;
			return 0;
		}
		if (error != GITCHAT_ENOTFOUND)
			return error;
	}
	gitchat_error_clear();
	/* ... else from git. */
	if (!s->objs_open) {
		if ((error = gitchat_objects_open(&s->objs, gitchat_store_repository(s->store))) < 0)
			return error;
		s->objs_open = 1;
	}
	if ((error = gitchat_objects_read_commit(&s->raw, &s->objs, nd.id)) < 0 ||
	    (error = gitchat_commit_parse(&c, s->raw.ptr, s->raw.size)) < 0)
		return error;
	/* Verified when it entered the index; what we read must still be what
	 * was verified (the id hashes it) and belong here. */
	if (c.author.time != nd.time || c.room_len != strlen(s->room) ||
	    memcmp(c.room, s->room, c.room_len) != 0)
		error = gitchat_error_set(GITCHAT_EINVALID,
			"message %s does not match the order index of room '%s'; remove '%s' "
			"and run the command again", git_oid_tostr(hex, sizeof(hex), nd.id), s->room,
			s->path ? s->path : "the index");
	else
		error = gitchat_message_from_commit(out, nd.id, &c, gitchat_index_key(s->ix, nd.key));
	gitchat_commit_dispose(&c);
	if (error == 0)
		s->stats.messages_read++;
	return error;
}

int gitchat_conversation_related_get(size_t *total, const gitchat_conversation *conv, size_t i,
                                     size_t *out, size_t max)
{
	conv_state *s = conv->s;
	gitchat_conversation_entry e;
	size_t n, k;
	int error;

	if (s->filtered) {
		/* The filter decides the targets: later entries, scanned. */
		n = gitchat_index_count(s->ix);
		*total = 0;
		for (k = i + 1; k < n; k++) {
			if ((error = gitchat_conversation_entry_get(&e, conv, k)) < 0)
				return error;
			if (e.kind == GITCHAT_MESSAGE_TEXT || e.kind == GITCHAT_MESSAGE_HIDDEN ||
			    e.target != i)
				continue;
			if (*total < max)
				out[*total] = k;
			(*total)++;
		}
		return 0;
	}
	error = gitchat_index_related(total, s->ix, i, out, max);
	if (error == GITCHAT_EINVALID && (error = repair(s)) == 0)
		error = gitchat_index_related(total, s->ix, i, out, max);
	return error;
}

/* ---- order/known.h ---- */

int gitchat_conversation_parents(uint32_t *out, size_t max, size_t *count,
                                 const gitchat_conversation *conv, size_t i)
{
	conv_state *s = conv->s;
	gitchat_index_rec nd = { 0 };
	int error;

	*count = 0;
	if ((error = message_node(&nd, s, i)) < 0)
		return error;
	*count = nd.nparents;
	if (nd.nparents > max)
		return gitchat_error_set(GITCHAT_EINVALID, "message %zu has %u parents", i,
		                         (unsigned)nd.nparents);
	error = gitchat_index_parent_positions(out, s->ix, &nd);
	if (error == GITCHAT_EINVALID && (error = repair(s)) == 0 &&
	    (error = node_at(&nd, s, i)) == 0)
		error = gitchat_index_parent_positions(out, s->ix, &nd);
	return error;
}

int gitchat_conversation_tips_match(const gitchat_conversation *conv, const gitchat_tips *tips)
{
	return gitchat_index_tips_match(conv->s->ix, tips);
}

int gitchat_conversation_tips(gitchat_tips *out, const gitchat_conversation *conv)
{
	return gitchat_index_tips(out, conv->s->ix);
}

const char *gitchat_conversation_index_path(const gitchat_conversation *conv)
{
	return conv->s->path;
}

int gitchat_conversation_find(size_t *out, const gitchat_conversation *conv, const git_oid *id)
{
	conv_state *s = conv->s;
	int error = gitchat_index_find(out, s->ix, id);
	if (error == GITCHAT_EINVALID && (error = repair(s)) == 0)
		error = gitchat_index_find(out, s->ix, id);
	return error;
}

gitchat_store *gitchat_conversation_store(const gitchat_conversation *conv)
{
	return conv->s->store;
}

const char *gitchat_conversation_room(const gitchat_conversation *conv)
{
	return conv->s->room;
}

void gitchat_conversation_free(gitchat_conversation *conv)
{
	conv_state *s;

	if (!conv)
		return;
	if ((s = conv->s)) {
		gitchat_index_free(s->ix);
		for (size_t i = 0; i < s->nretired; i++)
			gitchat_index_free(s->retired[i]);
		free(s->retired);
		if (s->objs_open)
			gitchat_objects_close(&s->objs);
		gitchat_buf_dispose(&s->raw);
		gitchat_text_close(&s->text);
		free(s->path);
		free(s);
	}
	free(conv);
}

GITCHAT_OPTIONS_INIT_FUNCTION(gitchat_conversation_options_init, gitchat_conversation_options, GITCHAT_CONVERSATION_OPTIONS_INIT, GITCHAT_CONVERSATION_OPTIONS_VERSION)
