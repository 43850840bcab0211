/*
 * The community age test vectors (C2SP CCTV, tests/vectors/age/, licence
 * beside them): every vector git-chat's recipient types can run gives its
 * expected result, the failure kind kept apart, and the SHA-256 of the
 * plaintext released. scrypt (passphrase) and hybrid (ML-KEM) vectors need
 * identities git-chat does not implement: they are counted and skipped
 * (unless they also name an X25519 identity),
 * with the reason, in the test output.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zlib.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define VECTORS GITCHAT_SOURCE_DIR "/tests/vectors/age/testdata"
#define MAX_IDS 8

typedef struct {
	char expect[32];
	char payload[65];
	char *ids[MAX_IDS];
	size_t nids;
	int passphrase, hybrid, armored, zlib;
	const unsigned char *body;
	size_t body_len;
} vector;

static const char *failure_name(gitchat_age_failure f)
{
	switch (f) {
	case GITCHAT_AGE_OK: return "success";
	case GITCHAT_AGE_FAIL_ARMOR: return "armor failure";
	case GITCHAT_AGE_FAIL_HEADER: return "header failure";
	case GITCHAT_AGE_FAIL_NO_MATCH: return "no match";
	case GITCHAT_AGE_FAIL_HMAC: return "HMAC failure";
	case GITCHAT_AGE_FAIL_PAYLOAD: return "payload failure";
	case GITCHAT_AGE_FAIL_UNSUPPORTED: return "unsupported";
	default: return "other";
	}
}

/* "key: value" lines, a blank line, then the file. */
static void parse_vector(vector *v, const char *name, const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	memset(v, 0, sizeof(*v));
	while (p < end && *p != '\n') {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		cr_assert(nl, "%s: no blank line after the keys", name);
		char *line = t_strndup(p, (size_t)(nl - p));
		if (!strncmp(line, "expect: ", 8))
			snprintf(v->expect, sizeof(v->expect), "%s", line + 8);
		else if (!strncmp(line, "payload: ", 9))
			snprintf(v->payload, sizeof(v->payload), "%s", line + 9);
		else if (!strncmp(line, "identity: ", 10)) {
			cr_assert(v->nids < MAX_IDS);
			v->hybrid |= !strncmp(line + 10, "AGE-SECRET-KEY-PQ-", 18);
			v->ids[v->nids++] = line + 10;
		} else if (!strncmp(line, "passphrase: ", 12))
			v->passphrase = 1;
		else if (!strcmp(line, "armored: yes"))
			v->armored = 1;
		else if (!strcmp(line, "compressed: zlib"))
			v->zlib = 1;
		p = nl + 1;
	}
	cr_assert(p < end, "%s: no file after the keys", name);
	v->body = (const unsigned char *)p + 1;
	v->body_len = (size_t)(end - p - 1);
}

static void inflate_body(vector *v, const char *name)
{
	uLongf cap = 32 * 1024 * 1024;   /* the largest: 258 chunks */
	unsigned char *out = t_keep(malloc(cap));

	cr_assert_eq(uncompress(out, &cap, v->body, v->body_len), Z_OK, "%s: zlib", name);
	v->body = out;
	v->body_len = cap;
}

static gitchat_age_scratch *shared;

/* Runs one vector; returns NULL when it gives its expected result, else
 * what went wrong. */
static char *run_vector(vector *v)
{
	const gitchat_age_identity *ids[MAX_IDS];
	gitchat_age_identity *id;
	gitchat_buf out = GITCHAT_BUF_INIT;
	gitchat_age_failure failure;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[65], hex2[65], *problem = NULL;
	size_t i;

	for (i = 0; i < v->nids; i++) {
		if (gitchat_age_identity_parse(&id, v->ids[i], strlen(v->ids[i])) < 0)
			return t_fmt("identity does not parse: %s", gitchat_error_last()->message);
		ids[i] = t_keep(id);
	}
	if (v->nids == 0) {   /* the file fails before any identity is tried */
		cr_assert(gitchat_age_identity_generate(&id) == 0);
		ids[v->nids++] = t_keep(id);
	}
	gitchat_age_decrypt(&out, &failure, ids, v->nids, v->body, v->body_len,
	                    (v->armored ? GITCHAT_AGE_ARMOR : GITCHAT_AGE_BINARY) |
	                    GITCHAT_AGE_KEEP_PARTIAL);
	crypto_hash_sha256(hash, (const unsigned char *)(out.ptr ? out.ptr : ""), out.size);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	if (strcmp(failure_name(failure), v->expect) != 0)
		problem = t_fmt("expected %s, got %s (%s)", v->expect, failure_name(failure),
		                failure ? gitchat_error_last()->message : "no error");
	else if (v->payload[0] && strcmp(hex, v->payload) != 0)
		problem = t_fmt("plaintext SHA-256 %s, expected %s", hex, v->payload);
	else if (failure && !gitchat_error_last()->message[0])
		problem = t_fmt("failed with no error message");
	/* The same through one scratch shared by every vector, as a private
	 * room's read shares it by every message: the same verdict and bytes. */
	if (!problem) {
		gitchat_age_failure f2;
		if (!shared)
			cr_assert(gitchat_age_scratch_new(&shared) == 0);
		gitchat_buf_clear(&out);
		gitchat_age_decrypt_with(&out, &f2, shared, ids, v->nids, v->body, v->body_len,
		                         (v->armored ? GITCHAT_AGE_ARMOR : GITCHAT_AGE_BINARY) |
		                         GITCHAT_AGE_KEEP_PARTIAL);
		crypto_hash_sha256(hash, (const unsigned char *)(out.ptr ? out.ptr : ""), out.size);
		sodium_bin2hex(hex2, sizeof(hex2), hash, sizeof(hash));
		if (f2 != failure || strcmp(hex, hex2))
			problem = t_fmt("with a shared scratch: %s, plaintext %s",
			                failure_name(f2), hex2);
	}
	gitchat_buf_dispose(&out);
	return problem;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

Test(age_vectors, every_runnable_vector_gives_its_expected_result)
{
	struct dirent **names;
	int n = scandir(VECTORS, &names, NULL, by_name);
	size_t checked = 0, scrypt = 0, hybrid = 0, bad = 0, with_payload = 0;
	size_t kinds[8] = { 0 };
	gitchat_buf report = GITCHAT_BUF_INIT;

	cr_assert(gitchat_init() == 0);
	cr_assert(n > 2, "no vectors in %s", VECTORS);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		vector v;
		size_t len;
		char *data, *problem;

		if (name[0] == '.')
			continue;
		cr_assert((data = t_keep(t_read_file(t_fmt("%s/%s", VECTORS, name), &len))));
		parse_vector(&v, name, data, len);
		/* A vector that also names an X25519 identity runs with it. */
		if ((v.passphrase && v.nids == 0) || v.hybrid) {
			scrypt += v.passphrase;
			hybrid += !v.passphrase;
			continue;
		}
		if (v.zlib)
			inflate_body(&v, name);
		checked++;
		with_payload += v.payload[0] != '\0';
		for (int k = 0; k < 8; k++)
			if (!strcmp(failure_name((gitchat_age_failure)k), v.expect))
				kinds[k]++;
		if ((problem = run_vector(&v))) {
			bad++;
			gitchat_buf_printf(&report, "  %s: %s\n", name, problem);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	fprintf(stderr,
		"age vectors: %zu checked (%zu success, %zu no match, %zu HMAC, %zu header, "
		"%zu payload, %zu armor failures; %zu payload hashes), %zu failed; skipped %zu: "
		"%zu scrypt (passphrase recipients: git-chat has no scrypt), %zu hybrid "
		"(ML-KEM identities: not an age v1 recipient git-chat uses)\n",
		checked, kinds[GITCHAT_AGE_OK], kinds[GITCHAT_AGE_FAIL_NO_MATCH],
		kinds[GITCHAT_AGE_FAIL_HMAC], kinds[GITCHAT_AGE_FAIL_HEADER],
		kinds[GITCHAT_AGE_FAIL_PAYLOAD], kinds[GITCHAT_AGE_FAIL_ARMOR], with_payload, bad,
		scrypt + hybrid, scrypt, hybrid);
	cr_assert_eq(bad, 0, "%zu of %zu vectors failed:\n%s", bad, checked,
	             report.ptr ? report.ptr : "");
	/* Every vector of the collection is either checked or skipped for a
	 * recipient type we do not have: none silently left out. */
	cr_assert_eq(checked + scrypt + hybrid, 143);
	cr_assert_eq(checked, 99);
	gitchat_age_scratch_free(shared);
	shared = NULL;
	gitchat_buf_dispose(&report);
}
