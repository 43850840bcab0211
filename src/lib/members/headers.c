/*
 * The membership headers of one commit, read from its raw text: bounded
 * (at most GITCHAT_MEMBERS_MAX_CHANGES member lines, each value checked
 * exactly), because any writer in a room may put anything there.
 */
#include <string.h>

#include "members/members_internal.h"
#include "util/error.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly 2*n lowercase hex digits. */
int gitchat_members_hex(unsigned char *out, const char *s, size_t len, size_t n)
{
	if (len != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int a = hexval((unsigned char)s[2 * i]), b = hexval((unsigned char)s[2 * i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i] = (unsigned char)(a << 4 | b);
	}
	return 0;
}

static int is(const char *p, size_t keylen, const char *name)
{
	return keylen == strlen(name) && memcmp(p, name, keylen) == 0;
}

static int add_change(gitchat_members_hdr *h, const char *v, size_t vlen, int remove)
{
	gitchat_member *m;
	const char *sp = remove ? NULL : memchr(v, ' ', vlen);
	size_t klen = sp ? (size_t)(sp - v) : vlen;

	if (h->nchanges >= GITCHAT_MEMBERS_MAX_CHANGES)
		return gitchat_error_set(GITCHAT_EINVALID, "more than %d member changes",
		                         GITCHAT_MEMBERS_MAX_CHANGES);
	m = remove ? &h->removes[h->nremoves] : &h->adds[h->nadds];
	if (gitchat_members_hex(m->key.bytes, v, klen, GITCHAT_PUBKEY_SIZE) < 0)
		return gitchat_error_set(GITCHAT_EINVALID, "a chat-member-%s key is not 64 hex digits",
		                         remove ? "remove" : "add");
	if (!remove) {
		const char *role = v + klen + 1;
		size_t rlen = klen < vlen ? vlen - klen - 1 : (size_t)-1;
		if (rlen == 5 && !memcmp(role, "admin", 5))
			m->admin = 1;
		else if (rlen == 6 && !memcmp(role, "member", 6))
			m->admin = 0;
		else
			return gitchat_error_set(GITCHAT_EINVALID,
			                         "a chat-member-add role is not 'admin' or 'member'");
		h->nadds++;
	} else {
		m->admin = 0;
		h->nremoves++;
	}
	h->nchanges++;
	return 0;
}

int gitchat_members_hdr_parse(gitchat_members_hdr *h, const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;

	memset(h, 0, sizeof(*h));
	while (p < end && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *sp, *v;
		size_t keylen, vlen;
		if (!eol)
			eol = end;
		sp = memchr(p, ' ', (size_t)(eol - p));
		keylen = sp ? (size_t)(sp - p) : (size_t)(eol - p);
		v = sp ? sp + 1 : eol;
		vlen = (size_t)(eol - v);
		if (*p == ' ') {
			/* a continuation line (gpgsig): not ours */
		} else if (is(p, keylen, "tree")) {
			if (vlen != GIT_OID_HEXSZ || git_oid_fromstrn(&h->tree, v, vlen) < 0)
				return gitchat_error_set(GITCHAT_EINVALID, "the tree line is not an object id");
		} else if (is(p, keylen, "chat-genesis")) {
			if (h->has_genesis++ ||
			    gitchat_members_hex(h->genesis, v, vlen, sizeof(h->genesis)) < 0)
				return gitchat_error_set(GITCHAT_EINVALID,
				                         "chat-genesis is repeated or not 32 hex digits");
		} else if (is(p, keylen, "chat-dm")) {
			if (h->has_dm++ || gitchat_members_hex(h->dm.bytes, v, vlen, 32) < 0)
				return gitchat_error_set(GITCHAT_EINVALID,
				                         "chat-dm is repeated or not 64 hex digits");
		} else if (is(p, keylen, "chat-epoch")) {
			if (h->epoch[0] || vlen == 0 || vlen > GITCHAT_MEMBERS_MAX_EPOCH ||
			    memchr(v, '\0', vlen))
				return gitchat_error_set(GITCHAT_EINVALID,
				                         "chat-epoch is repeated, empty or too long");
			memcpy(h->epoch, v, vlen);
			h->epoch[vlen] = '\0';
		} else if (is(p, keylen, "chat-member-add")) {
			if (add_change(h, v, vlen, 0) < 0)
				return GITCHAT_EINVALID;
		} else if (is(p, keylen, "chat-member-remove")) {
			if (add_change(h, v, vlen, 1) < 0)
				return GITCHAT_EINVALID;
		}
		p = eol < end ? eol + 1 : end;
	}
	return 0;
}
