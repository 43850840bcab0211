/*
 * Naming a key (gitchat_pubkey_resolve): what `member add`, `dm` and
 * `device add` take. The forms that carry the key itself are read without
 * the store; the forms that only point at one (a fingerprint, a hex
 * prefix, a name) are looked up among the keys the store has seen, and
 * must name exactly one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "gitchat/persons.h"
#include "gitchat/view.h"
#include "util/buf.h"
#include "util/error.h"
#include "view/authors.h"

#define FP_PREFIX "SHA256:"
#define FP_MIN 6          /* base64 digits after "SHA256:" in a prefix */
#define HEX_MIN 8         /* hex digits in a prefix */
#define LIST_MAX 10       /* candidates an ambiguity error lists */

typedef enum { BY_NAME, BY_FINGERPRINT, BY_HEX } lookup_kind;

typedef struct {
	gitchat_pubkey key;
	char *name;           /* the first name seen with the key */
} candidate;

typedef struct {
	lookup_kind kind;
	const char *spec;
	candidate *c;
	size_t n;
} lookup;

/* Adds `key` under `name` once: the hook every source of names calls. */
static int lookup_add(lookup *l, const gitchat_pubkey *key, const char *name)
{
	candidate *grown;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!gitchat_pubkey_cmp(&l->c[i].key, key))
			return 0;
	if (!(grown = realloc(l->c, (l->n + 1) * sizeof(*grown))))
		return gitchat_error_oom();
	l->c = grown;
	l->c[l->n].key = *key;
	if (!(l->c[l->n].name = strdup(name ? name : "")))
		return gitchat_error_oom();
	l->n++;
	return 0;
}

static int key_matches(const lookup *l, const gitchat_pubkey *key)
{
	char buf[GITCHAT_FINGERPRINT_SIZE > GITCHAT_PUBKEY_HEXSIZE ? GITCHAT_FINGERPRINT_SIZE
	                                                           : GITCHAT_PUBKEY_HEXSIZE];
	if (l->kind == BY_FINGERPRINT) {
		gitchat_pubkey_fingerprint(buf, key);
		return !strncmp(buf, l->spec, strlen(l->spec));
	}
	gitchat_pubkey_hex(buf, key);
	return !strncasecmp(buf, l->spec, strlen(l->spec));
}

/* Source 1: the authors of every message in every room. A name or email
 * matches whole, in any case (as `log --author`); names are claims, which
 * is why one that two keys claim is refused below. */
static int from_messages(const gitchat_message *m, void *payload)
{
	lookup *l = payload;

	if (l->kind == BY_NAME ? (!strcasecmp(m->author_name, l->spec) ||
	                          !strcasecmp(m->author_email, l->spec))
	                       : key_matches(l, &m->key))
		return lookup_add(l, &m->key, m->author_name);
	return 0;
}

static int collect_messages(lookup *l, gitchat_store *store)
{
	return gitchat_authors_walk(store, NULL, from_messages, l);
}

/* Source 2: the `_identity` room (gitchat/persons.h): a person's profile
 * name, under the key that names the person, and every key seen there
 * (one that wrote nothing else yet, a device just linked). */
static int collect_profiles(lookup *l, gitchat_store *store)
{
	gitchat_persons *ps = NULL;
	gitchat_person who;
	size_t i, n;
	int error;

	if ((error = gitchat_persons_load(&ps, store, NULL)) < 0)
		return error;
	n = gitchat_persons_key_count(ps);
	for (i = 0; i < n && error == 0; i++) {
		const gitchat_pubkey *k = gitchat_persons_key_get(ps, i);
		gitchat_persons_lookup(&who, ps, k);
		if (l->kind == BY_NAME) {
			if (who.name && !gitchat_pubkey_cmp(who.key, k) && !strcasecmp(who.name, l->spec))
				error = lookup_add(l, k, who.name);
		} else if (key_matches(l, k)) {
			error = lookup_add(l, k, who.name ? who.name : "");
		}
	}
	gitchat_persons_free(ps);
	return error;
}

/* A name that several devices of one person claimed names that person:
 * their candidates become one, the key that names the person. */
static int collapse_persons(lookup *l, gitchat_store *store)
{
	gitchat_persons *ps = NULL;
	gitchat_person who;
	size_t i, j, n = 0;
	int error, dup;

	if ((error = gitchat_persons_load(&ps, store, NULL)) < 0)
		return error;
	for (i = 0; i < l->n; i++) {
		gitchat_persons_lookup(&who, ps, &l->c[i].key);
		for (j = 0, dup = 0; j < n && !dup; j++)
			dup = gitchat_persons_same(ps, &l->c[j].key, &l->c[i].key);
		if (dup) {
			free(l->c[i].name);
			continue;
		}
		l->c[n] = l->c[i];
		l->c[n++].key = *who.key;
	}
	l->n = n;
	gitchat_persons_free(ps);
	return 0;
}

/* The sources of known keys, in order. */
static int (*const sources[])(lookup *, gitchat_store *) = {
	collect_messages,
	collect_profiles,
};

static int too_many(const lookup *l)
{
	gitchat_buf list = GITCHAT_BUF_INIT;
	char fp[GITCHAT_FINGERPRINT_SIZE];
	size_t i;
	int error;

	for (i = 0; i < l->n && i < LIST_MAX; i++) {
		gitchat_pubkey_fingerprint(fp, &l->c[i].key);
		if (gitchat_buf_printf(&list, "\n  %s  %s", fp, l->c[i].name) < 0)
			goto oom;
	}
	if (l->n > LIST_MAX && gitchat_buf_printf(&list, "\n  and %zu more", l->n - LIST_MAX) < 0)
		goto oom;
	error = gitchat_error_set(GITCHAT_EINVALID,
		"'%s' names %zu keys in this store:%s\nname one by its fingerprint (or its public "
		"key line, or its .pub file)", l->spec, l->n, list.ptr);
	gitchat_buf_dispose(&list);
	return error;
oom:
	gitchat_buf_dispose(&list);
	return gitchat_error_oom();
}

static int not_found(const lookup *l, const char *what)
{
	struct stat st;
	const char *file_hint = l->kind == BY_NAME && stat(l->spec, &st) == 0
		? " (to read the file of that name, write './NAME')" : "";

	return gitchat_error_set(GITCHAT_ENOTFOUND,
		"no key %s '%s' in this store%s; give the key itself: its public key line "
		"('ssh-ed25519 AAAA...', which 'git chat whoami' prints), its .pub file, or its "
		"64 hex digits", what, l->spec, file_hint);
}

static int lookup_store(gitchat_pubkey *out, gitchat_store *store, lookup_kind kind,
                        const char *spec)
{
	static const char *const what[] = { "named", "with fingerprint", "starting with" };
	lookup l = { kind, spec, NULL, 0 };
	size_t i;
	int error = 0;

	if (!store)
		return gitchat_error_set(GITCHAT_ENOTFOUND,
			"cannot look up '%s' outside a chat store; run this in one, or give the "
			"key itself (its public key line, .pub file or 64 hex digits)", spec);
	for (i = 0; error == 0 && i < sizeof(sources) / sizeof(*sources); i++)
		error = sources[i](&l, store);
	if (error == 0 && kind == BY_NAME && l.n > 1)
		error = collapse_persons(&l, store);
	if (error < 0)
		goto done;
	if (l.n == 0)
		error = not_found(&l, what[kind]);
	else if (l.n > 1)
		error = too_many(&l);
	else
		*out = l.c[0].key;
done:
	for (i = 0; i < l.n; i++)
		free(l.c[i].name);
	free(l.c);
	return error;
}

static size_t span(const char *s, const char *set)
{
	return strspn(s, set);
}

static int from_file(gitchat_pubkey *out, const char *path)
{
	gitchat_buf pub = GITCHAT_BUF_INIT;
	size_t n = strlen(path);
	struct stat st;
	int error;

	/* A private key's path names its .pub beside it, as ssh-keygen -y. */
	if ((n < 4 || strcmp(path + n - 4, ".pub")) &&
	    (error = gitchat_buf_printf(&pub, "%s.pub", path)) == 0 && stat(pub.ptr, &st) == 0)
		path = pub.ptr;
	error = gitchat_pubkey_load_file(out, NULL, path);
	gitchat_buf_dispose(&pub);
	return error;
}

int gitchat_pubkey_resolve(gitchat_pubkey *out, gitchat_store *store, const char *spec)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(spec), i;
	char lower[GITCHAT_PUBKEY_HEXSIZE];

	if (n == 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"an empty key name; give a public key line, a .pub file, 64 hex digits, a "
			"fingerprint or a name");
	if (n == 64 && span(spec, hex) == 64) {
		for (i = 0; i <= 64; i++)
			lower[i] = (char)(spec[i] >= 'A' && spec[i] <= 'F' ? spec[i] + 32 : spec[i]);
		return gitchat_pubkey_from_hex(out, lower);
	}
	if (!strncmp(spec, "key::", 5))
		return gitchat_pubkey_parse_line(out, NULL, spec + 5, n - 5, "the key:: literal");
	if (!strncmp(spec, "ssh-", 4) || !strncmp(spec, "ecdsa-", 6) || !strncmp(spec, "sk-", 3))
		return gitchat_pubkey_parse_line(out, NULL, spec, n, "the key given");
	if (!strncmp(spec, FP_PREFIX, strlen(FP_PREFIX))) {
		size_t d = span(spec + strlen(FP_PREFIX), b64);
		if (d < FP_MIN || spec[strlen(FP_PREFIX) + d] != '\0')
			return gitchat_error_set(GITCHAT_EINVALID,
				"'%s' is not a key fingerprint: after 'SHA256:' come at least %d of the "
				"43 base64 digits 'ssh-keygen -l' prints", spec, FP_MIN);
		return lookup_store(out, store, BY_FINGERPRINT, spec);
	}
	if (strchr(spec, '/') || (n > 4 && !strcmp(spec + n - 4, ".pub")))
		return from_file(out, spec);
	if (n >= HEX_MIN && n < 64 && span(spec, hex) == n)
		return lookup_store(out, store, BY_HEX, spec);
	return lookup_store(out, store, BY_NAME, spec);
}
