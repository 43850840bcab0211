#include <string.h>

#include "message/headers.h"

int gitchat_commit_header_next(gitchat_commit_header *out, const gitchat_commit *c,
                               size_t *pos)
{
	const char *base = c->payload.ptr, *p, *end, *eol, *sp;

	if (!base)
		return 0;
	end = base + c->payload.size;
	for (p = base + *pos; p < end && *p != '\n'; p = eol + 1) {
		if (!(eol = memchr(p, '\n', (size_t)(end - p))))
			break;
		if (*p == ' ' || (size_t)(eol - p) < 6 || memcmp(p, "chat-", 5) ||
		    !(sp = memchr(p, ' ', (size_t)(eol - p))))
			continue;
		out->name = p;
		out->name_len = (size_t)(sp - p);
		out->value = sp + 1;
		out->value_len = (size_t)(eol - sp - 1);
		out->continued = eol + 1 < end && eol[1] == ' ';
		*pos = (size_t)(eol + 1 - base);
		return 1;
	}
	*pos = (size_t)(p - base);
	return 0;
}
