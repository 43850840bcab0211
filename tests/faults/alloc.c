/*
 * Allocation failure (issue 14): the k-th allocation of the library fails,
 * for k = 1, 2, ... until an operation needs fewer than k, in each key path:
 * open a store, send, load a room (rebuilding its index, then from it) and
 * read every message, render it as JSON, verify the store, sync with a
 * path. Each run must end in 0 or an error with a message: never a crash,
 * and (under ASan: the sanitizer build) never a leak.
 *
 * The library's objects are linked in statically with -Wl,--wrap for
 * malloc, calloc, realloc, strdup and strndup: only the library's own
 * calls go through the wrappers below (libgit2's, libsodium's and libc's
 * are not ours to test here).
 *
 * usage: faults_alloc SCRATCH_DIR GIT_CHAT   (ctest passes both)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <git2.h>
#include <gitchat.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static long countdown = -1;   /* fail when it reaches 0; -1: never */
static long calls;

static const char *current_op;
static long trap_k = -1;    /* FAULTS_ALLOC_TRAP=op:k: calls trap() there, for gdb */
static const char *trap_op;

__attribute__((noinline)) static void trap(void) { __asm__ volatile(""); }

static int fail_now(void)
{
	calls++;
	if (countdown < 0)
		return 0;
	if (countdown-- != 0)
		return 0;
	if (trap_op && calls == trap_k && !strcmp(trap_op, current_op))
		trap();
	return 1;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return fail_now() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return fail_now() ? NULL : __real_strndup(s, n); }

static const char *store_path, *peer_path;
static gitchat_key *key;
static int problems;

typedef int (*op_fn)(void);

static int op_open(void)
{
	gitchat_store *s = NULL;
	int error = gitchat_store_open(&s, store_path);
	gitchat_store_free(s);
	return error;
}

static int op_send(void)
{
	gitchat_store *s = NULL;
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	git_oid id;
	int error;

	o.room = "general";
	o.text = "a message written while allocations fail";
	o.text_len = strlen(o.text);
	o.author_name = "Alloc";
	o.author_email = "alloc@example.org";
	if ((error = gitchat_store_open(&s, store_path)) == 0)
		error = gitchat_send(&id, s, key, &o);
	gitchat_store_free(s);
	return error;
}

static int load_room(unsigned int flags)
{
	gitchat_store *s = NULL;
	gitchat_conversation *c = NULL;
	gitchat_conversation_options o = GITCHAT_CONVERSATION_OPTIONS_INIT;
	gitchat_buf json = GITCHAT_BUF_INIT;
	int error;

	o.flags = flags;
	if ((error = gitchat_store_open(&s, store_path)) < 0 ||
	    (error = gitchat_conversation_load(&c, s, "general", &o)) < 0)
		goto done;
	for (size_t i = 0; i < gitchat_conversation_count(c) && error == 0; i++) {
		gitchat_message *m = NULL;
		if ((error = gitchat_conversation_message_load(&m, c, i)) == 0)
			error = gitchat_json_render_message(&json, m);
		gitchat_message_free(m);
	}
done:
	gitchat_buf_dispose(&json);
	gitchat_conversation_free(c);
	gitchat_store_free(s);
	return error;
}

static int op_log_rebuild(void) { return load_room(GITCHAT_CONVERSATION_REBUILD); }
static int op_log_index(void) { return load_room(0); }

static int op_verify(void)
{
	gitchat_store *s = NULL;
	int error;

	if ((error = gitchat_store_open(&s, store_path)) == 0)
		error = gitchat_verify_store(s, NULL, NULL, NULL);
	gitchat_store_free(s);
	return error;
}

static int op_sync(void)
{
	gitchat_store *s = NULL;
	gitchat_sync_result *res = NULL;
	const char *remotes[] = { peer_path };
	int error;

	if ((error = gitchat_store_open(&s, store_path)) == 0)
		error = gitchat_sync(&res, s, remotes, 1, NULL);
	/* a remote that failed is an error too, with its message */
	if (error == 0 && gitchat_sync_result_problems(res)) {
		const gitchat_sync_remote_result *r = gitchat_sync_result_get(res, 0);
		if (!r->error || !*r->error) {
			fprintf(stderr, "sync: a remote failed without saying why\n");
			problems++;
		}
	}
	gitchat_sync_result_free(res);
	gitchat_store_free(s);
	return error;
}

/* Runs op with the k-th allocation failing, k = 1.. until it needs fewer. */
static void sweep(const char *name, op_fn op)
{
	long k, failed = 0, total = 0;

	current_op = name;
	for (k = 0;; k++) {
		int error;
		calls = 0;
		countdown = k;
		gitchat_error_clear();
		error = op();
		countdown = -1;
		if (calls <= k) {
			total = calls;
			if (error < 0) {
				fprintf(stderr, "%s: fails with no allocation failing: %s\n", name,
				        gitchat_error_last()->message);
				problems++;
			}
			break;
		}
		if (error < 0) {
			failed++;
			if (!gitchat_error_last()->message[0]) {
				fprintf(stderr, "%s: allocation %ld failed: error %d without a message\n",
				        name, k + 1, error);
				problems++;
			}
		}
	}
	printf("%-12s %5ld allocations, each failed in turn: %ld errors, %ld coped, 0 crashes\n",
	       name, total, failed, total - failed);
}

int main(int argc, char **argv)
{
	char keyfile[4096], cmd[8192];

	if (argc != 3) {
		fprintf(stderr, "usage: faults_alloc SCRATCH_DIR GIT_CHAT\n");
		return 2;
	}
	snprintf(keyfile, sizeof(keyfile), "%s/key", argv[1]);
	snprintf(cmd, sizeof(cmd),
	         "rm -rf '%s' && mkdir -p '%s' && export HOME='%s' GIT_CONFIG_NOSYSTEM=1 && "
	         "'%s' keygen -f '%s/key' >/dev/null 2>&1 && '%s' init '%s/store.git' >/dev/null && "
	         "'%s' init '%s/peer.git' >/dev/null && for i in 1 2 3 4 5 6; do "
	         "GIT_DIR='%s/store.git' GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@x GIT_CHAT_KEY='%s/key' "
	         "'%s' send -r general -m \"message $i\" >/dev/null 2>&1 || exit 1; done",
	         argv[1], argv[1], argv[1], argv[2], argv[1], argv[2], argv[1], argv[2], argv[1],
	         argv[1], argv[1], argv[2]);
	if (system(cmd) != 0) {
		fprintf(stderr, "faults_alloc: setup failed\n");
		return 2;
	}
	static char sp[4096], pp[4096];
	snprintf(sp, sizeof(sp), "%s/store.git", argv[1]);
	snprintf(pp, sizeof(pp), "%s/peer.git", argv[1]);
	store_path = sp;
	peer_path = pp;
	setenv("HOME", argv[1], 1);
	if (getenv("FAULTS_ALLOC_TRAP")) {
		static char t[64];
		char *colon;
		snprintf(t, sizeof(t), "%s", getenv("FAULTS_ALLOC_TRAP"));
		if ((colon = strchr(t, ':'))) {
			*colon = '\0';
			trap_op = t;
			trap_k = atol(colon + 1);
		}
	}
	if (gitchat_init() < 0 || gitchat_key_load(&key, keyfile) < 0) {
		fprintf(stderr, "faults_alloc: %s\n", gitchat_error_last()->message);
		return 2;
	}
	sweep("open", op_open);
	sweep("send", op_send);
	sweep("log-rebuild", op_log_rebuild);
	sweep("log-index", op_log_index);
	sweep("verify", op_verify);
	sweep("sync", op_sync);
	gitchat_key_free(key);
	gitchat_shutdown();
	if (problems) {
		fprintf(stderr, "faults_alloc: %d problems\n", problems);
		return 1;
	}
	return 0;
}
