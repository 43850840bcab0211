/*
 * Internal: DESIGN.md's total order over a set of messages, independent of
 * how they were loaded. Nodes are given with their parents (indices into
 * the same array, -1 free); the result is a permutation.
 */
#ifndef GITCHAT_ORDER_ORDER_H
#define GITCHAT_ORDER_ORDER_H

#include <git2.h>
#include <stdint.h>
#include "gitchat/key.h"

typedef struct {
	git_oid id;
	int64_t time;             /* author time */
	gitchat_pubkey key;
	uint32_t first_parent;    /* index into the parent array */
	uint32_t nparents;
} gitchat_order_node;

/* Writes into `order` (n entries) the node indices in conversation order.
 * `parents` holds node indices. Returns 0 or GITCHAT_ENOMEM. */
int gitchat_order_compute(uint32_t *order, const gitchat_order_node *nodes, size_t n,
                          const uint32_t *parents);

#endif
