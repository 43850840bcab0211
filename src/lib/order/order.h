/*
 * Internal: DESIGN.md's total order over a set of messages, independent of
 * how they were loaded.
 *
 *   e(c) = min(author time of c, e(d) for every child d)
 *   Kahn's algorithm, parents first; among the ready messages the smallest
 *   (e(c), author time, key, oid).
 *
 * Nodes are compact (40 bytes) so that a million of them fit in memory with
 * room to spare. Keys are given as ranks: the caller numbers the room's
 * distinct keys in byte order, so comparing ranks compares keys.
 */
#ifndef GITCHAT_ORDER_ORDER_H
#define GITCHAT_ORDER_ORDER_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	int64_t time;             /* author time */
	git_oid id;
	uint32_t key;             /* rank of the signer's key among the room's keys */
	uint32_t first_parent;    /* index into the parent array */
	uint32_t nparents;
} gitchat_order_node;

/* Writes into `order` (n entries) the node indices in conversation order.
 * `parents` holds node indices (< n). Returns 0, GITCHAT_ENOMEM, or
 * GITCHAT_EINVALID when the graph has a cycle (impossible with real
 * commits, whose ids hash their parents). */
int gitchat_order_compute(uint32_t *order, const gitchat_order_node *nodes, size_t n,
                          const uint32_t *parents);

#endif
