/*
 * Helpers shared by the test suite: scratch directories, running commands
 * (the real git-chat binary, real git, real ssh-keygen) and keys.
 *
 * Every test helper is t_<noun>[_<verb>] (types too: t_run, t_person), in
 * tests/lib/: testlib.h (this), testchat.h (stores, git, hand-made
 * commits), testsync.h (people with a key and a store: t_person_*),
 * testforge.h (commits that break the rules, for the hooks), testgolden.h
 * (the fixed keys and times of tests/golden), testorder.h (the order's
 * reference implementation: t_order_*), servers.h (t_server_*), tmux.h (the
 * terminal client in a private tmux: t_tmux_*, and t_file_wait).
 */
#ifndef GITCHAT_TESTLIB_H
#define GITCHAT_TESTLIB_H

#include <stddef.h>
#include <gitchat.h>

typedef struct {
	int status;        /* exit code, or 128 + signal */
	char *out;         /* stdout, NUL-terminated */
	size_t out_len;
	char *err;         /* stderr, NUL-terminated */
} t_run;

/* A fresh directory under $TMPDIR, removed by t_cleanup() at exit. Its path
 * is returned (static storage per call: copy it if needed). HOME and
 * XDG_CONFIG_HOME point into it, so no test sees the user's config. */
const char *t_scratch(void);

/* mkdir -p; dies (cr_assert) on failure. Returns a malloc'd joined path. */
char *t_path(const char *dir, const char *name);
void t_mkdir(const char *path);
void t_write_file(const char *path, const char *data, size_t len);
char *t_read_file(const char *path, size_t *len);
/* Damages byte `off` of `path` by flipping bits: never a write of the value
 * already there (which a test of damage would then wait for in vain). */
void t_flip_byte(const char *path, size_t off);

/* Runs argv with optional stdin text and extra "NAME=value" env entries
 * (NULL-terminated; may be NULL). cwd may be NULL. */
t_run t_run_argv(const char *cwd, const char *const *argv, const char *input,
                 size_t input_len, const char *const *env);
/* Runs a shell command line (sh -c). */
t_run t_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void t_run_free(t_run *r);

/* git-chat with arguments; GIT_DIR=store when store != NULL. */
t_run t_chat(const char *store, const char *input, const char *const *args);

/* Fixed author identity and dates for reproducible commits. */
void t_set_identity(const char *name, const char *email);

/* Makes a key with `git chat keygen` (ours = 1) or ssh-keygen (ours = 0). */
char *t_keygen(const char *dir, const char *name, int ours);

/* Number of lines in s. */
size_t t_count_lines(const char *s);
/* Whether hay contains needle (0 when either is NULL). */
int t_contains(const char *hay, const char *needle);

/* libgitchat in the test process itself (keys, signing, libgit2), once. */
void t_lib_init(void);

#endif
