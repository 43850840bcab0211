/*
 * Shared by the reader tests (test_render*.c, test_edit_redact_react.c,
 * test_follow.c, test_log_filters.c): stores with
 * the fixed keys of tests/golden/keys, sends at fixed times so that every
 * commit id is reproducible (ed25519 signatures are deterministic).
 */
#ifndef GITCHAT_TESTGOLDEN_H
#define GITCHAT_TESTGOLDEN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <criterion/criterion.h>

#include "testlib.h"

/* The fixed conversation starts on Wednesday 2025-11-26 09:00 UTC. */
#define T_GOLDEN_T0 1764147600LL


static inline char *t_store_in(const char *dir)
{
	char *store = t_path(dir, "store");
	const char *args[] = { "init", store, NULL };
	t_run r = t_chat(NULL, NULL, args);
	cr_assert_eq(r.status, 0, "init: %s", r.err);
	t_run_free(&r);
	return store;
}

/* A copy of tests/golden/keys/NAME, mode 0600 as a key file must be, and
 * of its NAME.pub (readers know who they are from it). */
static inline char *t_golden_key(const char *dir, const char *name)
{
	char *src = NULL, *dst = t_path(dir, name), *dstpub = NULL, *data;
	size_t len;

	cr_assert(asprintf(&src, "%s/tests/golden/keys/%s", GITCHAT_SOURCE_DIR, name) > 0);
	data = t_read_file(src, &len);
	cr_assert(data != NULL, "missing %s", src);
	t_write_file(dst, data, len);
	cr_assert(chmod(dst, 0600) == 0);
	free(data);
	free(src);
	cr_assert(asprintf(&src, "%s/tests/golden/keys/%s.pub", GITCHAT_SOURCE_DIR, name) > 0);
	cr_assert(asprintf(&dstpub, "%s.pub", dst) > 0);
	data = t_read_file(src, &len);
	cr_assert(data != NULL, "missing %s", src);
	t_write_file(dstpub, data, len);
	free(data);
	free(src);
	free(dstpub);
	return dst;
}

static inline void t_set_time(long long t)
{
	char v[64];
	snprintf(v, sizeof(v), "@%lld +0000", t);
	setenv("GIT_AUTHOR_DATE", v, 1);
	setenv("GIT_COMMITTER_DATE", v, 1);
}

/* Runs `git chat ARGS...` (NULL-terminated) on STORE; asserts the exit code
 * unless want < 0. */
static inline t_run t_chat_expect(const char *store, int want, const char *input, ...)
{
	const char *args[48];
	size_t n = 0;
	va_list ap;
	t_run r;

	va_start(ap, input);
	while (n < 47 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	r = t_chat(store, input, args);
	if (want >= 0)
		cr_assert_eq(r.status, want, "git chat %s: exit %d, want %d\nstdout: %s\nstderr: %s",
		             args[0], r.status, want, r.out, r.err);
	return r;
}

/* The id a command printed (first line of stdout), malloc'd. */
static inline char *t_run_id(t_run *r)
{
	char *id = strndup(r->out, 40);
	cr_assert(strlen(id) == 40, "no commit id in '%s'", r->out);
	t_run_free(r);
	return id;
}

static inline void t_set_name(const char *name)
{
	char email[128];
	snprintf(email, sizeof(email), "%s@example.org", name);
	t_set_identity(name, email);
}

/* Sends TEXT as NAME with KEY at time T; returns the id. reply may be NULL. */
static inline char *t_send_at(const char *store, const char *room, const char *key,
                            const char *name, long long t, const char *reply, const char *text)
{
	t_run r;

	t_set_name(name);
	t_set_time(t);
	if (reply)
		r = t_chat_expect(store, 0, NULL, "send", "--key", key, "-r", room, "--reply", reply, "-m",
		           text, NULL);
	else
		r = t_chat_expect(store, 0, NULL, "send", "--key", key, "-r", room, "-m", text, NULL);
	return t_run_id(&r);
}

/* edit / redact / react as NAME with KEY at time T. */
static inline char *t_act_at(const char *store, const char *what, const char *key,
                           const char *name, long long t, const char *target, const char *arg)
{
	t_run r;

	t_set_name(name);
	t_set_time(t);
	if (arg)
		r = t_chat_expect(store, 0, NULL, what, "--key", key, target, arg, NULL);
	else
		r = t_chat_expect(store, 0, NULL, what, "--key", key, target, NULL);
	return t_run_id(&r);
}

#endif
