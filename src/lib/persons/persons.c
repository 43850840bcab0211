/*
 * People from the `_identity` room (gitchat/persons.h says the rules).
 *
 * One pass over the room in the merger's order collects every claim with
 * its position; then each (claimant, subject) pair keeps its latest
 * statement, mutual links join keys (union-find), and each person gets the
 * key that wrote first and the last valid name. The room is small (a few
 * commits per key), so everything is arrays sorted once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gitchat/conversation.h"
#include "gitchat/persons.h"
#include "message/headers.h"
#include "message/objects.h"
#include "store/refs.h"
#include "util/buf.h"
#include "util/array.h"
#include "util/error.h"
#include "util/oidmap.h"
#include "util/options.h"

#define NONE ((size_t)-1)
/* Claims one commit may carry: more are ignored (and reported). */
#define MAX_CLAIMS_PER_COMMIT 16

typedef struct {
	gitchat_pubkey from, to;
	size_t seq;            /* position of the claim in the room's order */
	int link;              /* 1 chat-link, 0 chat-unlink */
	git_oid commit;
} statement;

typedef struct {
	gitchat_pubkey key;
	char *name;
	size_t seq;
} name_claim;

typedef struct {
	gitchat_pubkey key;
	size_t first;          /* first entry written in the room, NONE: never */
	size_t parent;         /* union-find */
	size_t person;         /* index into persons[] */
} key_rec;

typedef struct {
	size_t rep;            /* key_rec index that names the person */
	const char *name;      /* borrowed from a name_claim */
	size_t name_seq, name_by;
	int name_shared;
	size_t devices;
} person_rec;

struct gitchat_persons {
	key_rec *keys;
	size_t nkeys;
	person_rec *persons;
	size_t npersons;
	gitchat_link *links;
	size_t nlinks;
	statement *st;
	size_t nst, capst;
	name_claim *names;
	size_t nnames, capnames;
};

GITCHAT_OPTIONS_INIT_FUNCTION(gitchat_persons_options_init, gitchat_persons_options,
                              GITCHAT_PERSONS_OPTIONS_INIT, GITCHAT_PERSONS_OPTIONS_VERSION)

/* ---- problems --------------------------------------------------------- */

typedef struct {
	const gitchat_persons_options *opts;
	gitchat_buf ref, why;
} reporter;

static int report(reporter *r, const gitchat_pubkey *claimant, const git_oid *commit,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int report(reporter *r, const gitchat_pubkey *claimant, const git_oid *commit,
                  const char *fmt, ...)
{
	gitchat_problem p;
	char why[512];
	va_list ap;
	int error;

	if (!r->opts || !r->opts->problem_cb)
		return 0;
	gitchat_buf_clear(&r->ref);
	gitchat_buf_clear(&r->why);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if ((error = gitchat_buf_puts(&r->why, why)) < 0 ||
	    (error = gitchat_chatref_format(&r->ref, NULL, GITCHAT_IDENTITY_ROOM, claimant)) < 0)
		return error;
	p.refname = r->ref.ptr;
	p.commit = commit;
	p.reason = r->why.ptr;
	return r->opts->problem_cb(&p, r->opts->payload);
}

/* ---- collecting claims ------------------------------------------------ */

static int add_statement(gitchat_persons *ps, const gitchat_pubkey *from,
                         const gitchat_pubkey *to, int link, size_t seq, const git_oid *id)
{
	statement *s;

	if (gitchat_array_grow(&ps->st, &ps->capst, ps->nst + 1, sizeof(*ps->st), 16) < 0)
		return GITCHAT_ENOMEM;
	s = &ps->st[ps->nst++];
	s->from = *from;
	s->to = *to;
	s->link = link;
	s->seq = seq;
	git_oid_cpy(&s->commit, id);
	return 0;
}

static int add_name(gitchat_persons *ps, const gitchat_pubkey *key, const char *v, size_t len,
                    size_t seq)
{
	name_claim *n;

	if (gitchat_array_grow(&ps->names, &ps->capnames, ps->nnames + 1, sizeof(*ps->names), 16) < 0)
		return GITCHAT_ENOMEM;
	n = &ps->names[ps->nnames];
	if (!(n->name = gitchat_memdup_str(v, len)))
		return gitchat_error_oom();
	n->key = *key;
	n->seq = seq;
	ps->nnames++;
	return 0;
}

static int hex_key(gitchat_pubkey *out, const char *v, size_t len)
{
	char hex[GITCHAT_PUBKEY_HEXSIZE];

	if (len != GITCHAT_PUBKEY_HEXSIZE - 1)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return -1;
	memcpy(hex, v, len);
	hex[len] = '\0';
	return gitchat_pubkey_from_hex(out, hex) < 0 ? -1 : 0;
}

static int is_header(const gitchat_commit_header *h, const char *name)
{
	return h->name_len == strlen(name) && !memcmp(h->name, name, h->name_len);
}

/* The claims of one commit of the room, at position seq. */
static int commit_claims(gitchat_persons *ps, reporter *r, const gitchat_commit *c,
                         const gitchat_pubkey *signer, const git_oid *id, size_t seq)
{
	gitchat_commit_header h;
	gitchat_pubkey other;
	size_t pos = 0, n = 0;
	int error = 0, link;

	while (error == 0 && gitchat_commit_header_next(&h, c, &pos)) {
		link = is_header(&h, "chat-link");
		if (!link && !is_header(&h, "chat-unlink") && !is_header(&h, "chat-name"))
			continue;
		if (++n > MAX_CLAIMS_PER_COMMIT) {
			error = report(r, signer, id, "more than %d profile and link claims in one "
			               "commit; the rest are ignored", MAX_CLAIMS_PER_COMMIT);
			break;
		}
		if (h.continued) {
			error = report(r, signer, id, "a %.*s header goes on over several lines; "
			               "ignored", (int)h.name_len, h.name);
		} else if (is_header(&h, "chat-name")) {
			if (gitchat_profile_name_check(h.value, h.value_len) < 0)
				error = report(r, signer, id, "profile name ignored: %s",
				               gitchat_error_last()->message);
			else
				error = add_name(ps, signer, h.value, h.value_len, seq);
		} else if (hex_key(&other, h.value, h.value_len) < 0) {
			error = report(r, signer, id, "a %.*s header does not name a key (64 lowercase "
			               "hex digits); ignored", (int)h.name_len, h.name);
		} else if (!gitchat_pubkey_cmp(&other, signer)) {
			error = report(r, signer, id, "a key links itself; ignored");
		} else {
			error = add_statement(ps, signer, &other, link, seq, id);
		}
	}
	return error;
}

/* The ancestors of `at` (itself included) in the room, into `set`. */
static int ancestors(gitchat_oidmap *set, git_repository *repo, const git_oid *at)
{
	git_revwalk *w = NULL;
	git_oid id;
	int error;

	if ((error = git_revwalk_new(&w, repo)) < 0 || (error = git_revwalk_push(w, at)) < 0) {
		error = gitchat_error_from_git(error, "cannot walk the _identity room from the "
		                               "state asked for");
		goto done;
	}
	while ((error = git_revwalk_next(&id, w)) == 0)
		if ((error = gitchat_oidmap_set(set, &id, 1)) < 0)
			goto done;
	error = error == GIT_ITEROVER ? 0 : gitchat_error_from_git(error, "cannot walk the "
	                                                           "_identity room");
done:
	git_revwalk_free(w);
	return error;
}

static int collect(gitchat_persons *ps, reporter *r, gitchat_store *store,
                   gitchat_conversation *conv, const gitchat_oidmap *only)
{
	gitchat_objects objs;
	gitchat_conversation_entry e;
	gitchat_buf raw = GITCHAT_BUF_INIT;
	gitchat_commit c;
	uint32_t v;
	size_t i, n = gitchat_conversation_count(conv);
	int error;

	if ((error = gitchat_objects_open(&objs, gitchat_store_repository(store))) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if ((error = gitchat_conversation_entry_get(&e, conv, i)) < 0)
			break;
		if (only && !gitchat_oidmap_get(only, e.id, &v))
			continue;
		if ((error = add_statement(ps, e.key, e.key, -1, i, e.id)) < 0)
			break;  /* a marker: the key wrote here (for "first") */
		if (e.kind != GITCHAT_MESSAGE_TEXT)
			continue;
		gitchat_buf_clear(&raw);
		if ((error = gitchat_objects_read_commit(&raw, &objs, e.id)) < 0 ||
		    (error = gitchat_commit_parse(&c, raw.ptr, raw.size)) < 0)
			break;
		error = commit_claims(ps, r, &c, e.key, e.id, i);
		gitchat_commit_dispose(&c);
		if (error != 0)
			break;
	}
	gitchat_objects_close(&objs);
	gitchat_buf_dispose(&raw);
	return error;
}

/* ---- computing people -------------------------------------------------- */

static int key_cmp(const void *a, const void *b)
{
	return gitchat_pubkey_cmp(a, b);
}

static size_t key_find(const gitchat_persons *ps, const gitchat_pubkey *k)
{
	size_t lo = 0, hi = ps->nkeys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = gitchat_pubkey_cmp(&ps->keys[mid].key, k);
		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

static size_t uf_root(key_rec *k, size_t i)
{
	while (k[i].parent != i) {
		k[i].parent = k[k[i].parent].parent;
		i = k[i].parent;
	}
	return i;
}

static int st_cmp(const void *a, const void *b)
{
	const statement *x = a, *y = b;
	int c = gitchat_pubkey_cmp(&x->from, &y->from);

	if (!c)
		c = gitchat_pubkey_cmp(&x->to, &y->to);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Every key seen, sorted, each once; `first` from the markers. */
static int build_keys(gitchat_persons *ps)
{
	gitchat_pubkey *all;
	size_t i, n = 0;

	if (!(all = malloc((2 * ps->nst + 1) * sizeof(*all))))
		return gitchat_error_oom();
	for (i = 0; i < ps->nst; i++) {
		all[n++] = ps->st[i].from;
		if (ps->st[i].link >= 0)
			all[n++] = ps->st[i].to;
	}
	qsort(all, n, sizeof(*all), key_cmp);
	if (!(ps->keys = calloc(n + 1, sizeof(*ps->keys)))) {
		free(all);
		return gitchat_error_oom();
	}
	for (i = 0; i < n; i++)
		if (!ps->nkeys || gitchat_pubkey_cmp(&ps->keys[ps->nkeys - 1].key, &all[i])) {
			key_rec *k = &ps->keys[ps->nkeys];
			k->key = all[i];
			k->first = NONE;
			k->parent = ps->nkeys++;
		}
	free(all);
	for (i = 0; i < ps->nst; i++) {
		key_rec *k = &ps->keys[key_find(ps, &ps->st[i].from)];
		if (ps->st[i].link < 0 && k->first == NONE)
			k->first = ps->st[i].seq;
	}
	return 0;
}

/* Is ps->st[i] the latest statement of its pair (st sorted by st_cmp)? */
static int latest_of_pair(const gitchat_persons *ps, size_t i)
{
	const statement *a = &ps->st[i], *b = &ps->st[i + 1];

	return i + 1 == ps->nst || b->link < 0 || gitchat_pubkey_cmp(&a->from, &b->from) ||
	       gitchat_pubkey_cmp(&a->to, &b->to);
}

/* Is there a standing link to -> from among the first n of `links`
 * (sorted by (from, to))? */
static int linked_back(const gitchat_link *links, size_t n, const gitchat_link *l)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = gitchat_pubkey_cmp(&links[mid].from, &l->to);
		if (!c)
			c = gitchat_pubkey_cmp(&links[mid].to, &l->from);
		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The latest statement of each pair, as standing links; mutual ones join. */
static int build_links(gitchat_persons *ps, reporter *r)
{
	char a[GITCHAT_FINGERPRINT_SIZE], b[GITCHAT_FINGERPRINT_SIZE];
	size_t i, x, y;
	int error = 0;

	if (ps->nst)
		qsort(ps->st, ps->nst, sizeof(*ps->st), st_cmp);
	if (!(ps->links = calloc(ps->nst + 1, sizeof(*ps->links))))
		return gitchat_error_oom();
	for (i = 0; i < ps->nst; i++) {
		gitchat_link *l = &ps->links[ps->nlinks];
		if (ps->st[i].link != 1 || !latest_of_pair(ps, i))
			continue;
		l->from = ps->st[i].from;
		l->to = ps->st[i].to;
		l->commit = &ps->st[i].commit;   /* ps->st is not sorted again */
		ps->nlinks++;
	}
	for (i = 0; i < ps->nlinks; i++)
		ps->links[i].mutual = linked_back(ps->links, ps->nlinks, &ps->links[i]);
	for (i = 0; i < ps->nlinks && error == 0; i++) {
		const gitchat_link *l = &ps->links[i];
		if (l->mutual) {
			x = uf_root(ps->keys, key_find(ps, &l->from));
			y = uf_root(ps->keys, key_find(ps, &l->to));
			if (x != y)
				ps->keys[x > y ? x : y].parent = x > y ? y : x;
			continue;
		}
		gitchat_pubkey_fingerprint(a, &l->from);
		gitchat_pubkey_fingerprint(b, &l->to);
		error = report(r, &l->from, l->commit,
		               "one-sided link: %s links %s, which has not linked it back; ignored "
		               "(a device not linked back yet, or a claim by someone else)", a, b);
	}
	return error;
}

static int name_cmp(const void *a, const void *b)
{
	const person_rec *x = *(person_rec *const *)a, *y = *(person_rec *const *)b;
	return strcasecmp(x->name, y->name);
}

/* Persons: representative, devices, newest name, shared names. */
static int build_persons(gitchat_persons *ps)
{
	person_rec **named;
	size_t i, nn = 0;

	if (!(ps->persons = calloc(ps->nkeys + 1, sizeof(*ps->persons))))
		return gitchat_error_oom();
	for (i = 0; i < ps->nkeys; i++) {
		size_t root = uf_root(ps->keys, i);
		if (root == i) {
			ps->keys[i].person = ps->npersons;
			ps->persons[ps->npersons].rep = i;
			ps->persons[ps->npersons].name_seq = NONE;
			ps->npersons++;
		}
	}
	for (i = 0; i < ps->nkeys; i++) {
		person_rec *p = &ps->persons[ps->keys[uf_root(ps->keys, i)].person];
		key_rec *rep = &ps->keys[p->rep];
		ps->keys[i].person = ps->keys[uf_root(ps->keys, i)].person;
		p->devices++;
		/* The key that wrote first; a key that never wrote comes last. */
		if (ps->keys[i].first < rep->first)
			p->rep = i;
	}
	for (i = 0; i < ps->nnames; i++) {
		size_t k = key_find(ps, &ps->names[i].key);
		person_rec *p = &ps->persons[ps->keys[k].person];
		if (p->name_seq == NONE || ps->names[i].seq >= p->name_seq) {
			p->name = ps->names[i].name;
			p->name_seq = ps->names[i].seq;
			p->name_by = k;
		}
	}
	if (!(named = malloc((ps->npersons + 1) * sizeof(*named))))
		return gitchat_error_oom();
	for (i = 0; i < ps->npersons; i++)
		if (ps->persons[i].name)
			named[nn++] = &ps->persons[i];
	qsort(named, nn, sizeof(*named), name_cmp);
	for (i = 1; i < nn; i++)
		if (!strcasecmp(named[i - 1]->name, named[i]->name))
			named[i - 1]->name_shared = named[i]->name_shared = 1;
	free(named);
	return 0;
}

int gitchat_persons_load(gitchat_persons **out, gitchat_store *store,
                         const gitchat_persons_options *opts)
{
	gitchat_persons *ps = calloc(1, sizeof(*ps));
	gitchat_conversation *conv = NULL;
	gitchat_tips tips = { 0 };
	gitchat_oidmap only = GITCHAT_OIDMAP_INIT;
	reporter r = { opts, GITCHAT_BUF_INIT, GITCHAT_BUF_INIT };
	int error;

	*out = NULL;
	if (!ps)
		return gitchat_error_oom();
	if (opts && opts->version != GITCHAT_PERSONS_OPTIONS_VERSION) {
		error = gitchat_error_set(GITCHAT_EINVALID, "gitchat_persons_load: unknown options "
		                          "version %u", opts->version);
		goto done;
	}
	/* No room, no index file to write: most stores, and every log of them. */
	if ((error = gitchat_tips_list(&tips, NULL, gitchat_store_repository(store),
	                               GITCHAT_IDENTITY_ROOM)) < 0)
		goto done;
	if (tips.count) {
		if ((error = gitchat_conversation_load(&conv, store, GITCHAT_IDENTITY_ROOM, NULL)) < 0 ||
		    (opts && opts->at &&
		     (error = ancestors(&only, gitchat_store_repository(store), opts->at)) < 0) ||
		    (error = collect(ps, &r, store, conv, opts && opts->at ? &only : NULL)) != 0)
			goto done;
	}
	if ((error = build_keys(ps)) < 0 || (error = build_links(ps, &r)) != 0 ||
	    (error = build_persons(ps)) < 0)
		goto done;
	*out = ps;
	ps = NULL;
done:
	gitchat_persons_free(ps);
	gitchat_conversation_free(conv);
	gitchat_tips_dispose(&tips);
	gitchat_oidmap_dispose(&only);
	gitchat_buf_dispose(&r.ref);
	gitchat_buf_dispose(&r.why);
	return error;
}

void gitchat_persons_free(gitchat_persons *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->nnames; i++)
		free(ps->names[i].name);
	free(ps->names);
	free(ps->st);
	free(ps->links);
	free(ps->persons);
	free(ps->keys);
	free(ps);
}

/* ---- questions ---------------------------------------------------------- */

void gitchat_persons_lookup(gitchat_person *out, const gitchat_persons *ps,
                            const gitchat_pubkey *key)
{
	size_t k = ps ? key_find(ps, key) : NONE;
	const person_rec *p;

	memset(out, 0, sizeof(*out));
	out->key = key;
	out->device_count = 1;
	if (k == NONE)
		return;
	p = &ps->persons[ps->keys[k].person];
	out->key = &ps->keys[p->rep].key;
	out->name = p->name;
	out->name_by = p->name ? &ps->keys[p->name_by].key : NULL;
	out->name_shared = p->name_shared;
	out->device_count = p->devices;
}

int gitchat_persons_same(const gitchat_persons *ps, const gitchat_pubkey *a,
                         const gitchat_pubkey *b)
{
	size_t x, y;

	if (!gitchat_pubkey_cmp(a, b))
		return 1;
	if (!ps || (x = key_find(ps, a)) == NONE || (y = key_find(ps, b)) == NONE)
		return 0;
	return ps->keys[x].person == ps->keys[y].person;
}

size_t gitchat_persons_devices(const gitchat_persons *ps, const gitchat_pubkey *key,
                               gitchat_pubkey *out, size_t max)
{
	size_t k = ps ? key_find(ps, key) : NONE, i, n = 0;

	if (k == NONE) {
		if (max)
			out[0] = *key;
		return 1;
	}
	for (i = 0; i < ps->nkeys; i++)
		if (ps->keys[i].person == ps->keys[k].person) {
			if (n < max)
				out[n] = ps->keys[i].key;
			n++;
		}
	return n;
}

size_t gitchat_persons_link_count(const gitchat_persons *ps)
{
	return ps ? ps->nlinks : 0;
}

const gitchat_link *gitchat_persons_link_get(const gitchat_persons *ps, size_t i)
{
	return ps && i < ps->nlinks ? &ps->links[i] : NULL;
}

size_t gitchat_persons_key_count(const gitchat_persons *ps)
{
	return ps ? ps->nkeys : 0;
}

const gitchat_pubkey *gitchat_persons_key_get(const gitchat_persons *ps, size_t i)
{
	return ps && i < ps->nkeys ? &ps->keys[i].key : NULL;
}
