/*
 * Private rooms (issue 11), the library side of tests/bench/bench_private.sh:
 *
 *   bench_private gen N DIR     two stores under DIR: pub.git (room
 *                               "general") and priv.git (a private room of
 *                               alice and bob), N messages each, written by
 *                               gitchat_send with the same texts (the
 *                               private ones encrypted to the room's epoch,
 *                               as gitchat_private_send writes them, without
 *                               reloading the room per message); prints the
 *                               private room's name; keys in DIR/a, DIR/b
 *   bench_private send K DIR    K sends with gitchat_send into pub.git and
 *                               K with gitchat_private_send into priv.git,
 *                               alternating; prints the median of each (ms,
 *                               wall and this process's CPU time)
 *   bench_private prims         what one message costs below the library:
 *                               an X25519 scalar multiplication (one to
 *                               read, two to write) and a sodium_malloc
 *                               with its sodium_free (us, mean of 1000);
 *                               then what the sealed cache's choices
 *                               cost (a whole age decryption, an HMAC,
 *                               a sealed block's share per message)
 *   bench_private rekey M       a private room of M members, then one
 *                               member added (a new epoch sealed to M+1
 *                               keys); prints the add's time (ms)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <gitchat.h>

static double clock_ms(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* This process's CPU time (the library's work, whatever the load). */
static double cpu_ms(void)
{
	return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static void die(const char *what)
{
	fprintf(stderr, "fatal: %s: %s\n", what, gitchat_error_last()->message);
	exit(128);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static gitchat_key *key_at(const char *dir, const char *name)
{
	char path[4096];
	gitchat_key *k = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (gitchat_key_load(&k, path) == 0)
		return k;
	if (gitchat_key_generate(&k, name) < 0 || gitchat_key_write(k, path, 0) < 0)
		die("key");
	return k;
}

static gitchat_store *store_at(const char *dir, const char *name)
{
	char path[4096];
	gitchat_store *s = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (gitchat_store_init(&s, path) < 0)
		die("store");
	return s;
}

/* The epoch a sender would use: the newest counted one of the room. */
static char *room_epoch(gitchat_store *s, const char *room)
{
	gitchat_conversation *conv = NULL;
	gitchat_members *m = NULL;
	gitchat_members_info in;
	char *epoch = NULL;

	if (gitchat_conversation_load(&conv, s, room, NULL) < 0 ||
	    gitchat_members_load(&m, s, conv, room) < 0)
		die("load");
	for (size_t i = 0; i < gitchat_members_count(m); i++)
		if (gitchat_members_info_get(&in, m, i) == 0 && in.event && in.counted && in.epoch)
			epoch = strdup(in.epoch);
	gitchat_members_free(m);
	gitchat_conversation_free(conv);
	return epoch;
}

static void gen(size_t n, const char *dir)
{
	gitchat_key *a = key_at(dir, "a"), *b = key_at(dir, "b");
	gitchat_store *pub = store_at(dir, "pub.git"), *priv = store_at(dir, "priv.git");
	gitchat_private_create_options co = GITCHAT_PRIVATE_CREATE_OPTIONS_INIT;
	gitchat_age_recipient *r = NULL;
	char room[26], text[128], inner[160], header[160], *epoch;
	git_oid id;

	co.members = gitchat_key_public(b);
	co.member_count = 1;
	if (gitchat_private_create(room, priv, a, &co) < 0)
		die("create");
	epoch = room_epoch(priv, room);
	if (!epoch || gitchat_age_recipient_parse(&r, epoch, strlen(epoch)) < 0)
		die("epoch");
	snprintf(header, sizeof(header), "chat-epoch %s", epoch);
	for (size_t i = 0; i < n; i++) {
		gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
		gitchat_buf body = GITCHAT_BUF_INIT;
		const char *hs[] = { header };
		gitchat_key *k = i % 2 ? b : a;
		snprintf(text, sizeof(text), "message %zu of the benchmark room", i);
		o.room = "general";
		o.text = text;
		o.text_len = strlen(text);
		if (gitchat_send(&id, pub, k, &o) < 0)
			die("send public");
		snprintf(inner, sizeof(inner), "\n%s", text);
		if (gitchat_age_encrypt(&body, (const gitchat_age_recipient *const *)&r, 1, inner,
		                        strlen(inner), GITCHAT_AGE_ARMOR) < 0)
			die("encrypt");
		o.room = room;
		o.text = body.ptr;
		o.text_len = body.size;
		o.headers = hs;
		o.header_count = 1;
		if (gitchat_send(&id, priv, k, &o) < 0)
			die("send private");
		gitchat_buf_dispose(&body);
		if ((i + 1) % 10000 == 0)
			fprintf(stderr, "%zu\n", i + 1);
	}
	printf("%s\n", room);
	free(epoch);
	gitchat_age_recipient_free(r);
	gitchat_store_free(pub);
	gitchat_store_free(priv);
	gitchat_key_free(a);
	gitchat_key_free(b);
}

static void send_k(size_t k, const char *dir, const char *room)
{
	gitchat_key *a = key_at(dir, "a");
	gitchat_store *pub = store_at(dir, "pub.git"), *priv = store_at(dir, "priv.git");
	double *tp = calloc(k, sizeof(double)), *tq = calloc(k, sizeof(double));
	double *cp = calloc(k, sizeof(double)), *cq = calloc(k, sizeof(double)), t, c;
	git_oid id;

	for (size_t i = 0; i < k; i++) {
		gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
		o.text = "one more";
		o.text_len = 8;
		o.room = "general";
		t = now_ms();
		c = cpu_ms();
		if (gitchat_send(&id, pub, a, &o) < 0)
			die("send");
		tp[i] = now_ms() - t;
		cp[i] = cpu_ms() - c;
		o.room = room;
		t = now_ms();
		c = cpu_ms();
		if (gitchat_private_send(&id, priv, a, &o) < 0)
			die("private send");
		tq[i] = now_ms() - t;
		cq[i] = cpu_ms() - c;
	}
	qsort(tp, k, sizeof(double), cmp_d);
	qsort(tq, k, sizeof(double), cmp_d);
	qsort(cp, k, sizeof(double), cmp_d);
	qsort(cq, k, sizeof(double), cmp_d);
	printf("send public %.2f ms (cpu %.2f) private %.2f ms (cpu %.2f) ratio %.2f (cpu %.2f)\n",
	       tp[k / 2], cp[k / 2], tq[k / 2], cq[k / 2], tq[k / 2] / tp[k / 2],
	       cq[k / 2] / cp[k / 2]);
	free(tp);
	free(tq);
	free(cp);
	free(cq);
	gitchat_store_free(pub);
	gitchat_store_free(priv);
	gitchat_key_free(a);
}

static void rekey(size_t m)
{
	char tmpl[] = "/tmp/gitchat-rekey-XXXXXX", room[26], cmd[128];
	gitchat_private_create_options co = GITCHAT_PRIVATE_CREATE_OPTIONS_INIT;
	gitchat_pubkey *keys = calloc(m + 1, sizeof(*keys));
	gitchat_key *a, *k;
	gitchat_store *s;
	double t;
	git_oid id;

	if (!mkdtemp(tmpl))
		exit(128);
	a = key_at(tmpl, "a");
	s = store_at(tmpl, "s.git");
	for (size_t i = 0; i <= m; i++) {
		if (gitchat_key_generate(&k, "m") < 0)
			die("key");
		keys[i] = *gitchat_key_public(k);
		gitchat_key_free(k);
	}
	co.members = keys;
	co.member_count = m - 1;
	if (gitchat_private_create(room, s, a, &co) < 0)
		die("create");
	t = now_ms();
	if (gitchat_private_member_add(&id, s, a, room, &keys[m], 0, 0) < 0)
		die("member add");
	printf("rekey: a member added to %zu members (epoch sealed to %zu keys): %.2f ms\n", m,
	       m + 1, now_ms() - t);
	gitchat_store_free(s);
	gitchat_key_free(a);
	free(keys);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: %s failed\n", cmd);
}

/* What each choice of the sealed cache (private-rooms.md "Performance")
 * would still cost per message: a whole age decryption of a message-sized
 * file (X25519 included), one HMAC-SHA-256 (a file-key cache still pays
 * about five: header HKDF and MAC, payload HKDF), and the sealed cache's
 * own share of one XChaCha20-Poly1305 block of 256 such messages. CPU
 * time, which the load disturbs less than the wall. */
static void cache_prims(void)
{
	gitchat_age_identity *id;
	gitchat_age_recipient *r;
	gitchat_age_scratch *sc;
	gitchat_buf file = GITCHAT_BUF_INIT, out = GITCHAT_BUF_INIT;
	unsigned char text[100], mac[32], key[32], nonce[24], *blk, *ct;
	size_t blen = 256 * (28 + sizeof(text));
	double t;

	memset(text, 'x', sizeof(text));
	if (gitchat_age_identity_generate(&id) < 0 || gitchat_age_identity_recipient(&r, id) < 0 ||
	    gitchat_age_encrypt(&file, (const gitchat_age_recipient *const *)&r, 1, text, sizeof(text),
	                        GITCHAT_AGE_ARMOR) < 0 || gitchat_age_scratch_new(&sc) < 0)
		die("age");
	t = cpu_ms();
	for (int i = 0; i < 1000; i++) {
		gitchat_buf_clear(&out);
		if (gitchat_age_decrypt_with(&out, NULL, sc, (const gitchat_age_identity *const *)&id, 1,
		                             file.ptr, file.size, GITCHAT_AGE_ARMOR) < 0)
			die("age decrypt");
	}
	printf("cpu: age decrypt, 100-byte armored file (x25519 included): %.1f us", cpu_ms() - t);
	randombytes_buf(key, sizeof(key));
	t = cpu_ms();
	for (int i = 0; i < 1000; i++)
		crypto_auth_hmacsha256(mac, text, 32, key);
	printf("  hmac-sha256: %.2f us", cpu_ms() - t);
	if (!(blk = malloc(blen)) || !(ct = malloc(blen + 16)))
		die("malloc");
	randombytes_buf(blk, blen);
	randombytes_buf(nonce, sizeof(nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, blk, blen, NULL, 0, NULL, nonce, key);
	t = cpu_ms();
	for (int i = 0; i < 100; i++)
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(blk, NULL, NULL, ct, blen + 16, NULL, 0,
		                                               nonce, key) != 0)
			die("xchacha");
	printf("  sealed block, per message: %.2f us\n", (cpu_ms() - t) * 10.0 / 256);
	free(blk);
	free(ct);
	gitchat_age_scratch_free(sc);
	gitchat_buf_dispose(&file);
	gitchat_buf_dispose(&out);
	gitchat_age_recipient_free(r);
	gitchat_age_identity_free(id);
}

static void prims(void)
{
	unsigned char a[32], b[32], q[32];
	double t;
	int bad = 0;

	randombytes_buf(a, sizeof(a));
	crypto_scalarmult_base(b, a);
	t = now_ms();
	for (int i = 0; i < 1000; i++)
		bad |= crypto_scalarmult(q, a, b);
	printf("x25519 scalar multiplication: %.1f us", (now_ms() - t));
	t = now_ms();
	for (int i = 0; i < 1000; i++) {
		void *p = sodium_malloc(64);
		if (!p)
			die("sodium_malloc");
		sodium_free(p);
	}
	printf("  sodium_malloc + sodium_free: %.1f us%s\n", (now_ms() - t), bad ? " (low order?)" : "");
	cache_prims();
}

int main(int argc, char **argv)
{
	if (gitchat_init() < 0)
		die("init");
	if (argc == 4 && !strcmp(argv[1], "gen"))
		gen(strtoul(argv[2], NULL, 10), argv[3]);
	else if (argc == 5 && !strcmp(argv[1], "send"))
		send_k(strtoul(argv[2], NULL, 10), argv[3], argv[4]);
	else if (argc == 2 && !strcmp(argv[1], "prims"))
		prims();
	else if (argc == 3 && !strcmp(argv[1], "rekey"))
		rekey(strtoul(argv[2], NULL, 10));
	else {
		fprintf(stderr, "usage: bench_private gen N DIR | send K DIR ROOM | prims | rekey M\n");
		return 129;
	}
	gitchat_shutdown();
	return 0;
}
