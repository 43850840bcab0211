/*
 * Helpers shared by the sync tests (tests/cli/test_sync*.c): people with
 * their own key and store, sending and syncing through the real git-chat
 * binary, reading refs with real git, and crafting bad commits with
 * libgit2 and the library's signer.
 */
#ifndef GITCHAT_TESTSYNC_H
#define GITCHAT_TESTSYNC_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <git2.h>
#include <sodium.h>
#include <gitchat.h>

#include "testchat.h"
#include "servers.h"

/* Each test file uses some of these. */
#define T_FN static __attribute__((unused))

/* Strings the helpers hand out live until the test process ends, kept
 * reachable by testchat's t_keep so that the sanitizer build sees them
 * reachable rather than leaked, and the tests can use them inline.
 * t_scratch's path is static storage: this is a copy. */
#define t_scratch_copy() ((char *)t_keep(strdup(t_scratch())))

/* git daemon serving a new bare repository `name` under DIR/srv: its URL,
 * and where it lies (*gitdir, when asked for). Stop it with t_server_stop. */
T_FN char *t_daemon_repo(t_server **daemon, const char *dir, const char *name, char **gitdir)
{
	char *root = t_path(dir, "srv"), *repo;

	t_mkdir(root);
	*daemon = t_server_start(T_SERVER_DAEMON, root);
	repo = t_keep(t_server_new_repo(*daemon, name));
	if (gitdir)
		*gitdir = repo;
	return t_keep(t_server_url(*daemon, name));
}

/* The same with the project's hook installed (`git chat init --server
 * --http`): the server refuses what DESIGN.md's rules refuse. */
T_FN char *t_daemon_hooked(t_server **daemon, const char *dir, const char *name)
{
	char *root = t_path(dir, "srv"), *repo = t_path(root, name);
	const char *args[] = { "init", "--server", "--http", repo, NULL };
	t_run r;

	t_mkdir(root);
	*daemon = t_server_start(T_SERVER_DAEMON, root);
	r = t_chat(NULL, NULL, args);
	cr_assert_eq(r.status, 0, "init --server failed: %s", r.err);
	t_run_free(&r);
	return t_keep(t_server_url(*daemon, name));
}

/* A hooked git daemon and the URL of its "chat.git". */
typedef struct {
	t_server *srv;
	char *url;
} t_hooked;

T_FN t_hooked t_hooked_server(const char *dir)
{
	t_hooked h;

	h.url = t_daemon_hooked(&h.srv, dir, "chat.git");
	return h;
}

typedef struct {
	char *name;       /* "Alice" */
	char *email;
	char *key;        /* private key file */
	char *store;      /* bare repository */
	char hex[GITCHAT_PUBKEY_HEXSIZE];
	char fp[GITCHAT_FINGERPRINT_SIZE];
} t_person;

/* Author dates go up by one second per message, from a fixed start, so
 * that runs are reproducible. */
static long long t_clock = 1764150000;


/* A person with a fresh key (made by `git chat keygen`) and an empty store
 * under `dir`, or sharing `key_of`'s key (a second device) when not NULL. */
T_FN void t_person_init_key(t_person *p, const char *dir, const char *name,
                               const t_person *key_of)
{
	gitchat_key *k = NULL;
	char lower[64];
	size_t i;
	t_run r;

	t_lib_init();
	memset(p, 0, sizeof(*p));
	for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	lower[i] = '\0';
	p->name = t_keep(strdup(name));
	p->email = t_fmt("%s@example.org", lower);
	p->store = t_fmt("%s/%s.git", dir, lower);
	p->key = t_keep(key_of ? strdup(key_of->key) : t_keygen(dir, lower, 1));
	{
		const char *args[] = { "init", p->store, NULL };
		r = t_chat(NULL, NULL, args);
		cr_assert_eq(r.status, 0, "init %s: %s", p->store, r.err);
		t_run_free(&r);
	}
	cr_assert_eq(gitchat_key_load(&k, p->key), 0, "%s", gitchat_error_last()->message);
	gitchat_pubkey_hex(p->hex, gitchat_key_public(k));
	gitchat_pubkey_fingerprint(p->fp, gitchat_key_public(k));
	gitchat_key_free(k);
}

T_FN void t_person_init(t_person *p, const char *dir, const char *name)
{
	t_person_init_key(p, dir, name, NULL);
}

/* git-chat as this person: GIT_DIR, the key, the identity. */
T_FN t_run t_person_chat(const t_person *p, const char *const *args)
{
	const char *argv[64];
	char *env[8];
	size_t i = 0;
	t_run r;

	argv[i++] = GITCHAT_BIN;
	for (; args && *args && i < 63; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	env[0] = t_fmt("GIT_DIR=%s", p->store);
	env[1] = t_fmt("GIT_CHAT_KEY=%s", p->key);
	env[2] = t_fmt("GIT_AUTHOR_NAME=%s", p->name);
	env[3] = t_fmt("GIT_AUTHOR_EMAIL=%s", p->email);
	env[4] = t_fmt("GIT_COMMITTER_NAME=%s", p->name);
	env[5] = t_fmt("GIT_COMMITTER_EMAIL=%s", p->email);
	env[6] = t_fmt("GIT_AUTHOR_DATE=@%lld +0000", t_clock);
	env[7] = NULL;
	r = t_run_argv(NULL, argv, NULL, 0, (const char *const *)env);
	return r;
}

/* git-chat ARGS... as p, a second later than the last command (so that
 * the room's order is the order of the calls); asserts exit 0 and returns
 * stdout (stderr in *err when err is not NULL). */
#define t_person_ok(p, ...) t_person_ok_v((p), NULL, (const char *[]){ __VA_ARGS__, NULL })
T_FN char *t_person_ok_v(const t_person *p, char **err, const char **args)
{
	t_run r;

	t_clock++;
	r = t_person_chat(p, args);
	cr_assert_eq(r.status, 0, "%s: git chat %s: exit %d\n%s%s", p->name, args[0], r.status,
	             r.out, r.err);
	if (err)
		*err = t_keep(r.err);
	else
		free(r.err);
	return t_keep(r.out);
}

/* The line of `text` that holds `needle` (asserts there is one). */
T_FN char *t_line_with(const char *text, const char *needle)
{
	const char *at = strstr(text, needle), *start, *end;

	cr_assert(at, "'%s' is not in:\n%s", needle, text);
	for (start = at; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(at, '\n');
	return t_strndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* Sends `text` in `room`; returns the new commit id (malloc'd). */
T_FN char *t_person_send(const t_person *p, const char *room, const char *text)
{
	const char *args[] = { "send", "-r", room, "-m", text, NULL };
	t_run r;
	char *id;

	t_clock++;
	r = t_person_chat(p, args);
	cr_assert_eq(r.status, 0, "%s: send failed: %s", p->name, r.err);
	cr_assert_eq(strlen(r.out), 41, "send printed '%s'", r.out);
	id = strndup(r.out, 40);
	t_run_free(&r);
	return t_keep(id);
}

/* `git chat sync ARGS...` (NULL-terminated) as p. */
T_FN t_run t_person_sync(const t_person *p, ...)
{
	const char *args[32];
	size_t n = 0;
	va_list ap;

	args[n++] = "sync";
	va_start(ap, p);
	while (n < 31 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	return t_person_chat(p, args);
}

/* Syncs and insists that it worked (exit 0). */
T_FN void t_person_sync_ok(const t_person *p, const char *remote)
{
	t_run r = t_person_sync(p, remote, NULL);
	cr_assert_eq(r.status, 0, "%s: sync %s: exit %d\nstdout: %s\nstderr: %s", p->name, remote,
	             r.status, r.out, r.err);
	t_run_free(&r);
}

/* Runs `git --git-dir=GITDIR <args>` through sh; asserts exit 0 unless
 * `may_fail`; returns stdout (malloc'd). */
T_FN char *t_git_out_x(int may_fail, const char *gitdir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
T_FN char *t_git_out_x(int may_fail, const char *gitdir, const char *fmt, ...)
{
	va_list ap;
	char *cmd = NULL, *out;
	t_run r;

	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	r = t_sh("git --git-dir='%s' %s", gitdir, cmd);
	if (!may_fail)
		cr_assert_eq(r.status, 0, "git %s: %s", cmd, r.err);
	free(cmd);
	out = r.out;
	r.out = NULL;
	t_run_free(&r);
	return t_keep(out);
}
#define t_git_out(...) t_git_out_x(0, __VA_ARGS__)

/* "OID REFNAME" lines of refs under `prefix`. */
T_FN char *t_refs(const char *gitdir, const char *prefix)
{
	return t_git_out(gitdir, "for-each-ref --format='%%(objectname) %%(refname)' %s", prefix);
}

/* The value of a ref, or NULL. */
T_FN char *t_ref_value(const char *gitdir, const char *refname)
{
	char *out = t_git_out_x(1, gitdir, "rev-parse -q --verify '%s^{object}'", refname);
	if (!out || strlen(out) < 40)
		return NULL;
	out[40] = '\0';
	return out;
}

T_FN char *t_person_ref(const t_person *p, const char *room)
{
	return t_fmt("refs/chat/%s/%s", room, p->hex);
}

T_FN char *t_person_log_json(const t_person *p, const char *room)
{
	const char *args[] = { "log", "-r", room, "--format=json", NULL };
	t_run r = t_person_chat(p, args);
	char *out;

	cr_assert_eq(r.status, 0, "log: %s", r.err);
	out = r.out;
	r.out = NULL;
	t_run_free(&r);
	return t_keep(out);
}

/* `git chat verify` passes and `git fsck --strict` finds nothing. */
T_FN void t_store_sound(const char *gitdir)
{
	const char *args[] = { "verify", NULL };
	t_run r = t_chat(gitdir, NULL, args);
	cr_assert_eq(r.status, 0, "git chat verify in %s: %s%s", gitdir, r.out, r.err);
	t_run_free(&r);
	r = t_sh("git --git-dir='%s' fsck --strict --no-progress 2>&1", gitdir);
	cr_assert_eq(r.status, 0, "git fsck --strict in %s:\n%s", gitdir, r.out);
	t_run_free(&r);
}

/* Every commit under refs/chat passes `git verify-commit` with the
 * allowed-signers file git-chat prints. */
T_FN void t_verify_commits(const char *gitdir)
{
	const char *args[] = { "allowed-signers", NULL };
	t_run r = t_chat(gitdir, NULL, args);
	char *signers = t_fmt("%s.allowed", gitdir);

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_write_file(signers, r.out, r.out_len);
	t_run_free(&r);
	r = t_sh("git --git-dir='%s' rev-list --glob=refs/chat | while read c; do "
	         "git --git-dir='%s' -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='%s' "
	         "verify-commit \"$c\" 2>/dev/null || echo \"BAD $c\"; echo \"checked $c\"; done",
	         gitdir, gitdir, signers);
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "BAD") == NULL, "git verify-commit failed: %s", r.out);
	cr_assert(strstr(r.out, "checked") != NULL, "no commit to check in %s", gitdir);
	t_run_free(&r);
}

/* Writes a commit into `gitdir` by hand: signed with `keypath` (NULL:
 * unsigned), chat-room `room` (NULL: none), `parents` (NULL-terminated
 * hex ids, may be NULL), `text`. With `tamper`, the text is changed after
 * signing (a bad signature). Returns the id (malloc'd hex). */
T_FN char *t_craft(const char *gitdir, const char *keypath, const char *room,
                      const char *const *parents, const char *text, int tamper)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid tree, id;
	gitchat_buf payload = GITCHAT_BUF_INIT, sig = GITCHAT_BUF_INIT;
	gitchat_key *key = NULL;
	char hex[GIT_OID_HEXSZ + 1];

	t_lib_init();
	cr_assert_eq(git_repository_open_bare(&repo, gitdir), 0);
	cr_assert_eq(git_repository_odb(&odb, repo), 0);
	cr_assert_eq(git_odb_write(&tree, odb, "", 0, GIT_OBJECT_TREE), 0);
	gitchat_buf_printf(&payload, "tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree));
	for (; parents && *parents; parents++)
		gitchat_buf_printf(&payload, "parent %s\n", *parents);
	t_clock++;
	gitchat_buf_printf(&payload, "author Mallory <m@example.org> %lld +0000\n"
	                   "committer Mallory <m@example.org> %lld +0000\n", t_clock, t_clock);
	if (room)
		gitchat_buf_printf(&payload, "chat-room %s\n", room);
	gitchat_buf_printf(&payload, "\n%s\n", text);
	if (keypath) {
		cr_assert_eq(gitchat_key_load(&key, keypath), 0);
		cr_assert_eq(gitchat_sshsig_sign(&sig, key, "git", payload.ptr, payload.size), 0);
		sig.ptr[--sig.size] = '\0';
		if (tamper) {
			char *t = strstr(payload.ptr, "\n\n");
			cr_assert(t && t[2]);
			t[2] = t[2] == 'X' ? 'Y' : 'X';
		}
		cr_assert_eq(git_commit_create_with_signature(&id, repo, payload.ptr, sig.ptr,
		                                              "gpgsig"), 0,
		             "%s", git_error_last()->message);
		gitchat_key_free(key);
	} else {
		cr_assert_eq(git_odb_write(&id, odb, payload.ptr, payload.size, GIT_OBJECT_COMMIT), 0);
	}
	gitchat_buf_dispose(&payload);
	gitchat_buf_dispose(&sig);
	git_odb_free(odb);
	git_repository_free(repo);
	return t_keep(strdup(git_oid_tostr(hex, sizeof(hex), &id)));
}

/* Appends `n` signed messages of about `text_size` bytes (incompressible
 * text) to the log of `keypath` in `room` of `gitdir`, written in-process:
 * a big room in seconds. Returns the new head (malloc'd hex). */
T_FN char *t_gen_log(const char *gitdir, const char *keypath, const char *room, size_t n,
                       size_t text_size)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_reference *ref = NULL;
	git_oid tree, id, prev;
	gitchat_buf payload = GITCHAT_BUF_INIT, sig = GITCHAT_BUF_INIT, refname = GITCHAT_BUF_INIT;
	gitchat_key *key = NULL;
	char hex[GIT_OID_HEXSZ + 1], khex[GITCHAT_PUBKEY_HEXSIZE];
	unsigned char *raw = malloc(text_size + 1);
	char *text = malloc(text_size * 2 + 8);
	int has_prev = 0;

	t_lib_init();
	cr_assert(raw && text);
	cr_assert_eq(git_repository_open_bare(&repo, gitdir), 0);
	cr_assert_eq(git_repository_odb(&odb, repo), 0);
	cr_assert_eq(git_odb_write(&tree, odb, "", 0, GIT_OBJECT_TREE), 0);
	cr_assert_eq(gitchat_key_load(&key, keypath), 0);
	gitchat_pubkey_hex(khex, gitchat_key_public(key));
	gitchat_buf_printf(&refname, "refs/chat/%s/%s", room, khex);
	if (git_reference_name_to_id(&prev, repo, refname.ptr) == 0)
		has_prev = 1;
	for (size_t i = 0; i < n; i++) {
		randombytes_buf(raw, text_size * 3 / 4 + 1);
		sodium_bin2base64(text, text_size * 2 + 8, raw, text_size * 3 / 4 + 1,
		                  sodium_base64_VARIANT_ORIGINAL);
		text[text_size] = '\0';
		t_clock++;
		gitchat_buf_clear(&payload);
		gitchat_buf_printf(&payload, "tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree));
		if (has_prev)
			gitchat_buf_printf(&payload, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &prev));
		gitchat_buf_printf(&payload, "author Gen <gen@example.org> %lld +0000\n"
		                   "committer Gen <gen@example.org> %lld +0000\nchat-room %s\n\n"
		                   "%zu %s\n", t_clock, t_clock, room, i, text);
		gitchat_buf_clear(&sig);
		cr_assert_eq(gitchat_sshsig_sign(&sig, key, "git", payload.ptr, payload.size), 0);
		sig.ptr[--sig.size] = '\0';
		cr_assert_eq(git_commit_create_with_signature(&id, repo, payload.ptr, sig.ptr,
		                                              "gpgsig"), 0);
		prev = id;
		has_prev = 1;
	}
	cr_assert_eq(git_reference_create(&ref, repo, refname.ptr, &prev, 1, "generated"), 0);
	git_reference_free(ref);
	gitchat_key_free(key);
	gitchat_buf_dispose(&payload);
	gitchat_buf_dispose(&sig);
	gitchat_buf_dispose(&refname);
	git_odb_free(odb);
	git_repository_free(repo);
	free(raw);
	free(text);
	return t_keep(strdup(git_oid_tostr(hex, sizeof(hex), &prev)));
}

#endif
