/*
 * Shared by the order tests: a slow, obviously-right reference of
 * DESIGN.md's order, random DAGs, and real signed commits written with the
 * library (text laid out as src/lib/message/send.c writes it).
 */
#ifndef GITCHAT_TESTORDER_H
#define GITCHAT_TESTORDER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <git2.h>
#include <gitchat.h>
#include "rng.h"

#define T_ORDER_MAXP 8

typedef struct {
	int64_t time;
	unsigned char key[32];
	unsigned char id[20];
	int np;
	int parents[T_ORDER_MAXP];
	int author;
	int valid;      /* 0: left out (tampered or below a tampered commit) */
} t_order_node;

static __attribute__((unused)) int t_order_less(const t_order_node *n, const int64_t *e, int a, int b)
{
	int c;
	if (e[a] != e[b])
		return e[a] < e[b];
	if (n[a].time != n[b].time)
		return n[a].time < n[b].time;
	if ((c = memcmp(n[a].key, n[b].key, 32)) != 0)
		return c < 0;
	return memcmp(n[a].id, n[b].id, 20) < 0;
}

/* DESIGN.md, read literally: e by repeating "e(parent) <= e(child)" until
 * nothing changes, then n times the least ready node by linear scan. Only
 * nodes with in[i] set take part (NULL: all); returns how many. */
static __attribute__((unused)) int t_order_reference(int *out, const t_order_node *n, int count, const unsigned char *in)
{
	int64_t *e = calloc((size_t)count + 1, sizeof(int64_t));
	unsigned char *placed = calloc((size_t)count + 1, 1);
	int i, k, changed = 1, total = 0, m;

	for (i = 0; i < count; i++)
		e[i] = n[i].time;
	while (changed) {
		changed = 0;
		for (i = 0; i < count; i++) {
			if (in && !in[i])
				continue;
			for (k = 0; k < n[i].np; k++)
				if (e[i] < e[n[i].parents[k]]) {
					e[n[i].parents[k]] = e[i];
					changed = 1;
				}
		}
	}
	for (i = 0; i < count; i++)
		if (!in || in[i])
			total++;
	for (m = 0; m < total; m++) {
		int best = -1;
		for (i = 0; i < count; i++) {
			int ready = 1;
			if ((in && !in[i]) || placed[i])
				continue;
			for (k = 0; k < n[i].np && ready; k++)
				ready = placed[n[i].parents[k]];
			if (ready && (best < 0 || t_order_less(n, e, i, best)))
				best = i;
		}
		cr_assert(best >= 0, "reference: no ready node (a cycle?)");
		placed[best] = 1;
		out[m] = best;
	}
	free(e);
	free(placed);
	return total;
}

static __attribute__((unused)) int t_order_below(t_rng *r, int n)
{
	return (int)(t_rng_next(r) % (uint64_t)n);
}

/* A random DAG in topological order (parents before children): several
 * authors, each mostly continuing its own log, sometimes forking it (two
 * children of one own message), merging up to five other heads; times from
 * a small set (many ties), per-author clock skew, some messages stamped far
 * in the future or far in the past. Keys and ids are left to the caller. */
static __attribute__((unused)) void t_order_random_dag(t_order_node *n, int count, int authors, t_rng *r)
{
	int heads[16], i, k, a;
	int64_t base = 1000;

	for (a = 0; a < authors; a++)
		heads[a] = -1;
	for (i = 0; i < count; i++) {
		t_order_node *x = &n[i];
		memset(x, 0, sizeof(*x));
		x->valid = 1;
		a = t_order_below(r, authors);
		x->author = a;
		if (heads[a] >= 0) {
			int own = heads[a];
			/* a fork: continue from an older own message */
			if (t_order_below(r, 8) == 0)
				for (k = t_order_below(r, 3); k > 0 && n[own].np > 0 && n[own].author == a; k--)
					own = n[own].parents[0];
			x->parents[x->np++] = own;
		}
		for (k = t_order_below(r, 4); k > 0 && i > 0 && x->np < 6; k--) {
			int p = i - 1 - t_order_below(r, i < 12 ? i : 12), j, dup = 0;
			for (j = 0; j < x->np; j++)
				dup |= x->parents[j] == p;
			if (!dup)
				x->parents[x->np++] = p;
		}
		base += t_order_below(r, 3);
		switch (t_order_below(r, 12)) {
		case 0: x->time = base + 100000000; break;            /* the future */
		case 1: x->time = base > 500 ? base - 500 : 0; break; /* back-dated */
		case 2: x->time = base + (a % 3) * 7; break;          /* skewed clock */
		default: x->time = base; break;
		}
		heads[a] = i;
	}
}

/* ---- real commits ---- */

typedef struct {
	gitchat_key *key;
	char name[32];
} t_order_author;

static __attribute__((unused)) void t_order_authors(t_order_author *a, int n)
{
	for (int i = 0; i < n; i++) {
		cr_assert_eq(gitchat_key_generate(&a[i].key, "test"), 0);
		snprintf(a[i].name, sizeof(a[i].name), "Author %c", 'A' + i);
	}
}

static __attribute__((unused)) void t_order_authors_free(t_order_author *a, int n)
{
	for (int i = 0; i < n; i++)
		gitchat_key_free(a[i].key);
}

typedef struct {
	int kind;                 /* gitchat_message_kind */
	const git_oid *target;
	const git_oid *reply;
	const char *text;         /* NULL: "message N" */
	int tamper;               /* sign, then change the text: a bad signature */
	const git_oid *tree;      /* NULL: the empty tree */
	const char *tz;           /* NULL: "+0000" */
	const char *headers;      /* more header lines (chat-file ...), each ending in \n */
} t_order_extra;

/* Writes one signed message commit into `repo`; returns its id. */
static __attribute__((unused)) git_oid t_order_commit(git_repository *repo, const t_order_author *au, const char *room,
                        const git_oid *parents, int np, int64_t time, const t_order_extra *x)
{
	static const char *kinds[] = { NULL, "chat-edit", "chat-redact", "chat-react" };
	static unsigned counter;
	gitchat_buf text = GITCHAT_BUF_INIT, sig = GITCHAT_BUF_INIT;
	git_odb *odb;
	git_oid tree, id;
	char hex[GIT_OID_HEXSZ + 1];
	int i;

	cr_assert_eq(git_repository_odb(&odb, repo), 0);
	cr_assert_eq(git_odb_write(&tree, odb, "", 0, GIT_OBJECT_TREE), 0);
	git_odb_free(odb);
	if (x && x->tree)
		tree = *x->tree;
	gitchat_buf_printf(&text, "tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree));
	for (i = 0; i < np; i++)
		gitchat_buf_printf(&text, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &parents[i]));
	gitchat_buf_printf(&text, "author %s <%c@example.org> %lld %s\n", au->name,
	                   au->name[7], (long long)time, x && x->tz ? x->tz : "+0000");
	gitchat_buf_printf(&text, "committer %s <%c@example.org> %lld +0000\n", au->name,
	                   au->name[7], (long long)(time + 7));
	gitchat_buf_printf(&text, "chat-room %s\n", room);
	if (x && x->reply)
		gitchat_buf_printf(&text, "chat-reply %s\n", git_oid_tostr(hex, sizeof(hex), x->reply));
	if (x && x->kind)
		gitchat_buf_printf(&text, "%s %s\n", kinds[x->kind],
		                   git_oid_tostr(hex, sizeof(hex), x->target));
	if (x && x->headers)
		gitchat_buf_puts(&text, x->headers);
	if (x && x->text)
		gitchat_buf_printf(&text, "\n%s\n", x->text);
	else
		gitchat_buf_printf(&text, "\nmessage %u\n", counter++);
	cr_assert_eq(gitchat_sshsig_sign(&sig, au->key, "git", text.ptr, text.size), 0);
	sig.ptr[--sig.size] = '\0';
	if (x && x->tamper)
		text.ptr[text.size - 2] ^= 1;   /* the last character of the text */
	cr_assert_eq(git_commit_create_with_signature(&id, repo, text.ptr, sig.ptr, "gpgsig"), 0,
	             "%s", git_error_last() ? git_error_last()->message : "");
	gitchat_buf_dispose(&text);
	gitchat_buf_dispose(&sig);
	return id;
}

static __attribute__((unused)) void t_order_ref(git_repository *repo, const char *remote, const char *room,
                  const gitchat_key *key, const git_oid *id)
{
	char name[512], hex[GITCHAT_PUBKEY_HEXSIZE];
	git_reference *ref = NULL;

	gitchat_pubkey_hex(hex, gitchat_key_public(key));
	if (remote)
		snprintf(name, sizeof(name), "refs/chat-remotes/%s/%s/%s", remote, room, hex);
	else
		snprintf(name, sizeof(name), "refs/chat/%s/%s", room, hex);
	cr_assert_eq(git_reference_create(&ref, repo, name, id, 1, "test"), 0, "%s",
	             git_error_last() ? git_error_last()->message : "");
	git_reference_free(ref);
}

/* The ids of a loaded conversation, in order. */
static __attribute__((unused)) git_oid *t_order_ids(gitchat_conversation *conv, size_t *count)
{
	size_t n = gitchat_conversation_count(conv), i;
	git_oid *ids = calloc(n + 1, sizeof(git_oid));
	gitchat_conversation_entry e;

	for (i = 0; i < n; i++) {
		cr_assert_eq(gitchat_conversation_entry_get(&e, conv, i), 0, "%s",
		             gitchat_error_last()->message);
		ids[i] = *e.id;
	}
	*count = n;
	return ids;
}

static __attribute__((unused)) gitchat_conversation *t_order_load(gitchat_store *store, const char *room, unsigned flags,
                                    gitchat_conversation_stats *stats)
{
	gitchat_conversation_options o = GITCHAT_CONVERSATION_OPTIONS_INIT;
	gitchat_conversation *conv = NULL;

	o.flags = flags;
	cr_assert_eq(gitchat_conversation_load(&conv, store, room, &o), 0, "load: %s",
	             gitchat_error_last()->message);
	if (stats)
		gitchat_conversation_stats_get(stats, conv);
	return conv;
}

static __attribute__((unused)) const char *t_order_state_name(gitchat_conversation_index_state s)
{
	static const char *names[] = { "none", "warm", "updated", "built", "rebuilt", "appended" };
	return (unsigned)s < 6 ? names[s] : "?";
}

#endif
