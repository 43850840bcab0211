/*
 * Benchmark generator: writes a room of N signed messages from A authors
 * straight into one pack, then points refs/chat/<room>/<key> at each
 * author's head.
 *
 *   bench_gen_room [-n N] [-a AUTHORS] [-r ROOM] [-s SEED] [-k KEYDIR] STORE
 *
 * The DAG is shaped the way `git chat send` shapes it: the first parent is
 * the author's own head; the others are the heads of other authors' logs
 * that the author has (it syncs now and then, so its copies lag) and that
 * are not already ancestors, newest first. Vector clocks answer "is an
 * ancestor" in O(authors). Clocks are skewed per author, some seconds hold
 * several messages, a few messages are stamped days in the future or the
 * past. About one message in twenty is a reply, some are reactions, edits
 * and redactions.
 *
 * Every message is a real commit, text laid out as src/lib/send/send.c
 * writes it, signed with gitchat_sshsig_sign, the signature inserted as
 * libgit2's git_commit_create_with_signature inserts it (checked on the
 * first messages). Objects go undeltified and zlib-compressed into a pack
 * streamed to libgit2's pack writer (git_odb_write_pack), which indexes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/evp.h>
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <gitchat.h>

#include "rng.h"

#define MAX_AUTHORS 128   /* issue 15 measures a room of 100 */
#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#define FLUSH_AT (4u << 20)

typedef struct {
	gitchat_key *key;
	char name[32], email[64];
	int tz;            /* minutes */
	int64_t skew;      /* seconds its clock is off */
	int64_t head;      /* message index, -1 none */
	int64_t *known;    /* per other author: the head we hold a copy of */
	int64_t nmsgs;
} author;

static uint32_t rnd_below(t_rng *r, uint32_t n)
{
	return (uint32_t)(t_rng_next(r) % n);
}

static void die(const char *what)
{
	const gitchat_error *e = gitchat_error_last();
	const git_error *g = git_error_last();
	fprintf(stderr, "gen_room: %s: %s%s\n", what, e->message && *e->message ? e->message : "",
	        g && g->message ? g->message : "");
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		die("out of memory");
	return p;
}

/* The pack stream: bytes go to the indexer and into the trailer hash. */
typedef struct {
	git_odb_writepack *wp;
	git_indexer_progress stats;
	EVP_MD_CTX *sha;
	gitchat_buf out;
	z_stream z;
	unsigned char *zbuf;
	size_t zcap;
} pack_writer;

static void pack_flush(pack_writer *pw)
{
	if (!pw->out.size)
		return;
	EVP_DigestUpdate(pw->sha, pw->out.ptr, pw->out.size);
	if (pw->wp->append(pw->wp, pw->out.ptr, pw->out.size, &pw->stats) < 0)
		die("cannot append to the pack");
	gitchat_buf_clear(&pw->out);
}

static void pack_put(pack_writer *pw, const void *data, size_t len)
{
	if (gitchat_buf_put(&pw->out, data, len) < 0)
		die("out of memory");
	if (pw->out.size >= FLUSH_AT)
		pack_flush(pw);
}

static void pack_object(pack_writer *pw, int type, const char *data, size_t len)
{
	unsigned char hdr[16];
	size_t n = 0, size = len;
	uLongf zlen;

	hdr[n++] = (unsigned char)((type << 4) | (size & 0x0f)) | (size > 0x0f ? 0x80 : 0);
	size >>= 4;
	while (size) {
		hdr[n++] = (unsigned char)(size & 0x7f) | (size > 0x7f ? 0x80 : 0);
		size >>= 7;
	}
	pack_put(pw, hdr, n);
	zlen = compressBound(len);
	if (zlen > pw->zcap) {
		pw->zcap = zlen * 2;
		if (!(pw->zbuf = realloc(pw->zbuf, pw->zcap)))
			die("out of memory");
	}
	zlen = pw->zcap;
	if (compress2(pw->zbuf, &zlen, (const Bytef *)data, len, Z_DEFAULT_COMPRESSION) != Z_OK)
		die("zlib failed");
	pack_put(pw, pw->zbuf, zlen);
}

static const char *words[] = {
	"the", "a", "merge", "commit", "tomorrow", "lunch", "build", "is", "green", "red",
	"review", "please", "ok", "thanks", "deploy", "server", "why", "not", "ship", "it",
	"coffee", "meeting", "moved", "to", "friday", "I", "think", "we", "should", "rename",
	"this", "function", "test", "flaky", "again", "fixed", "in", "main", "branch", "later",
	"**important**", "`make check`", "_maybe_", "caf\xc3\xa9", "\xf0\x9f\x8e\x89",
	"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "[docs](https://example.org/docs)", "done", "yes", "no"
};
static const char *emoji[] = { "\xf0\x9f\x91\x8d", "\xe2\x9d\xa4\xef\xb8\x8f", "\xf0\x9f\x98\x82",
                               "\xf0\x9f\x8e\x89", "\xf0\x9f\x91\x80" };

static void random_text(gitchat_buf *out, t_rng *r)
{
	uint32_t n = 2 + rnd_below(r, 24), i;
	for (i = 0; i < n; i++) {
		if (i && gitchat_buf_puts(out, " ") < 0)
			die("out of memory");
		if (gitchat_buf_puts(out, words[rnd_below(r, sizeof(words) / sizeof(*words))]) < 0)
			die("out of memory");
	}
	if (rnd_below(r, 10) == 0 && gitchat_buf_puts(out, "\n\n> quoted line\n\n- item one\n- item two") < 0)
		die("out of memory");
}

static void put_ident(gitchat_buf *b, const author *a, int64_t t)
{
	int tz = a->tz < 0 ? -a->tz : a->tz;
	if (gitchat_buf_printf(b, "%s <%s> %lld %c%02d%02d", a->name, a->email, (long long)t,
	                       a->tz < 0 ? '-' : '+', tz / 60, tz % 60) < 0)
		die("out of memory");
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_gen_room [-n N] [-a AUTHORS] [-r ROOM] [-s SEED] "
	                "[-k KEYDIR] STORE\n");
	exit(129);
}

int main(int argc, char **argv)
{
	int64_t n = 1000000, i;
	int nauth = 8, opt, a, b, k;
	const char *room = "general", *keydir = NULL, *path;
	uint64_t seed = 42;
	t_rng r;
	author *au;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	pack_writer pw;
	git_oid *oids, empty;
	int64_t *vc, *prev, *atimes;
	uint8_t *who;
	int64_t now;                /* a fixed start: reproducible rooms */
	gitchat_buf text = GITCHAT_BUF_INIT, body = GITCHAT_BUF_INIT, sig = GITCHAT_BUF_INIT;
	gitchat_buf obj = GITCHAT_BUF_INIT, first_text = GITCHAT_BUF_INIT, first_sig = GITCHAT_BUF_INIT;
	unsigned char hdr[12], trailer[EVP_MAX_MD_SIZE];
	unsigned int tlen;
	struct timespec t0, t1;
	char hex[GIT_OID_HEXSZ + 1];

	while ((opt = getopt(argc, argv, "n:a:r:s:k:")) != -1) {
		switch (opt) {
		case 'n': n = strtoll(optarg, NULL, 10); break;
		case 'a': nauth = atoi(optarg); break;
		case 'r': room = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'k': keydir = optarg; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || n < 1 || nauth < 1 || nauth > MAX_AUTHORS)
		usage();
	path = argv[optind];
	/* The clock advances 41 s a message on average: start far enough back
	 * that the room ends in the past (2025-10), as a real room does. A room
	 * whose newest messages are stamped after the moment of the benchmark
	 * makes its first real message pull them back (DESIGN.md, order, rule
	 * 1), which reorders old messages and rewrites the index once. */
	now = 1760000000 - (int64_t)n * 46;
	r.s = seed;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (gitchat_init() < 0)
		die("init");
	if (gitchat_room_validate(room) < 0)
		die("room");
	if (git_repository_init(&repo, path, 1) < 0 || git_repository_odb(&odb, repo) < 0)
		die("cannot create the store");

	if (keydir && gitchat_buf_printf(&text, "mkdir -p '%s'", keydir) >= 0 && system(text.ptr) != 0)
		die("cannot create the key directory");
	gitchat_buf_clear(&text);
	au = xcalloc((size_t)nauth, sizeof(*au));
	for (a = 0; a < nauth; a++) {
		static const int tzs[] = { 0, 60, -300, 330, 540, -480, 120, -180 };
		char kp[4096];
		if (gitchat_key_generate(&au[a].key, "bench") < 0)
			die("keygen");
		snprintf(au[a].name, sizeof(au[a].name), "Author %d", a);
		snprintf(au[a].email, sizeof(au[a].email), "author%d@example.org", a);
		au[a].tz = tzs[a % 8];
		/* Most clocks are right; some are minutes off either way. */
		au[a].skew = a % 3 == 0 ? 0 : (int64_t)rnd_below(&r, 1200) - 600;
		au[a].head = -1;
		au[a].known = xcalloc((size_t)nauth, sizeof(int64_t));
		for (b = 0; b < nauth; b++)
			au[a].known[b] = -1;
		if (keydir) {
			snprintf(kp, sizeof(kp), "%s/author%d", keydir, a);
			if (gitchat_key_write(au[a].key, kp, GITCHAT_KEY_WRITE_FORCE) < 0)
				die("cannot write a key");
		}
	}
	oids = xcalloc((size_t)n, sizeof(git_oid));
	vc = xcalloc((size_t)n * (size_t)nauth, sizeof(int64_t));
	prev = xcalloc((size_t)n, sizeof(int64_t));
	atimes = xcalloc((size_t)n, sizeof(int64_t));
	who = xcalloc((size_t)n, 1);

	memset(&pw, 0, sizeof(pw));
	if (git_odb_write_pack(&pw.wp, odb, NULL, NULL) < 0)
		die("cannot start a pack");
	if (!(pw.sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(pw.sha, EVP_sha1(), NULL) != 1)
		die("sha1");
	memcpy(hdr, "PACK", 4);
	hdr[4] = 0; hdr[5] = 0; hdr[6] = 0; hdr[7] = 2;
	{
		uint64_t cnt = (uint64_t)n + 1;
		hdr[8] = (unsigned char)(cnt >> 24); hdr[9] = (unsigned char)(cnt >> 16);
		hdr[10] = (unsigned char)(cnt >> 8); hdr[11] = (unsigned char)cnt;
	}
	pack_put(&pw, hdr, 12);
	pack_object(&pw, GIT_OBJECT_TREE, "", 0);
	git_oid_fromstr(&empty, EMPTY_TREE);

	for (i = 0; i < n; i++) {
		int64_t cand[MAX_AUTHORS], parents[MAX_AUTHORS + 1], t, target = -1;
		int ncand = 0, np = 0, kind = 0, reply = 0;
		author *me;
		const char *at;

		/* Someone speaks; a few talk more than others. */
		a = (int)(rnd_below(&r, 4) == 0 ? rnd_below(&r, (uint32_t)(nauth > 2 ? 2 : nauth))
		                               : rnd_below(&r, (uint32_t)nauth));
		me = &au[a];
		/* Now and then it syncs: its copies of some logs catch up. */
		for (b = 0; b < nauth; b++)
			if (b != a && rnd_below(&r, 3) == 0)
				me->known[b] = au[b].head;
		if (me->head >= 0)
			parents[np++] = me->head;
		for (b = 0; b < nauth; b++) {
			int64_t h = me->known[b];
			if (b == a || h < 0)
				continue;
			/* Skip what the own head has already seen. */
			if (me->head >= 0 && vc[(size_t)me->head * nauth + b] >= vc[(size_t)h * nauth + b])
				continue;
			cand[ncand++] = h;
		}
		/* Newest first (by author time, then index), as send does. */
		for (k = 1; k < ncand; k++)
			for (int j = k; j > 0 && (atimes[cand[j]] > atimes[cand[j - 1]] ||
			                          (atimes[cand[j]] == atimes[cand[j - 1]] &&
			                           cand[j] > cand[j - 1])); j--) {
				int64_t tmp = cand[j]; cand[j] = cand[j - 1]; cand[j - 1] = tmp;
			}
		for (k = 0; k < ncand; k++) {
			int dominated = 0;
			int ck = who[cand[k]];
			for (int j = 0; j < ncand && !dominated; j++)
				if (j != k && cand[j] != cand[k] &&
				    vc[(size_t)cand[j] * nauth + ck] >= vc[(size_t)cand[k] * nauth + ck])
					dominated = 1;
			if (!dominated && np < 17)
				parents[np++] = cand[k];
		}
		/* The clock: mostly forward, sometimes the same second. */
		now += rnd_below(&r, 10) == 0 ? 0 : 1 + rnd_below(&r, 90);
		t = now + me->skew;
		if (rnd_below(&r, 2000) == 0)
			t += 3600 * (1 + rnd_below(&r, 24 * 7));      /* stamped in the future */
		else if (rnd_below(&r, 2000) == 0)
			t -= 3600 * (1 + rnd_below(&r, 24 * 30));     /* back-dated */
		if (t < 1)
			t = 1;

		/* What kind of message: most are text, some replies and reactions. */
		{
			uint32_t roll = rnd_below(&r, 100);
			int64_t seen = -1;
			if (np > 1 && rnd_below(&r, 2))
				seen = parents[1 + rnd_below(&r, (uint32_t)(np - 1))];
			else if (me->head >= 0)
				seen = me->head;
			if (seen >= 0 && roll < 5) {
				reply = 1;
				target = seen;
			} else if (seen >= 0 && roll < 9) {
				kind = 3;        /* react */
				target = seen;
			} else if (me->head >= 0 && roll < 10) {
				kind = rnd_below(&r, 5) == 0 ? 2 : 1;   /* redact / edit own */
				target = me->head;
				for (k = rnd_below(&r, 4); k > 0 && prev[target] >= 0; k--)
					target = prev[target];
			}
		}

		gitchat_buf_clear(&text);
		if (gitchat_buf_printf(&text, "tree %s\n", EMPTY_TREE) < 0)
			die("out of memory");
		for (k = 0; k < np; k++)
			if (gitchat_buf_printf(&text, "parent %s\n",
			                       git_oid_tostr(hex, sizeof(hex), &oids[parents[k]])) < 0)
				die("out of memory");
		gitchat_buf_puts(&text, "author ");
		put_ident(&text, me, t);
		gitchat_buf_puts(&text, "\ncommitter ");
		put_ident(&text, me, t);
		if (gitchat_buf_printf(&text, "\nchat-room %s\n", room) < 0)
			die("out of memory");
		if (reply && gitchat_buf_printf(&text, "chat-reply %s\n",
		                                git_oid_tostr(hex, sizeof(hex), &oids[target])) < 0)
			die("out of memory");
		if (kind) {
			static const char *kinds[] = { NULL, "chat-edit", "chat-redact", "chat-react" };
			if (gitchat_buf_printf(&text, "%s %s\n", kinds[kind],
			                       git_oid_tostr(hex, sizeof(hex), &oids[target])) < 0)
				die("out of memory");
		}
		gitchat_buf_puts(&text, "\n");
		gitchat_buf_clear(&body);
		if (kind == 3)
			gitchat_buf_puts(&body, emoji[rnd_below(&r, 5)]);
		else if (kind == 2)
			gitchat_buf_puts(&body, "redacted");
		else
			random_text(&body, &r);
		gitchat_buf_put(&text, body.ptr, body.size);
		if (gitchat_buf_puts(&text, "\n") < 0)
			die("out of memory");

		gitchat_buf_clear(&sig);
		if (gitchat_sshsig_sign(&sig, me->key, "git", text.ptr, text.size) < 0)
			die("sign");
		sig.ptr[--sig.size] = '\0';   /* git keeps the armor without its last newline */

		/* The signature goes in as a gpgsig header after the last header. */
		at = strstr(text.ptr, "\n\n") + 1;
		gitchat_buf_clear(&obj);
		gitchat_buf_put(&obj, text.ptr, (size_t)(at - text.ptr));
		gitchat_buf_puts(&obj, "gpgsig ");
		for (const char *s = sig.ptr, *lf; ; s = lf + 1) {
			if (!(lf = strchr(s, '\n'))) {
				gitchat_buf_puts(&obj, s);
				break;
			}
			gitchat_buf_put(&obj, s, (size_t)(lf - s));
			gitchat_buf_puts(&obj, "\n ");
		}
		gitchat_buf_puts(&obj, "\n");
		if (gitchat_buf_puts(&obj, at) < 0)
			die("out of memory");
		if (git_odb_hash(&oids[i], obj.ptr, obj.size, GIT_OBJECT_COMMIT) < 0)
			die("hash");
		pack_object(&pw, GIT_OBJECT_COMMIT, obj.ptr, obj.size);
		if (i == 0) {
			gitchat_buf_put(&first_text, text.ptr, text.size);
			gitchat_buf_put(&first_sig, sig.ptr, sig.size);
		}

		who[i] = (uint8_t)a;
		atimes[i] = t;
		prev[i] = me->head;
		for (b = 0; b < nauth; b++) {
			int64_t m = 0;
			for (k = 0; k < np; k++)
				if (vc[(size_t)parents[k] * nauth + b] > m)
					m = vc[(size_t)parents[k] * nauth + b];
			vc[(size_t)i * nauth + b] = m;
		}
		vc[(size_t)i * nauth + a] = ++me->nmsgs;
		me->head = i;
		me->known[a] = i;
		if (i && i % 100000 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			fprintf(stderr, "gen_room: %lld messages, %.1f s\n", (long long)i,
			        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		}
	}
	pack_flush(&pw);
	EVP_DigestFinal_ex(pw.sha, trailer, &tlen);
	if (pw.wp->append(pw.wp, trailer, tlen, &pw.stats) < 0 || pw.wp->commit(pw.wp, &pw.stats) < 0)
		die("cannot finish the pack");
	pw.wp->free(pw.wp);

	/* Our commit bytes must be libgit2's: it finds the same object. */
	{
		git_oid check;
		if (git_commit_create_with_signature(&check, repo, first_text.ptr, first_sig.ptr,
		                                     "gpgsig") < 0)
			die("libgit2 refused the first commit");
		if (!git_oid_equal(&check, &oids[0])) {
			fprintf(stderr, "gen_room: commit layout differs from libgit2's\n");
			return 1;
		}
	}
	for (a = 0; a < nauth; a++) {
		char refname[256], khex[GITCHAT_PUBKEY_HEXSIZE];
		git_reference *ref = NULL;
		if (au[a].head < 0)
			continue;
		gitchat_pubkey_hex(khex, gitchat_key_public(au[a].key));
		snprintf(refname, sizeof(refname), "refs/chat/%s/%s", room, khex);
		if (git_reference_create(&ref, repo, refname, &oids[au[a].head], 1, "gen_room") < 0)
			die("cannot set a ref");
		git_reference_free(ref);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "gen_room: %lld messages from %d authors in %.1f s\n", (long long)n, nauth,
	        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

	for (a = 0; a < nauth; a++) {
		gitchat_key_free(au[a].key);
		free(au[a].known);
	}
	free(au);
	free(oids);
	free(vc);
	free(prev);
	free(atimes);
	free(who);
	free(pw.zbuf);
	EVP_MD_CTX_free(pw.sha);
	gitchat_buf_dispose(&pw.out);
	gitchat_buf_dispose(&text);
	gitchat_buf_dispose(&body);
	gitchat_buf_dispose(&sig);
	gitchat_buf_dispose(&obj);
	gitchat_buf_dispose(&first_text);
	gitchat_buf_dispose(&first_sig);
	git_odb_free(odb);
	git_repository_free(repo);
	gitchat_shutdown();
	return 0;
}
