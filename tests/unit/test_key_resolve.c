/*
 * gitchat_pubkey_resolve: every way of naming someone's key, against a
 * store whose authors sent real messages (the real git-chat binary).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

typedef struct {
	char *key;
	char hex[GITCHAT_PUBKEY_HEXSIZE];
	char fp[GITCHAT_FINGERPRINT_SIZE];
	char *line;
} person;

static void person_make(person *p, const char *dir, const char *name, int ours)
{
	gitchat_key *k = NULL;
	gitchat_buf line = GITCHAT_BUF_INIT;

	p->key = t_keygen(dir, name, ours);
	cr_assert_eq(gitchat_key_load(&k, p->key), 0, "%s", gitchat_error_last()->message);
	gitchat_pubkey_hex(p->hex, gitchat_key_public(k));
	gitchat_pubkey_fingerprint(p->fp, gitchat_key_public(k));
	cr_assert_eq(gitchat_pubkey_line(&line, gitchat_key_public(k), "a comment"), 0);
	p->line = t_keep(strdup(line.ptr));
	gitchat_buf_dispose(&line);
	gitchat_key_free(k);
}

static void send_as(const char *store, const person *p, const char *name, const char *email,
                    const char *room)
{
	const char *env[] = { t_fmt("GIT_AUTHOR_NAME=%s", name), t_fmt("GIT_AUTHOR_EMAIL=%s", email),
	                      NULL };
	free(t_send_env(store, p->key, room, "hi", env));
}

/* The hex of what `spec` resolves to in `store`, or the error's message. */
static char *resolve(gitchat_store *store, const char *spec, int *code)
{
	gitchat_pubkey pk;
	char hex[GITCHAT_PUBKEY_HEXSIZE];

	*code = gitchat_pubkey_resolve(&pk, store, spec);
	if (*code < 0)
		return t_keep(strdup(gitchat_error_last()->message));
	gitchat_pubkey_hex(hex, &pk);
	return t_keep(strdup(hex));
}

static person alice, bob, carol;
static gitchat_store *store;
static const char *dir;

/* Alice (ours) and Bob (ssh-keygen) in two rooms; Carol and Bob both
 * claim the name "Bobby"; Carol's key sent nothing under her own name. */
static void setup(void)
{
	char *path;

	t_lib_init();
	dir = t_scratch();
	person_make(&alice, dir, "alice", 1);
	person_make(&bob, dir, "bob", 0);
	person_make(&carol, dir, "carol", 1);
	path = t_store(dir, "store");
	send_as(path, &alice, "Alice", "alice@example.org", "general");
	send_as(path, &bob, "Bob", "bob@example.org", "random");
	send_as(path, &bob, "Bobby", "bob@example.org", "general");
	send_as(path, &carol, "Bobby", "carol@example.org", "random");
	cr_assert_eq(gitchat_store_open(&store, path), 0, "%s", gitchat_error_last()->message);
}

static void teardown(void)
{
	gitchat_store_free(store);
}

TestSuite(key_resolve, .init = setup, .fini = teardown);

Test(key_resolve, forms_that_carry_the_key)
{
	char upper[65];
	size_t i;
	int code;

	/* 64 hex digits, either case, need no store. */
	cr_assert_str_eq(resolve(NULL, alice.hex, &code), alice.hex);
	for (i = 0; i < 65; i++)
		upper[i] = (char)(alice.hex[i] >= 'a' && alice.hex[i] <= 'f' ? alice.hex[i] - 32 : alice.hex[i]);
	cr_assert_str_eq(resolve(NULL, upper, &code), alice.hex);
	/* A public key line, with or without git's key:: prefix. */
	cr_assert_str_eq(resolve(NULL, bob.line, &code), bob.hex);
	cr_assert_str_eq(resolve(NULL, t_fmt("key::%s", bob.line), &code), bob.hex);
	/* A .pub file, and a private key's path with its .pub beside it. */
	cr_assert_str_eq(resolve(NULL, t_fmt("%s.pub", bob.key), &code), bob.hex);
	cr_assert_str_eq(resolve(NULL, bob.key, &code), bob.hex);
	/* A key nobody in the store knows is fine when it is given whole. */
	cr_assert_str_eq(resolve(store, carol.line, &code), carol.hex);
}

Test(key_resolve, lookups_in_the_store)
{
	int code;

	cr_assert_str_eq(resolve(store, alice.fp, &code), alice.hex);
	cr_assert_str_eq(resolve(store, t_fmt("%.15s", bob.fp), &code), bob.hex);
	cr_assert_str_eq(resolve(store, t_fmt("%.12s", carol.hex), &code), carol.hex);
	/* Names and emails whole, in any case, from any room. */
	cr_assert_str_eq(resolve(store, "alice", &code), alice.hex);
	cr_assert_str_eq(resolve(store, "BOB", &code), bob.hex);
	cr_assert_str_eq(resolve(store, "carol@example.org", &code), carol.hex);
	/* One key under two names is one key. */
	cr_assert_str_eq(resolve(store, "bob@example.org", &code), bob.hex);
}

Test(key_resolve, ambiguous_names_list_the_candidates)
{
	int code;
	char *msg = resolve(store, "Bobby", &code);

	cr_assert_eq(code, GITCHAT_EINVALID);
	t_assert_contains(msg, "'Bobby' names 2 keys");
	t_assert_contains(msg, bob.fp);
	t_assert_contains(msg, carol.fp);
	t_assert_contains(msg, "fingerprint");
	/* "SHA256:" alone is too short to name anyone. */
	msg = resolve(store, "SHA256:", &code);
	cr_assert_eq(code, GITCHAT_EINVALID);
	t_assert_contains(msg, "at least 6");
}

Test(key_resolve, unknown_names_say_what_to_do)
{
	int code;
	char *msg = resolve(store, "dave", &code);

	cr_assert_eq(code, GITCHAT_ENOTFOUND);
	t_assert_contains(msg, "no key named 'dave' in this store");
	t_assert_contains(msg, "git chat whoami");
	msg = resolve(store, "SHA256:AAAAAAAAAAAAAAAA", &code);
	cr_assert_eq(code, GITCHAT_ENOTFOUND);
	t_assert_contains(msg, "no key with fingerprint 'SHA256:AAAAAAAAAAAAAAAA'");
	/* Outside a store a name cannot be looked up. */
	msg = resolve(NULL, "alice", &code);
	cr_assert_eq(code, GITCHAT_ENOTFOUND);
	t_assert_contains(msg, "outside a chat store");
	msg = resolve(NULL, t_fmt("%s/nothing.pub", dir), &code);
	cr_assert_eq(code, GITCHAT_ENOTFOUND);
	t_assert_contains(msg, "nothing.pub");
}

Test(key_resolve, other_key_types_are_refused_by_name)
{
	int code;
	char *msg;
	t_run r = t_sh("ssh-keygen -q -t ecdsa -N '' -f '%s/ec'", dir);

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	msg = resolve(NULL, t_fmt("%s/ec.pub", dir), &code);
	cr_assert_eq(code, GITCHAT_EUNSUPPORTED);
	t_assert_contains(msg, "ecdsa-sha2-nistp256 key");
	t_assert_contains(msg, "ssh-keygen -t ed25519");
	msg = resolve(NULL, "ssh-ed25519 AAAAnotbase64!", &code);
	cr_assert_eq(code, GITCHAT_EINVALID);
	t_assert_contains(msg, "not an ed25519 public key line");
}
