/*
 * The membership cache beside the order index, <index>+members
 * (members_internal.h says what it is for; docs/private-rooms.md has the
 * layout). Local state like the index: written whole to a temporary file
 * renamed into place (order/index.h gitchat_index_sidecar_write), each
 * part under a BLAKE2b-256 sum, never trusted over the refs (a reader
 * compares the tips it records), and read through the bounded reader: a
 * file that is torn, damaged, of another room or version is not used.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "members/members_internal.h"
#include "util/buf.h"
#include "util/error.h"

#define MAGIC "GCMEMB01"
#define SUM 32
#define PRELUDE GITCHAT_MCACHE_PRELUDE   /* magic, the lengths of head, body, ids */
#define ROW 12
#define MAX_NAME 4096

enum { F_VALID = 1, F_LINEAR = 2, F_PERSONS = 4 };
enum { N_MEMBER = 1, N_REMOVED = 2 };
enum { E_GENESIS = 1, E_COUNTED = 2, E_EPOCH_FILE = 4, E_DM = 8, E_PERSONS = 16 };

static int corrupt(const char *why)
{
	return gitchat_error_set(GITCHAT_EINVALID, "the membership cache is unusable: %s", why);
}

int gitchat_mcache_path(gitchat_buf *out, const char *index_path, int head)
{
	gitchat_buf_clear(out);
	return gitchat_buf_printf(out, "%s+members%s", index_path, head ? "-head" : "") < 0 ?
	       gitchat_error_oom() : 0;
}

void gitchat_mcache_head_dispose(gitchat_mcache_head *h)
{
	gitchat_tips_dispose(&h->tips);
	free(h->cur);
	memset(h, 0, sizeof(*h));
}

int gitchat_mcache_head_take(gitchat_members *m, gitchat_mcache_head *h)
{
	m->valid = h->valid;
	m->linear = h->linear;
	m->persons_dep = h->persons;
	free(m->cur.v);
	m->cur.v = h->cur;
	m->cur.n = m->cur.cap = h->ncur;
	h->cur = NULL;
	h->ncur = 0;
	if (h->epoch[0] && !(m->send_epoch = gitchat_members_keep(m, strdup(h->epoch))))
		return gitchat_error_oom();
	return 0;
}

/* ---- writing ---- */

static int put_members(gitchat_buf *b, const gitchat_member *v, size_t n)
{
	int error = gitchat_buf_put_u32(b, (uint32_t)n);
	for (size_t i = 0; i < n && !error; i++)
		if ((error = gitchat_buf_put(b, v[i].key.bytes, GITCHAT_PUBKEY_SIZE)) == 0)
			error = gitchat_buf_put_u32(b, v[i].admin ? 1 : 0);
	return error;
}

static int put_head(gitchat_buf *b, const gitchat_members *m, const gitchat_tips *tips)
{
	const char *ep = m->send_epoch ? m->send_epoch : "";
	int error = gitchat_buf_put_string(b, m->room, strlen(m->room));

	if (!error)
		error = gitchat_buf_put_u32(b, (uint32_t)tips->count);
	for (size_t i = 0; i < tips->count && !error; i++)
		if ((error = gitchat_buf_put_string(b, tips->tips[i].refname,
		                                    strlen(tips->tips[i].refname))) == 0)
			error = gitchat_buf_put(b, tips->tips[i].id.id, GIT_OID_RAWSZ);
	if (!error)
		error = gitchat_buf_put_u32(b, (m->valid ? F_VALID : 0) | (m->linear ? F_LINEAR : 0) |
		                               (m->persons_dep ? F_PERSONS : 0));
	if (!error)
		error = gitchat_buf_put_string(b, ep, strlen(ep));
	if (!error)
		error = put_members(b, m->cur.v, m->cur.n);
	return error;
}

/* magic, the head's and the body's lengths, the head and its sum */
static int put_framed_head(gitchat_buf *out, const gitchat_buf *head, size_t body, size_t ids)
{
	unsigned char sum[SUM];

	if (head->size > UINT32_MAX || body > UINT32_MAX || ids > UINT32_MAX)
		return gitchat_error_set(GITCHAT_EINVALID, "the membership cache would be too large");
	if (gitchat_buf_put(out, MAGIC, 8) < 0 || gitchat_buf_put_u32(out, (uint32_t)head->size) < 0 ||
	    gitchat_buf_put_u32(out, (uint32_t)body) < 0 || gitchat_buf_put_u32(out, (uint32_t)ids) < 0 ||
	    gitchat_buf_put(out, head->ptr, head->size) < 0)
		return gitchat_error_oom();
	crypto_generichash(sum, SUM, (const unsigned char *)out->ptr, out->size, NULL, 0);
	return gitchat_buf_put(out, sum, SUM) < 0 ? gitchat_error_oom() : 0;
}

int gitchat_mcache_encode_head(gitchat_buf *out, const gitchat_members *m,
                               const gitchat_tips *tips)
{
	gitchat_buf head = GITCHAT_BUF_INIT;
	int error;

	gitchat_buf_clear(out);
	if ((error = put_head(&head, m, tips)) == 0)
		error = put_framed_head(out, &head, 0, 0);
	gitchat_buf_dispose(&head);
	return error;
}

/* Distinct epoch strings by pointer (the loader interns them per commit
 * only in order: equal strings may sit at different pointers). */
static int epoch_number(uint32_t *out, const char ***tab, size_t *n, const char *s)
{
	const char **v;

	*out = 0;
	if (!s)
		return 0;
	/* The newest first: messages come in runs of one epoch. */
	for (size_t i = *n; i-- > 0;)
		if ((*tab)[i] == s || !strcmp((*tab)[i], s)) {
			*out = (uint32_t)i + 1;
			return 0;
		}
	if (!(v = realloc(*tab, (*n + 1) * sizeof(*v))))
		return gitchat_error_oom();
	*tab = v;
	v[(*n)++] = s;
	*out = (uint32_t)*n;
	return 0;
}

static int put_body(gitchat_buf *b, const gitchat_members *m)
{
	uint32_t *epno = malloc((m->n + 1) * sizeof(*epno));
	const char **tab = NULL;
	size_t nt = 0, i;
	int error = 0;

	if (!epno)
		return gitchat_error_oom();
	for (i = 0; i < m->n && !error; i++)
		error = epoch_number(&epno[i], &tab, &nt, m->nodes[i].epoch);
	if (!error)
		error = gitchat_buf_put_u32(b, (uint32_t)nt);
	for (i = 0; i < nt && !error; i++)
		error = gitchat_buf_put_string(b, tab[i], strlen(tab[i]));
	if (!error)
		error = gitchat_buf_put_u32(b, (uint32_t)m->n);
	for (i = 0; i < m->n && !error; i++) {
		const gitchat_mnode *nd = &m->nodes[i];
		if ((error = gitchat_buf_put_u32(b, epno[i])) == 0 &&
		    (error = gitchat_buf_put_u32(b, (nd->member ? N_MEMBER : 0) |
		                                    (nd->removed ? N_REMOVED : 0))) == 0)
			error = gitchat_buf_put_u32(b, nd->ev);
	}
	if (!error)
		error = gitchat_buf_put_u32(b, (uint32_t)m->nev);
	for (i = 0; i < m->nev && !error; i++) {
		const gitchat_mevent *e = &m->ev[i];
		if ((error = gitchat_buf_put_u32(b, e->node)) < 0 ||
		    (error = gitchat_buf_put_u32(b, (e->genesis ? E_GENESIS : 0) |
		                                    (e->counted ? E_COUNTED : 0) |
		                                    (e->epoch_file ? E_EPOCH_FILE : 0) |
		                                    (e->has_dm ? E_DM : 0) |
		                                    (e->persons ? E_PERSONS : 0))) < 0 ||
		    (error = gitchat_buf_put_u32(b, e->ignored)) < 0 ||
		    (error = gitchat_buf_put(b, e->nonce, sizeof(e->nonce))) < 0 ||
		    (error = gitchat_buf_put(b, e->dm.bytes, GITCHAT_PUBKEY_SIZE)) < 0 ||
		    (error = put_members(b, e->adds, e->nadds)) < 0 ||
		    (error = gitchat_buf_put_u32(b, (uint32_t)e->nremoves)) < 0)
			break;
		for (size_t k = 0; k < e->nremoves && !error; k++)
			error = gitchat_buf_put(b, e->removes[k].bytes, GITCHAT_PUBKEY_SIZE);
		if (!error)
			error = put_members(b, e->after, e->nafter);
	}
	free(epno);
	free(tab);
	return error < 0 ? gitchat_error_oom() : 0;
}

int gitchat_mcache_encode(gitchat_buf *out, const gitchat_members *m, const gitchat_tips *tips)
{
	gitchat_buf head = GITCHAT_BUF_INIT, body = GITCHAT_BUF_INIT;
	unsigned char sum[SUM];
	size_t ids = m->n * GIT_OID_RAWSZ, i;
	int error;

	gitchat_buf_clear(out);
	if ((error = put_head(&head, m, tips)) < 0 || (error = put_body(&body, m)) < 0 ||
	    (error = put_framed_head(out, &head, body.size, ids)) < 0)
		goto done;
	if (gitchat_buf_put(out, body.ptr, body.size) < 0)
		goto oom;
	crypto_generichash(sum, SUM, (const unsigned char *)body.ptr, body.size, NULL, 0);
	if (gitchat_buf_put(out, sum, SUM) < 0 || gitchat_buf_grow(out, ids + SUM) < 0)
		goto oom;
	/* The ids last, under their own sum: only an update reads them. */
	for (i = 0; i < m->n; i++)
		gitchat_buf_put(out, m->nodes[i].id.id, GIT_OID_RAWSZ);
	crypto_generichash(sum, SUM, (const unsigned char *)out->ptr + out->size - ids, ids, NULL, 0);
	if (gitchat_buf_put(out, sum, SUM) < 0)
		goto oom;
	goto done;
oom:
	error = gitchat_error_oom();
done:
	gitchat_buf_dispose(&head);
	gitchat_buf_dispose(&body);
	return error;
}

/* ---- reading ---- */

/* A row's fields: u32 big endian, as gitchat_reader_u32 reads them, in
 * place (rows are many: a page walks them all). */
static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int get_key(gitchat_reader *r, gitchat_pubkey *out)
{
	const unsigned char *p;
	if (gitchat_reader_bytes(r, &p, GITCHAT_PUBKEY_SIZE) < 0)
		return -1;
	memcpy(out->bytes, p, GITCHAT_PUBKEY_SIZE);
	return 0;
}

/* A member list of at most what the bytes left can hold (36 each). */
static int get_members(gitchat_reader *r, gitchat_member **out, size_t *n)
{
	uint32_t c, admin;

	*out = NULL;
	*n = 0;
	if (gitchat_reader_u32(r, &c) < 0 || c > r->left / 36)
		return corrupt("a member list is truncated");
	if (!(*out = malloc(((size_t)c + 1) * sizeof(**out))))
		return gitchat_error_oom();
	for (*n = 0; *n < c; (*n)++) {
		if (get_key(r, &(*out)[*n].key) < 0 || gitchat_reader_u32(r, &admin) < 0 || admin > 1)
			return corrupt("a member is malformed");
		(*out)[*n].admin = (int)admin;
	}
	return 0;
}

static int get_string(gitchat_reader *r, char *out, size_t max)
{
	const unsigned char *p;
	size_t len;
	if (gitchat_reader_string(r, &p, &len) < 0 || len > max || memchr(p, 0, len))
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static int get_head(gitchat_mcache_head *h, gitchat_reader *r, const char *room)
{
	char name[MAX_NAME + 1];
	const unsigned char *p;
	uint32_t ntips, flags;

	if (get_string(r, name, MAX_NAME) < 0 || strcmp(name, room))
		return corrupt("it is another room's");
	if (gitchat_reader_u32(r, &ntips) < 0 || ntips > r->left / 24)
		return corrupt("its tips are truncated");
	if (!(h->tips.tips = calloc((size_t)ntips + 1, sizeof(*h->tips.tips))))
		return gitchat_error_oom();
	for (uint32_t i = 0; i < ntips; i++) {
		gitchat_tip *t = &h->tips.tips[i];
		if (get_string(r, name, MAX_NAME) < 0 || gitchat_reader_bytes(r, &p, GIT_OID_RAWSZ) < 0 ||
		    gitchat_chatref_parse(&t->ref, name) < 0 || strcmp(t->ref.room, room) ||
		    (i && strcmp(h->tips.tips[i - 1].refname, name) >= 0)) {
			gitchat_error_clear();
			return corrupt("a tip is malformed or out of order");
		}
		if (!(t->refname = strdup(name)))
			return gitchat_error_oom();
		git_oid_fromraw(&t->id, p);
		h->tips.count++;
	}
	if (gitchat_reader_u32(r, &flags) < 0 || flags > (F_VALID | F_LINEAR | F_PERSONS) ||
	    get_string(r, h->epoch, GITCHAT_MEMBERS_MAX_EPOCH) < 0)
		return corrupt("its head is malformed");
	h->valid = !!(flags & F_VALID);
	h->linear = !!(flags & F_LINEAR);
	h->persons = !!(flags & F_PERSONS);
	return get_members(r, &h->cur, &h->ncur);
}

/* The prelude and the head's sum: the lengths of head, body and ids. */
static int frame(size_t len3[3], size_t *need, const unsigned char *d, size_t len)
{
	gitchat_reader r = { d + 8, len < PRELUDE ? 0 : PRELUDE - 8 };
	unsigned char sum[SUM];
	uint32_t v;

	if (len < PRELUDE || memcmp(d, MAGIC, 8))
		return corrupt("it is not a membership cache of this version");
	for (int i = 0; i < 3; i++) {
		gitchat_reader_u32(&r, &v);
		len3[i] = v;
	}
	*need = PRELUDE + len3[0] + SUM;
	if (len < *need)
		return GITCHAT_EMODIFIED;
	crypto_generichash(sum, SUM, d, PRELUDE + len3[0], NULL, 0);
	if (sodium_memcmp(sum, d + PRELUDE + len3[0], SUM))
		return corrupt("its head does not match its checksum");
	return 0;
}

size_t gitchat_mcache_size(const void *data, size_t len, int ids)
{
	const unsigned char *d = data;
	gitchat_reader r = { d + 8, len < PRELUDE ? 0 : PRELUDE - 8 };
	uint32_t v[3];

	if (len < PRELUDE || memcmp(d, MAGIC, 8))
		return 0;
	for (int i = 0; i < 3; i++)
		gitchat_reader_u32(&r, &v[i]);
	return PRELUDE + (size_t)v[0] + SUM + v[1] + SUM + (ids ? (size_t)v[2] + SUM : 0);
}

int gitchat_mcache_decode_head(gitchat_mcache_head *out, size_t *need, const void *data,
                               size_t len, const char *room)
{
	const unsigned char *d = data;
	size_t l3[3] = { 0, 0, 0 };
	gitchat_reader r;
	int error;

	memset(out, 0, sizeof(*out));
	*need = 0;
	if ((error = frame(l3, need, d, len)) < 0)
		return error;
	r.p = d + PRELUDE;
	r.left = l3[0];
	if ((error = get_head(out, &r, room)) == 0 && r.left)
		error = corrupt("its head has bytes after its end");
	if (error < 0)
		gitchat_mcache_head_dispose(out);
	return error;
}

static int get_event(gitchat_members *m, gitchat_mevent *e, gitchat_reader *r, size_t i)
{
	const unsigned char *p;
	uint32_t node, flags, ignored, nrem;

	const char *ep;
	int member, removed;
	uint32_t ev;

	if (gitchat_reader_u32(r, &node) < 0 || node >= m->n ||
	    (gitchat_mcache_row(m, node, &ep, &member, &removed, &ev), ev != i) ||
	    gitchat_reader_u32(r, &flags) < 0 || flags > 31 || gitchat_reader_u32(r, &ignored) < 0 ||
	    ignored >= GITCHAT_MEMBERS_NREASONS || !(flags & E_COUNTED) == !ignored ||
	    gitchat_reader_bytes(r, &p, sizeof(e->nonce)) < 0)
		return corrupt("an event is malformed");
	e->node = node;
	e->genesis = !!(flags & E_GENESIS);
	e->counted = !!(flags & E_COUNTED);
	e->epoch_file = !!(flags & E_EPOCH_FILE);
	e->has_dm = !!(flags & E_DM);
	e->persons = !!(flags & E_PERSONS);
	e->ignored = ignored;
	memcpy(e->nonce, p, sizeof(e->nonce));
	if (get_key(r, &e->dm) < 0)
		return corrupt("an event is malformed");
	if (get_members(r, &e->adds, &e->nadds) < 0)
		return GITCHAT_EINVALID;
	if (gitchat_reader_u32(r, &nrem) < 0 || nrem > r->left / GITCHAT_PUBKEY_SIZE)
		return corrupt("an event's removals are truncated");
	if (!(e->removes = malloc(((size_t)nrem + 1) * sizeof(*e->removes))))
		return gitchat_error_oom();
	for (e->nremoves = 0; e->nremoves < nrem; e->nremoves++)
		get_key(r, &e->removes[e->nremoves]);
	return get_members(r, &e->after, &e->nafter);
}

/* Checks every row and reads the epochs and events; the rows stay in
 * place. */
static int get_body(gitchat_members *m, gitchat_reader *r)
{
	const unsigned char *p;
	uint32_t nt, n, nev, k, ep, flags, ev, events = 0;
	unsigned char *used;
	int error = 0;

	if (gitchat_reader_u32(r, &nt) < 0 || nt > r->left / 5)
		return corrupt("its epochs are truncated");
	if (!(m->epochs = calloc((size_t)nt + 1, sizeof(*m->epochs))))
		return gitchat_error_oom();
	for (k = 0; k < nt; k++) {
		char s[GITCHAT_MEMBERS_MAX_EPOCH + 1];
		if (get_string(r, s, GITCHAT_MEMBERS_MAX_EPOCH) < 0 || !s[0])
			return corrupt("an epoch is malformed");
		if (!(m->epochs[k] = gitchat_members_keep(m, strdup(s))))
			return gitchat_error_oom();
		m->nepochs++;
	}
	if (gitchat_reader_u32(r, &n) < 0 || n > r->left / ROW || n == GITCHAT_MEMBERS_NONE)
		return corrupt("its commits are truncated");
	gitchat_reader_bytes(r, &p, (size_t)n * ROW);
	m->rows = p;
	m->n = n;
	if (gitchat_reader_u32(r, &nev) < 0 || nev > n || nev > r->left / 60)
		return corrupt("its events are truncated");
	if (!(used = calloc((size_t)nt + 1, 1)) ||
	    !(m->used = calloc((size_t)nt + 1, sizeof(*m->used)))) {
		free(used);
		return gitchat_error_oom();
	}
	m->clean = 1;
	for (k = 0; k < n; k++) {
		const unsigned char *row = p + (size_t)k * ROW;
		ep = be32(row);
		flags = be32(row + 4);
		ev = be32(row + 8);
		if (ep > nt || flags > (N_MEMBER | N_REMOVED) || (ev != GITCHAT_MEMBERS_NONE && ev >= nev)) {
			free(used);
			return corrupt("a commit's record is malformed");
		}
		events += ev != GITCHAT_MEMBERS_NONE;
		if (ev == GITCHAT_MEMBERS_NONE) {
			m->clean &= ep && flags == N_MEMBER;
			used[ep] = 1;
		}
	}
	for (k = 1; k <= nt; k++)
		if (used[k])
			m->used[m->nused++] = m->epochs[k - 1];
	free(used);
	/* With each event naming a row that names it (get_event), no two
	 * rows name one event. */
	if (events != nev)
		return corrupt("its commits and events do not match");
	if (!(m->ev = calloc((size_t)nev + 1, sizeof(*m->ev))))
		return gitchat_error_oom();
	for (m->nev = 0; m->nev < nev; m->nev++)
		if ((error = get_event(m, &m->ev[m->nev], r, m->nev)) < 0) {
			m->nev++;   /* freed with the rest */
			return error;
		}
	return 0;
}

void gitchat_mcache_row(const gitchat_members *m, size_t i, const char **epoch, int *member,
                        int *removed, uint32_t *ev)
{
	const unsigned char *row = m->rows + i * ROW;
	uint32_t ep = be32(row), flags = be32(row + 4);

	/* Checked when the file was read (get_body): read in place. */
	*ev = be32(row + 8);
	*epoch = ep ? m->epochs[ep - 1] : NULL;
	*member = !!(flags & N_MEMBER);
	*removed = !!(flags & N_REMOVED);
}

const git_oid *gitchat_mcache_id(const gitchat_members *m, size_t i)
{
	return (const git_oid *)(m->ids + i * GIT_OID_RAWSZ);
}

int gitchat_mcache_decode(gitchat_members **out, gitchat_tips *tips, gitchat_buf *file,
                          const char *room, int ids)
{
	const unsigned char *d = (const unsigned char *)file->ptr;
	size_t len = file->size, l3[3] = { 0, 0, 0 }, need = 0, at;
	gitchat_mcache_head h;
	gitchat_members *m = NULL;
	unsigned char sum[SUM];
	gitchat_reader r;
	int error;

	*out = NULL;
	memset(tips, 0, sizeof(*tips));
	if ((error = gitchat_mcache_decode_head(&h, &need, d, len, room)) < 0)
		return error == GITCHAT_EMODIFIED ? corrupt("it is truncated") : error;
	frame(l3, &need, d, len);
	if (len != gitchat_mcache_size(d, len, ids)) {
		error = corrupt("it is truncated or was not written completely");
		goto done;
	}
	crypto_generichash(sum, SUM, d + need, l3[1], NULL, 0);
	if (sodium_memcmp(sum, d + need + l3[1], SUM)) {
		error = corrupt("its body does not match its checksum");
		goto done;
	}
	at = need + l3[1] + SUM;
	if (ids) {
		crypto_generichash(sum, SUM, d + at, l3[2], NULL, 0);
		if (sodium_memcmp(sum, d + at + l3[2], SUM)) {
			error = corrupt("its ids do not match their checksum");
			goto done;
		}
	}
	if (!(m = gitchat_members_new(room, 0))) {
		error = gitchat_error_oom();
		goto done;
	}
	m->file = *file;               /* the rows point into it */
	memset(file, 0, sizeof(*file));
	r.p = d + need;
	r.left = l3[1];
	if ((error = get_body(m, &r)) < 0)
		goto done;
	if (r.left) {
		error = corrupt("its body has bytes after its end");
		goto done;
	}
	if (ids) {
		if (l3[2] != m->n * GIT_OID_RAWSZ) {
			error = corrupt("its ids do not match its commits");
			goto done;
		}
		m->ids = d + at;
	}
	if ((error = gitchat_mcache_head_take(m, &h)) < 0)
		goto done;
	*tips = h.tips;
	h.tips.tips = NULL;
	h.tips.count = 0;
	*out = m;
	m = NULL;
done:
	gitchat_mcache_head_dispose(&h);
	gitchat_members_free(m);
	return error;
}
