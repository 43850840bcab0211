/*
 * Library-level send loop: N messages (default 1000) with gitchat_send into
 * a fresh store, one process, one key. Prints messages per second; the
 * store is checked afterwards (not timed). tests/bench/bench_send.sh runs
 * this next to the `git chat send` and stock git loops.
 *
 * For scale it also times the floor under gitchat_send: the same signed
 * commits written with bare libgit2 (sign, git_commit_create_with_signature,
 * compare-and-swap ref update), without choosing parents or verifying.
 *
 * usage: bench_send [N] [DIR [KEY]]   (DIR: where the stores go, kept so
 * that another run continues them; default a temporary directory, removed
 * at the end. KEY: the private key to sign with, so that every run
 * continues the same author's log, as the other methods do; default a new
 * key per run)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <gitchat.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of this process: less sensitive than the
 * wall clock to other load on the machine. */
static double cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Sign + write + CAS, nothing else: what any signed-log writer must do. */
static int floor_loop(git_repository *repo, const gitchat_key *key, long n, double *secs,
                      double *cpusecs)
{
	char hex[GIT_OID_HEXSZ + 1], text[512];
	git_oid tree, head, id;
	git_odb *odb = NULL;
	int has_head = 0, error = -1;
	double t0 = now(), c0 = cpu();

	if (git_repository_odb(&odb, repo) < 0 || git_odb_write(&tree, odb, "", 0, GIT_OBJECT_TREE) < 0)
		goto done;
	/* Continue the log of an earlier run in the same DIR. */
	if (git_reference_name_to_id(&head, repo, "refs/chat/general/floor") == 0)
		has_head = 1;
	else
		memset(&head, 0, sizeof(head));
	for (long i = 0; i < n; i++) {
		gitchat_buf sig = GITCHAT_BUF_INIT;
		git_reference *ref = NULL;
		char parent[64] = "";
		int len, e;
		if (has_head)
			snprintf(parent, sizeof(parent), "parent %s\n", git_oid_tostr(hex, sizeof(hex), &head));
		len = snprintf(text, sizeof(text), "tree %s\n%sauthor Bench <bench@example.org> %ld +0000\n"
		               "committer Bench <bench@example.org> %ld +0000\nchat-room general\n\n"
		               "message %ld\n", git_oid_tostr(hex, sizeof(hex), &tree), parent,
		               1764150000L + i, 1764150000L + i, i);
		if (gitchat_sshsig_sign(&sig, key, "git", text, (size_t)len) < 0)
			goto done;
		sig.ptr[--sig.size] = '\0';
		e = git_commit_create_with_signature(&id, repo, text, sig.ptr, "gpgsig");
		gitchat_buf_dispose(&sig);
		if (e < 0)
			goto done;
		e = git_reference_create_matching(&ref, repo, "refs/chat/general/floor", &id, 1, &head,
		                                  "bench");
		git_reference_free(ref);
		if (e < 0)
			goto done;
		head = id;
		has_head = 1;
	}
	*secs = now() - t0;
	*cpusecs = cpu() - c0;
	error = 0;
done:
	git_odb_free(odb);
	return error;
}

static int fail(const char *what)
{
	fprintf(stderr, "bench_send: %s: %s\n", what, gitchat_error_last()->message);
	return 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	char tmpl[] = "/tmp/gitchat-bench-XXXXXX", path[4200], cmd[4300], text[64];
	gitchat_store *floor_store = NULL;
	double floor_secs = 0;
	const char *dir = argc > 2 ? argv[2] : NULL;
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	git_oid id;
	double t0, t1, c0, c1, floor_cpu = 0;
	int ret = 1;

	if (n <= 0)
		return fprintf(stderr, "usage: bench_send [N] [DIR [KEY]]\n"), 129;
	if (!dir && !(dir = mkdtemp(tmpl)))
		return perror("mkdtemp"), 1;
	snprintf(path, sizeof(path), "%s/lib.git", dir);
	if (gitchat_init() < 0)
		return fail("init");
	if (gitchat_store_init(&store, path) < 0)
		return fail("store");
	if (argc > 3 ? gitchat_key_load(&key, argv[3]) < 0
	             : gitchat_key_generate(&key, "bench@example.org") < 0)
		return fail("key");
	o.room = "general";
	o.author_name = "Bench";
	o.author_email = "bench@example.org";

	t0 = now();
	c0 = cpu();
	for (long i = 0; i < n; i++) {
		o.text_len = (size_t)snprintf(text, sizeof(text), "message %ld", i);
		o.text = text;
		if (gitchat_send(&id, store, key, &o) < 0) {
			fail("send");
			goto done;
		}
	}
	t1 = now();
	c1 = cpu();
	if (gitchat_verify_store(store, NULL, NULL, NULL) < 0) {
		fail("verify");
		goto done;
	}
	printf("gitchat_send library loop: %ld messages in %.3f s: %.0f msgs/s, %.3f ms/msg "
	       "(CPU %.3f ms/msg)\n", n, t1 - t0, (double)n / (t1 - t0), (t1 - t0) * 1000 / (double)n,
	       (c1 - c0) * 1000 / (double)n);

	snprintf(path, sizeof(path), "%s/floor.git", dir);
	if (gitchat_store_init(&floor_store, path) < 0) {
		fail("store");
		goto done;
	}
	if (floor_loop(gitchat_store_repository(floor_store), key, n, &floor_secs, &floor_cpu) < 0) {
		fprintf(stderr, "bench_send: libgit2 loop: %s\n", git_error_last()->message);
		goto done;
	}
	printf("libgit2 floor (sign, write, CAS): %ld messages in %.3f s: %.0f msgs/s, %.3f ms/msg "
	       "(CPU %.3f ms/msg)\n", n, floor_secs, (double)n / floor_secs,
	       floor_secs * 1000 / (double)n, floor_cpu * 1000 / (double)n);
	ret = 0;
done:
	gitchat_store_free(floor_store);
	gitchat_key_free(key);
	gitchat_store_free(store);
	gitchat_shutdown();
	if (dir == tmpl) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
		if (system(cmd) != 0)
			ret = 1;
	}
	return ret;
}
