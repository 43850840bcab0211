/* Internal to members/: one commit's membership headers. */
#ifndef GITCHAT_MEMBERS_INTERNAL_H
#define GITCHAT_MEMBERS_INTERNAL_H

#include "gitchat/members.h"

typedef struct {
	git_oid tree;
	int has_genesis;
	unsigned char genesis[16];
	int has_dm;
	gitchat_pubkey dm;
	char epoch[GITCHAT_MEMBERS_MAX_EPOCH + 1];   /* "" when none */
	gitchat_member adds[GITCHAT_MEMBERS_MAX_CHANGES];
	gitchat_member removes[GITCHAT_MEMBERS_MAX_CHANGES];
	size_t nadds, nremoves, nchanges;
} gitchat_members_hdr;

/* Parses the header part of raw commit text (up to the blank line).
 * GITCHAT_EINVALID with the reason for a malformed membership header. */
int gitchat_members_hdr_parse(gitchat_members_hdr *h, const char *raw, size_t len);

/* Exactly 2*n lowercase hex digits into n bytes; -1 otherwise. */
int gitchat_members_hex(unsigned char *out, const char *s, size_t len, size_t n);

#endif
