/*
 * A reader's store in a hostile state: FIFOs where files are expected (a
 * reader must not hang), thousands of invalid commits (bounded warnings, no
 * quadratic work), an order index damaged but checksummed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <criterion/criterion.h>

#include "hostile.h"

static void fifo_at(const char *path)
{
	unlink(path);
	t_mkdir(t_strndup(path, (size_t)(strrchr(path, '/') - path)));
	cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo %s", path);
}

/* Builds the room's caches once, so that the FIFO replaces a real file. */
static void warm(const hx_world *w)
{
	t_run r = t_chatv(w->victim, "log", "-r", "general");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

static void log_does_not_hang(const hx_world *w, const char *args)
{
	t_run r = hx_chat_timed(w->victim, 30, args);

	cr_assert_neq(r.status, 124, "'git chat %s' hangs", args);
	cr_assert_eq(r.status, 0, "'git chat %s' exited %d:\n%s", args, r.status, r.err);
	for (const char *const *t = hx_honest_texts; *t; t++)
		t_assert_contains(r.out, *t);
	t_run_free(&r);
}

Test(fifos, at_the_order_index, .timeout = 120)
{
	hx_world w;

	hx_setup(&w);
	warm(&w);
	fifo_at(t_fmt("%s/chat/index/general", w.victim));
	log_does_not_hang(&w, "log -r general");
	log_does_not_hang(&w, "log -r general --format=json");
}

Test(fifos, at_the_verification_cache, .timeout = 120)
{
	hx_world w;

	hx_setup(&w);
	warm(&w);
	fifo_at(t_fmt("%s/chat/verified/general", w.victim));
	t_sh("rm -f '%s/chat/index/general'", w.victim);
	log_does_not_hang(&w, "log -r general");
}

Test(fifos, at_the_key_path, .timeout = 120)
{
	hx_world w;
	char *key;
	t_run r;

	hx_setup(&w);
	key = t_fmt("%s/fifo-key", w.dir);
	fifo_at(key);
	r = hx_chat_timed(w.victim, 30, t_fmt("whoami --key '%s'", key));
	cr_assert_neq(r.status, 124, "whoami hangs on a FIFO key");
	cr_assert_neq(r.status, 0, "whoami accepted a FIFO as a key");
	t_run_free(&r);
	/* log only reads: the messages, or a clear error naming the key. */
	r = hx_chat_timed(w.victim, 30, t_fmt("log -r general --key '%s'", key));
	cr_assert_neq(r.status, 124, "log hangs on a FIFO key");
	if (r.status != 0)
		t_assert_contains(r.err, key);
	else
		t_assert_contains(r.out, hx_honest_texts[0]);
	t_run_free(&r);
	/* The default key path. */
	fifo_at(t_fmt("%s/git-chat/id_ed25519", getenv("XDG_CONFIG_HOME")));
	r = hx_chat_timed(w.victim, 30, "whoami");
	cr_assert_neq(r.status, 124, "whoami hangs on a FIFO key");
	t_run_free(&r);
	log_does_not_hang(&w, "log -r general");
}

/* 3,000 unsigned commits in one chain: `n` is how many. Returns the tip. */
static char *invalid_chain(const char *store, const char *base, int n)
{
	char *id = (char *)base;

	for (int i = 0; i < n; i++) {
		hx_spec s = { .text = t_fmt("invalid %d", i) };
		s.parents[0] = id;
		id = hx_commit(store, NULL, &s);
	}
	return id;
}

static double seconds_of(const char *store, const char *args)
{
	struct timespec a, b;
	t_run r;

	clock_gettime(CLOCK_MONOTONIC, &a);
	r = hx_chat_timed(store, 300, args);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_assert_eq(r.status, 0, "%s: %s", args, r.err);
	cr_assert(t_count_lines(r.err) <= 15, "'%s' prints %zu lines of warnings:\n%.2000s", args,
	          t_count_lines(r.err), r.err);
	t_run_free(&r);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

Test(many, three_thousand_invalid_commits, .timeout = 600)
{
	hx_world w;
	char *tip;
	double t;
	t_run r;

	hx_setup(&w);
	tip = invalid_chain(w.attacker, w.a2, 3000);
	/* The hook refuses the push in a few lines. */
	{
		t_run p = hx_push(&w, t_fmt("%s:%s", tip, w.mref));
		cr_assert_neq(p.status, 0, "%s", p.err);
		t_assert_contains(p.err, "it is not signed");
		cr_assert(t_count(p.err, "remote: error:") <= 3, "%.2000s", p.err);
		t_run_free(&p);
	}
	/* sync refuses the log in one line, not one per commit. */
	hx_set_ref(w.attacker, w.mref, tip);
	r = hx_sync(&w);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_count_lines(r.err) <= 5, "%zu lines:\n%.2000s", t_count_lines(r.err), r.err);
	t_run_free(&r);
	/* The same chain put into the reader's store by hand: log summarises. */
	t_git(w.victim, "fetch -q '%s' '%s:refs/heads/x'", w.attacker, w.mref);
	hx_set_ref(w.victim, w.mref, tip);
	t = seconds_of(w.victim, "log -r general");
	cr_log_info("log over 3,000 invalid commits: %.2f s", t);
	hx_readable(w.victim, NULL, 1);
}

/* The order index rewritten with its checksums made to match again: it is
 * the refs that count, so commands rebuild it. `pattern` fills the node
 * table (8 bytes repeated). */
static void damage_index(const char *path, const unsigned char pattern[8])
{
	size_t size, i;
	unsigned char *d = (unsigned char *)t_read_file(path, &size), *h;
	uint32_t nblocks, ntotal;
	uint64_t body, nodes;

	cr_assert(d != NULL && size > 192);
	h = d;
#define LE32(p) ((uint32_t)(p)[0] | (uint32_t)(p)[1] << 8 | (uint32_t)(p)[2] << 16 | (uint32_t)(p)[3] << 24)
	nblocks = LE32(h + 12);
	ntotal = LE32(h + 40);
	body = (uint64_t)LE32(h + 80) | (uint64_t)LE32(h + 84) << 32;
	nodes = (uint64_t)LE32(h + 88) | (uint64_t)LE32(h + 92) << 32;
#undef LE32
	cr_assert(nodes + 52ull * ntotal <= size);
	for (i = 0; i < 52ull * ntotal; i++)
		d[nodes + i] = pattern[i % 8];
	for (uint32_t b = 0; b < nblocks; b++) {
		uint64_t start = body + (uint64_t)b * 65536, n = size - start;
		if (n > 65536)
			n = 65536;
		crypto_generichash(d + 192 + b * 16, 16, d + start, n, NULL, 0);
	}
	crypto_generichash(d + 192 + nblocks * 16, 32, d, 192 + nblocks * 16, NULL, 0);
	unlink(path);
	t_write_file(path, (const char *)d, size);
	free(d);
}

static void damaged(const unsigned char pattern[8])
{
	hx_world w;
	char *ix;

	hx_setup(&w);
	warm(&w);
	ix = t_fmt("%s/chat/index/general", w.victim);
	damage_index(ix, pattern);
	hx_readable(w.victim, NULL, 0);
}

Test(index, nodes_all_ones_checksummed_again, .timeout = 120)
{
	static const unsigned char ones[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	damaged(ones);
}

Test(index, nodes_int64_min_checksummed_again, .timeout = 120)
{
	static const unsigned char min[8] = { 0, 0, 0, 0, 0, 0, 0, 0x80 };
	damaged(min);
}

Test(index, nodes_zero_checksummed_again, .timeout = 120)
{
	static const unsigned char zero[8] = { 0 };
	damaged(zero);
}
