/*
 * Helpers for tests/bench/bench_hook.sh.
 *
 *   bench_bench_hook gen GITDIR ROOM AUTHORS COUNT KEYDIR
 *       appends COUNT valid messages to ROOM in GITDIR, round robin over
 *       AUTHORS keys (KEYDIR/k0..., created when missing, reused after),
 *       each on its author's head with the previous message as second
 *       parent, as `git chat send` would write them; one packfile, then
 *       the refs.
 *   bench_bench_hook sigs N
 *       seconds to verify N SSHSIG signatures of commit-sized payloads with
 *       gitchat_sshsig_verify (signed beforehand, not timed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <git2.h>
#include <git2/sys/mempack.h>
#include <gitchat.h>

static void die(const char *what)
{
	const git_error *ge = git_error_last();
	fprintf(stderr, "bench_hook: %s: %s%s%s\n", what, gitchat_error_last()->message,
	        ge ? " / " : "", ge ? ge->message : "");
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static gitchat_key *author_key(const char *keydir, int i)
{
	char path[4096];
	gitchat_key *k = NULL;

	snprintf(path, sizeof(path), "%s/k%d", keydir, i);
	if (gitchat_key_load(&k, path) == 0)
		return k;
	if (gitchat_key_generate(&k, "bench") < 0 || gitchat_key_write(k, path, 0) < 0)
		die("cannot make a key");
	return k;
}

static int gen(const char *gitdir, const char *room, int authors, long count, const char *keydir)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_odb_backend *mempack = NULL;
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats = { 0 };
	git_buf pack = GIT_BUF_INIT;
	gitchat_key **keys = calloc((size_t)authors, sizeof(*keys));
	git_oid *heads = calloc((size_t)authors, sizeof(*heads)), tree, prev;
	int *has = calloc((size_t)authors, sizeof(*has)), has_prev = 0;
	char (*refs)[128] = calloc((size_t)authors, sizeof(*refs));
	gitchat_buf text = GITCHAT_BUF_INIT, sig = GITCHAT_BUF_INIT;
	long long t0 = 1764150000;
	double start = now();

	if (git_repository_open(&repo, gitdir) < 0 || git_repository_odb(&odb, repo) < 0)
		die("cannot open the repository");
	for (int i = 0; i < authors; i++) {
		char hex[GITCHAT_PUBKEY_HEXSIZE];
		git_reference *ref = NULL;
		keys[i] = author_key(keydir, i);
		gitchat_pubkey_hex(hex, gitchat_key_public(keys[i]));
		snprintf(refs[i], sizeof(refs[i]), "refs/chat/%s/%s", room, hex);
		if (git_reference_lookup(&ref, repo, refs[i]) == 0) {
			heads[i] = *git_reference_target(ref);
			has[i] = 1;
			git_commit *c = NULL;
			if (git_commit_lookup(&c, repo, &heads[i]) == 0) {
				if (git_commit_time(c) >= t0)
					t0 = git_commit_time(c) + 1;
				git_commit_free(c);
			}
			git_reference_free(ref);
		}
	}
	if (git_mempack_new(&mempack) < 0 || git_odb_add_backend(odb, mempack, 999) < 0)
		die("cannot set up the in-memory pack");
	if (git_odb_write(&tree, odb, "", 0, GIT_OBJECT_TREE) < 0)
		die("cannot write the empty tree");
	for (long n = 0; n < count; n++) {
		int a = (int)(n % authors);
		char h1[GIT_OID_HEXSZ + 1], h2[GIT_OID_HEXSZ + 1];
		long long t = t0 + n;
		git_oid id;

		gitchat_buf_clear(&text);
		gitchat_buf_printf(&text, "tree %s\n", git_oid_tostr(h1, sizeof(h1), &tree));
		if (has[a])
			gitchat_buf_printf(&text, "parent %s\n", git_oid_tostr(h1, sizeof(h1), &heads[a]));
		if (has_prev && !(has[a] && git_oid_equal(&prev, &heads[a])))
			gitchat_buf_printf(&text, "parent %s\n", git_oid_tostr(h2, sizeof(h2), &prev));
		gitchat_buf_printf(&text, "author Author %d <a%d@example.org> %lld +0000\n"
		                   "committer Author %d <a%d@example.org> %lld +0000\n"
		                   "chat-room %s\n\nmessage %ld of the benchmark, with some words "
		                   "to make it as long as a short chat line\n",
		                   a, a, t, a, a, t, room, n);
		gitchat_buf_clear(&sig);
		if (gitchat_sshsig_sign(&sig, keys[a], "git", text.ptr, text.size) < 0)
			die("cannot sign");
		sig.ptr[--sig.size] = '\0';
		if (git_commit_create_with_signature(&id, repo, text.ptr, sig.ptr, "gpgsig") < 0)
			die("cannot write a commit");
		heads[a] = id;
		has[a] = 1;
		prev = id;
		has_prev = 1;
	}
	if (git_mempack_dump(&pack, repo, mempack) < 0 ||
	    git_odb_write_pack(&wp, odb, NULL, NULL) < 0 ||
	    wp->append(wp, pack.ptr, pack.size, &stats) < 0 || wp->commit(wp, &stats) < 0)
		die("cannot write the pack");
	wp->free(wp);
	git_mempack_reset(mempack);
	for (int i = 0; i < authors; i++) {
		git_reference *ref = NULL;
		if (has[i] && git_reference_create(&ref, repo, refs[i], &heads[i], 1, "bench") < 0)
			die("cannot update a ref");
		git_reference_free(ref);
		gitchat_key_free(keys[i]);
	}
	fprintf(stderr, "generated %ld messages in %.2f s\n", count, now() - start);
	git_buf_dispose(&pack);
	gitchat_buf_dispose(&text);
	gitchat_buf_dispose(&sig);
	free(keys);
	free(heads);
	free(has);
	free(refs);
	git_odb_free(odb);
	git_repository_free(repo);
	return 0;
}

static int sigs(long n)
{
	gitchat_key *key = NULL;
	gitchat_buf *payloads = calloc((size_t)n, sizeof(*payloads));
	gitchat_buf *armored = calloc((size_t)n, sizeof(*armored));
	gitchat_pubkey signer;
	double start;

	if (gitchat_key_generate(&key, "bench") < 0)
		die("cannot make a key");
	for (long i = 0; i < n; i++) {
		gitchat_buf_printf(&payloads[i],
			"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
			"parent 0123456789abcdef0123456789abcdef%08lx\n"
			"author Author <a@example.org> %ld +0000\n"
			"committer Author <a@example.org> %ld +0000\n"
			"chat-room general\n\nmessage %ld of the benchmark, with some words "
			"to make it as long as a short chat line\n", i, 1764150000 + i, 1764150000 + i, i);
		if (gitchat_sshsig_sign(&armored[i], key, "git", payloads[i].ptr, payloads[i].size) < 0)
			die("cannot sign");
	}
	start = now();
	for (long i = 0; i < n; i++)
		if (gitchat_sshsig_verify(&signer, armored[i].ptr, armored[i].size, "git",
		                          payloads[i].ptr, payloads[i].size) < 0)
			die("a signature does not verify");
	printf("%.3f\n", now() - start);
	for (long i = 0; i < n; i++) {
		gitchat_buf_dispose(&payloads[i]);
		gitchat_buf_dispose(&armored[i]);
	}
	free(payloads);
	free(armored);
	gitchat_key_free(key);
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (gitchat_init() < 0)
		die("cannot initialise");
	/* gitchat_init's small pack windows make libgit2 1.5's pack writer
	 * fail on a pack of this size ("unexpected data at the end of the
	 * pack"); a generator may map what it writes. */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)1 << 30);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)8 << 30);
	if (argc == 7 && !strcmp(argv[1], "gen"))
		ret = gen(argv[2], argv[3], atoi(argv[4]), atol(argv[5]), argv[6]);
	else if (argc == 3 && !strcmp(argv[1], "sigs"))
		ret = sigs(atol(argv[2]));
	else {
		fprintf(stderr, "usage: %s gen GITDIR ROOM AUTHORS COUNT KEYDIR\n"
		                "       %s sigs N\n", argv[0], argv[0]);
		ret = 129;
	}
	gitchat_shutdown();
	return ret;
}
