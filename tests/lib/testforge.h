/*
 * Helpers for the hook tests: server repositories, client stores, valid
 * messages sent with the real `git chat send`, and hand-made commits that
 * break one rule each (a client that does not play by the rules). Pushes go
 * through stock git, whose local transport runs receive-pack, and so the
 * server's hooks with the pushed objects in git's quarantine.
 */
#ifndef GITCHAT_TESTFORGE_H
#define GITCHAT_TESTFORGE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <git2.h>
#include <gitchat.h>

#include "testchat.h"

#define T_EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

/* Strings the helpers return live until the process ends, kept reachable
 * by testchat's t_keep so that LeakSanitizer reports only real leaks. */

/* A whole file as a string. */
static inline char *t_read_text(const char *path) { return t_keep(t_read_file(path, NULL)); }

/* `git chat init --server DIR` with extra arguments (NULL-terminated). */
static inline char *t_store_server(const char *dir, const char *name, const char *const *extra)
{
	char *path = t_path(dir, name);
	const char *args[16] = { "init", "--server" };
	size_t n = 2;
	t_run r;

	for (; extra && *extra && n < 14; extra++)
		args[n++] = *extra;
	args[n++] = path;
	args[n] = NULL;
	r = t_chat(NULL, NULL, args);
	cr_assert_eq(r.status, 0, "init --server failed: %s", r.err);
	t_run_free(&r);
	return path;
}

typedef struct {
	const char *room;          /* the chat-room header; NULL: none */
	const char *text;
	const char *parents[4];    /* hex ids, NULL-terminated */
	const char *signer;        /* key file; NULL: unsigned */
	long long time;            /* author and committer time; 0: 1764150000 */
	size_t repeat;             /* text repeated this many times (0 = 1) */
} t_forged;

/* Writes a commit as the spec says, into `gitdir`; returns its id. */
static inline char *t_forge(const char *gitdir, const t_forged *c)
{
	gitchat_buf head = GITCHAT_BUF_INIT, body = GITCHAT_BUF_INIT, payload = GITCHAT_BUF_INIT;
	gitchat_buf sig = GITCHAT_BUF_INIT, obj = GITCHAT_BUF_INIT;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid id, tree;
	char hex[GIT_OID_HEXSZ + 1];
	long long t = c->time ? c->time : 1764150000;

	t_lib_init();
	cr_assert_eq(git_repository_open(&repo, gitdir), 0);
	cr_assert_eq(git_repository_odb(&odb, repo), 0);
	cr_assert_eq(git_odb_write(&tree, odb, "", 0, GIT_OBJECT_TREE), 0);
	gitchat_buf_printf(&head, "tree %s\n", T_EMPTY_TREE);
	for (size_t i = 0; i < 4 && c->parents[i]; i++)
		gitchat_buf_printf(&head, "parent %s\n", c->parents[i]);
	gitchat_buf_printf(&head, "author Forger <forger@example.org> %lld +0000\n"
	                          "committer Forger <forger@example.org> %lld +0000\n", t, t);
	if (c->room)
		gitchat_buf_printf(&head, "chat-room %s\n", c->room);
	gitchat_buf_puts(&body, "\n");
	for (size_t i = 0; i < (c->repeat ? c->repeat : 1); i++)
		gitchat_buf_puts(&body, c->text);
	gitchat_buf_puts(&body, "\n");
	gitchat_buf_put(&payload, head.ptr, head.size);
	gitchat_buf_put(&payload, body.ptr, body.size);
	gitchat_buf_put(&obj, head.ptr, head.size);
	if (c->signer) {
		gitchat_key *k = NULL;
		cr_assert_eq(gitchat_key_load(&k, c->signer), 0);
		cr_assert_eq(gitchat_sshsig_sign(&sig, k, "git", payload.ptr, payload.size), 0);
		gitchat_key_free(k);
		gitchat_buf_puts(&obj, "gpgsig ");
		for (size_t i = 0; i < sig.size; i++) {
			gitchat_buf_put(&obj, &sig.ptr[i], 1);
			if (sig.ptr[i] == '\n' && i + 1 < sig.size)
				gitchat_buf_puts(&obj, " ");
		}
	}
	gitchat_buf_put(&obj, body.ptr, body.size);
	cr_assert_eq(git_odb_write(&id, odb, obj.ptr, obj.size, GIT_OBJECT_COMMIT), 0);
	git_oid_tostr(hex, sizeof(hex), &id);
	gitchat_buf_dispose(&head);
	gitchat_buf_dispose(&body);
	gitchat_buf_dispose(&payload);
	gitchat_buf_dispose(&sig);
	gitchat_buf_dispose(&obj);
	git_odb_free(odb);
	git_repository_free(repo);
	return t_keep(strdup(hex));
}

/* Stock git with --git-dir=gitdir and the rest of the command line. */
static inline t_run t_git_run(const char *gitdir, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline t_run t_git_run(const char *gitdir, const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	t_run r;

	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	r = t_sh("git --git-dir='%s' %s", gitdir, cmd);
	free(cmd);
	return r;
}

static inline void t_set_ref(const char *gitdir, const char *ref, const char *id)
{
	t_run r = t_git_run(gitdir, "update-ref '%s' %s", ref, id);
	cr_assert_eq(r.status, 0, "update-ref: %s", r.err);
	t_run_free(&r);
}

/* All refs with their targets, one per line: compare before and after. */
static inline char *t_refs_all(const char *gitdir)
{
	t_run r = t_git_run(gitdir, "for-each-ref --format='%%(objectname) %%(refname)'");
	char *out;
	cr_assert_eq(r.status, 0, "for-each-ref: %s", r.err);
	out = t_keep(strdup(r.out));
	t_run_free(&r);
	return out;
}

static inline int t_has_object(const char *gitdir, const char *id)
{
	t_run r = t_git_run(gitdir, "cat-file -e %s", id);
	int ok = r.status == 0;
	t_run_free(&r);
	return ok;
}

#endif
