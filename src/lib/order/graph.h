/*
 * Internal: a room's commit graph in compact form, built from the refs
 * alone and brought up to date when they move.
 *
 * Every commit reachable from the room's refs is a node: the valid ones are
 * the messages, the invalid ones are kept (flagged, with the reason) so that
 * an update neither walks them again nor forgets to report them. After
 * gitchat_graph_update the valid nodes are [0, nvalid) and only have valid
 * parents (DESIGN.md: a commit is valid only when its parents are), so
 * gitchat_order_compute can order them as they lie.
 */
#ifndef GITCHAT_ORDER_GRAPH_H
#define GITCHAT_ORDER_GRAPH_H

#include "gitchat/common.h"
#include "gitchat/key.h"
#include "gitchat/store.h"
#include "order/order.h"
#include "store/refs.h"
#include "order/text.h"

#define GITCHAT_GRAPH_NONE UINT32_MAX

enum {
	GITCHAT_GRAPH_VALID = 1,
	GITCHAT_GRAPH_INVALID = 2,
	GITCHAT_GRAPH_NEW = 4,       /* found by the running update */
	GITCHAT_GRAPH_MARK = 8,      /* scratch */
	GITCHAT_GRAPH_STUB = 16      /* known to the index: valid, not read (append) */
};

enum { GITCHAT_LINK_TARGET = 0, GITCHAT_LINK_REPLY = 1 };

/* A chat-edit/redact/react target or a chat-reply: kept by id, since the
 * message it names may arrive later than the one naming it. */
typedef struct {
	uint32_t node;
	uint32_t which;          /* GITCHAT_LINK_* */
	git_oid id;
	uint32_t resolved;       /* node index of a valid message, or NONE */
} gitchat_graph_link;

typedef struct {
	uint32_t node;
	uint32_t reason;         /* offset into strings */
} gitchat_graph_failure;

typedef struct {
	gitchat_order_node *nodes;   /* .key indexes keys[], NONE when unknown */
	uint8_t *kind;               /* gitchat_message_kind */
	uint8_t *state;              /* GITCHAT_GRAPH_* */
	uint32_t *text;              /* slot in the message cache, 0: none */
	size_t n, cap;
	uint32_t *parents;
	size_t np, capp;
	uint64_t *slots;             /* oid hash: tag << 32 | node + 1, 0 when empty */
	size_t nslots;
	gitchat_pubkey *keys;        /* in byte order after an update: index = rank */
	size_t nkeys, capkeys;
	uint32_t *keyslots;
	size_t nkeyslots;
	gitchat_graph_link *links;
	size_t nlinks, caplinks;
	gitchat_graph_failure *failures;
	size_t nfailures, capfailures;
	gitchat_buf strings;         /* failure reasons, NUL-terminated */
	size_t nvalid;
	size_t parsed;               /* commits read by updates */
	size_t dropped;              /* nodes no ref reaches any more */
	/* For an append (order/append.c): a commit for which known() says 1
	 * is a leaf stub (valid, its parents not walked); more than max_new
	 * commits read (0: no limit) stops the update, which returns 1. */
	int (*known)(const git_oid *id, void *payload);
	void *known_payload;
	size_t max_new;
	/* Read the new commits through libgit2's object cache (where a sync
	 * left them) rather than past it. */
	int read_cached;
} gitchat_graph;

void gitchat_graph_init(gitchat_graph *g);
void gitchat_graph_dispose(gitchat_graph *g);

/* Filling a graph from a saved index: nodes in order, parents given as
 * indices of nodes added before (or the node list is rejected later). */
int gitchat_graph_reserve(gitchat_graph *g, size_t nodes, size_t parents);
int gitchat_graph_push(gitchat_graph *g, const git_oid *id, int64_t time, uint32_t key,
                       unsigned kind, unsigned state, uint32_t text, const uint32_t *parents,
                       size_t nparents);
int gitchat_graph_key(uint32_t *out, gitchat_graph *g, const gitchat_pubkey *key);
int gitchat_graph_link_add(gitchat_graph *g, uint32_t node, uint32_t which, const git_oid *id);
int gitchat_graph_fail(gitchat_graph *g, uint32_t node, const char *reason);

/* The node of `id`, or GITCHAT_GRAPH_NONE. */
uint32_t gitchat_graph_find(const gitchat_graph *g, const git_oid *id);

/* Frees the oid lookup (16 bytes a node) once it is no longer needed:
 * ordering and writing do without it. */
void gitchat_graph_drop_lookup(gitchat_graph *g);

/* Adds what the tips reach that the graph lacks (reading only those
 * commits, and copying their messages to `tw` when not NULL), decides the validity of the new commits (gitchat_verify_commit,
 * its cache, and what the graph already knows), drops what no tip reaches
 * any more, then lays the nodes out valid first, keys in byte order, links
 * resolved. */
int gitchat_graph_update(gitchat_graph *g, gitchat_store *store, const char *room,
                         const gitchat_tips *tips, gitchat_text_writer *tw);

#endif
