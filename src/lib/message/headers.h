/*
 * Internal: the chat-* headers this layer does not interpret itself (the
 * profile and link claims of the `_identity` room, for example), read
 * from a parsed commit for the modules above that give them a meaning.
 * The validity check keeps them and ignores them (DESIGN.md: unknown
 * chat-* headers are kept and ignored), so a reader must judge each value.
 */
#ifndef GITCHAT_MESSAGE_HEADERS_H
#define GITCHAT_MESSAGE_HEADERS_H

#include "message/commit.h"

typedef struct {
	const char *name; size_t name_len;    /* "chat-link" */
	const char *value; size_t value_len;  /* its first line, after the space */
	int continued;                        /* the header goes on over more lines */
} gitchat_commit_header;

/* The next header of `c` whose name starts with "chat-", from *pos on
 * (start with 0), in the order of the commit (pointers into c->payload,
 * the signed bytes). 1 and *out, or 0 when there is no more. */
int gitchat_commit_header_next(gitchat_commit_header *out, const gitchat_commit *c,
                               size_t *pos);

#endif
