#include <stdlib.h>
#include <string.h>

#include "order/order.h"
#include "util/error.h"

typedef struct {
	const gitchat_order_node *nodes;
	const int64_t *e;
} order_ctx;

/* (e, author time, key, oid): every tie broken, so the order is total. */
static int before(const order_ctx *ctx, uint32_t a, uint32_t b)
{
	const gitchat_order_node *x = &ctx->nodes[a], *y = &ctx->nodes[b];

	if (ctx->e[a] != ctx->e[b])
		return ctx->e[a] < ctx->e[b];
	if (x->time != y->time)
		return x->time < y->time;
	if (x->key != y->key)
		return x->key < y->key;
	return memcmp(x->id.id, y->id.id, GIT_OID_RAWSZ) < 0;
}

static void heap_push(uint32_t *heap, size_t *n, uint32_t v, const order_ctx *ctx)
{
	size_t i = (*n)++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(ctx, v, heap[p]))
			break;
		heap[i] = heap[p];
		i = p;
	}
	heap[i] = v;
}

static uint32_t heap_pop(uint32_t *heap, size_t *n, const order_ctx *ctx)
{
	uint32_t top = heap[0], v = heap[--(*n)];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t mv = v;
		if (l < *n && before(ctx, heap[l], mv)) { m = l; mv = heap[l]; }
		if (r < *n && before(ctx, heap[r], mv)) { m = r; mv = heap[r]; }
		if (m == i)
			break;
		heap[i] = heap[m];
		i = m;
	}
	if (*n)
		heap[i] = v;
	return top;
}

int gitchat_order_compute(uint32_t *order, const gitchat_order_node *nodes, size_t n,
                          const uint32_t *parents)
{
	/* Children as CSR: start[v] .. start[v + 1] in children[]. */
	uint32_t *start = calloc(n + 1, sizeof(uint32_t));
	uint32_t *pending = malloc((n + 1) * sizeof(uint32_t));
	uint32_t *children = NULL, *queue = order;
	int64_t *e = malloc((n + 1) * sizeof(int64_t));
	size_t i, k, total = 0, nheap = 0, out = 0, head = 0;
	order_ctx ctx = { nodes, e };
	int error = GITCHAT_ENOMEM;

	if (!start || !pending || !e)
		goto done;
	for (i = 0; i < n; i++) {
		total += nodes[i].nparents;
		for (k = 0; k < nodes[i].nparents; k++)
			start[parents[nodes[i].first_parent + k]]++;
	}
	if (total > UINT32_MAX || !(children = malloc((total + 1) * sizeof(uint32_t))))
		goto done;
	for (i = 0, k = 0; i <= n; i++) {   /* start[v] = end of v's range */
		k += start[i];
		start[i] = (uint32_t)k;
	}
	for (i = n; i-- > 0;)               /* filled backwards: start[v] ends at its beginning */
		for (k = nodes[i].nparents; k-- > 0;) {
			uint32_t p = parents[nodes[i].first_parent + k];
			children[--start[p]] = (uint32_t)i;
		}

	/* Pass 1: any parents-first order (plain Kahn, FIFO, in `order` for
	 * now), walked backwards to pull e(c) down to the least e of its
	 * children: by then every child's e is final. */
	for (i = 0; i < n; i++) {
		pending[i] = nodes[i].nparents;
		e[i] = nodes[i].time;
		if (!pending[i])
			queue[out++] = (uint32_t)i;
	}
	while (head < out) {
		uint32_t v = queue[head++];
		for (k = start[v]; k < start[v + 1]; k++)
			if (--pending[children[k]] == 0)
				queue[out++] = children[k];
	}
	if (out != n) {
		error = gitchat_error_set(GITCHAT_EINVALID, "the commit graph has a cycle");
		goto done;
	}
	for (i = n; i-- > 0;) {
		uint32_t v = queue[i];
		for (k = 0; k < nodes[v].nparents; k++) {
			uint32_t p = parents[nodes[v].first_parent + k];
			if (e[v] < e[p])
				e[p] = e[v];
		}
	}

	/* Pass 2: Kahn with the priority (e, time, key, oid). */
	for (i = 0; i < n; i++)
		pending[i] = nodes[i].nparents;
	{
		uint32_t *heap = malloc((n + 1) * sizeof(uint32_t));
		if (!heap)
			goto done;
		for (i = 0; i < n; i++)
			if (!pending[i])
				heap_push(heap, &nheap, (uint32_t)i, &ctx);
		out = 0;
		while (nheap) {
			uint32_t v = heap_pop(heap, &nheap, &ctx);
			order[out++] = v;
			for (k = start[v]; k < start[v + 1]; k++)
				if (--pending[children[k]] == 0)
					heap_push(heap, &nheap, children[k], &ctx);
		}
		free(heap);
	}
	error = 0;
done:
	if (error == GITCHAT_ENOMEM)
		gitchat_error_oom();
	free(start);
	free(children);
	free(pending);
	free(e);
	return error;
}
