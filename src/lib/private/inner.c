/*
 * The inner message of a private room: what a member encrypts, hence
 * hostile input to every other member. Parsed within bounds: at most
 * GITCHAT_PRIVATE_MAX_INNER_HEADERS header lines of at most
 * GITCHAT_PRIVATE_MAX_INNER_LINE bytes, each "chat-<name> <value>", known
 * ones once; unknown chat-* headers are kept out and ignored, as in a
 * public message; the text checked like a public message's.
 */
#include <string.h>

#include "private/private_internal.h"
#include "message/commit.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/filename.h"
#include "util/utf8.h"

static const char *kind_names[] = { NULL, "chat-edit", "chat-redact", "chat-react" };

int gitchat_inner_build(gitchat_buf *out, const gitchat_send_options *o, const char *title,
                        const gitchat_buf *files)
{
	char hex[GIT_OID_HEXSZ + 1];
	int error = 0;

	if (o->reply_to)
		error = gitchat_buf_printf(out, "chat-reply %s\n",
		                           git_oid_tostr(hex, sizeof(hex), o->reply_to));
	if (!error && o->kind != GITCHAT_MESSAGE_TEXT) {
		if (o->kind > GITCHAT_MESSAGE_REACT || !o->target)
			return gitchat_error_set(GITCHAT_EINVALID, "an edit, redaction or reaction "
			                         "needs a target");
		error = gitchat_buf_printf(out, "%s %s\n", kind_names[o->kind],
		                           git_oid_tostr(hex, sizeof(hex), o->target));
	}
	if (!error && title) {
		size_t n = strlen(title);
		if (!n || n > GITCHAT_PRIVATE_MAX_TITLE || memchr(title, '\n', n) ||
		    !gitchat_utf8_valid(title, n, NULL))
			return gitchat_error_set(GITCHAT_EINVALID, "a title is one line of UTF-8, "
			                         "1 to %d bytes", GITCHAT_PRIVATE_MAX_TITLE);
		error = gitchat_buf_printf(out, "chat-title %s\n", title);
	}
	if (!error && files && files->size)
		error = gitchat_buf_put(out, files->ptr, files->size);
	if (!error)
		error = gitchat_buf_putc(out, '\n');
	if (!error && o->text)
		error = gitchat_buf_put(out, o->text, o->text_len);
	return error < 0 ? gitchat_error_oom() : 0;
}

static int bad(const char *why)
{
	return gitchat_error_set(GITCHAT_EINVALID, "its inner message %s", why);
}

/* A decimal as we write it (no leading zero but "0"), at most `max`:
 * the digits read, 0 when none. */
static size_t number(uint64_t *out, const char *p, size_t len, uint64_t max)
{
	size_t i = 0;

	*out = 0;
	while (i < len && p[i] >= '0' && p[i] <= '9') {
		if ((i == 1 && p[0] == '0') || *out > (max - (uint64_t)(p[i] - '0')) / 10)
			return 0;
		*out = *out * 10 + (uint64_t)(p[i++] - '0');
	}
	return i;
}

/* `chat-file <n> <size> <name>`, as a public message's header: numbered
 * 1, 2, ... in order, a valid name once, within the limits. */
static int parse_file(gitchat_inner *out, const char *v, size_t vlen,
                      const gitchat_limits *limits, uint64_t *total)
{
	uint64_t n, size;
	size_t a, b, i;
	const char *name;

	if (out->file_count >= GITCHAT_MAX_FILES)
		return bad("names too many files");
	if (!(a = number(&n, v, vlen, GITCHAT_MAX_FILES)) || a >= vlen || v[a] != ' ' ||
	    !(b = number(&size, v + a + 1, vlen - a - 1, UINT64_MAX / 2)) ||
	    a + 1 + b >= vlen || v[a + 1 + b] != ' ')
		return bad("has a chat-file that is not '<n> <size> <name>' in decimal");
	if (n != out->file_count + 1)
		return bad("has chat-file headers not numbered 1, 2, ... in order");
	name = v + a + b + 2;
	if (gitchat_filename_check(name, vlen - a - b - 2) < 0)
		return gitchat_error_set(GITCHAT_EINVALID, "its inner message names file %llu "
		                         "invalidly: %s", (unsigned long long)n,
		                         gitchat_error_last()->message);
	for (i = 0; i < out->file_count; i++)
		if (out->files[i].name_len == vlen - a - b - 2 &&
		    !memcmp(out->files[i].name, name, out->files[i].name_len))
			return bad("names one file twice");
	if (size > limits->max_file || (*total += size) > limits->max_tree)
		return bad("names files over chat.maxFileBytes or chat.maxTreeBytes");
	out->files[i].name = name;
	out->files[i].name_len = vlen - a - b - 2;
	out->files[i].size = size;
	out->file_count++;
	return 0;
}

int gitchat_inner_parse(gitchat_inner *out, const char *p, size_t len,
                        const gitchat_limits *limits)
{
	const char *end = p + len;
	size_t nheaders = 0;
	uint64_t total = 0;
	int seen_kind = 0, error;

	memset(out, 0, sizeof(*out));
	if (len > limits->max_text + GITCHAT_PRIVATE_MAX_INNER_HEADERS *
	          (size_t)GITCHAT_PRIVATE_MAX_INNER_LINE)
		return bad("is over the size limit");
	while (p < end && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *sp, *v;
		size_t klen, vlen;
		if (!eol)
			return bad("has no blank line after its headers");
		if (++nheaders > GITCHAT_PRIVATE_MAX_INNER_HEADERS)
			return bad("has too many headers");
		if ((size_t)(eol - p) > GITCHAT_PRIVATE_MAX_INNER_LINE)
			return bad("has a header line that is too long");
		if (!(sp = memchr(p, ' ', (size_t)(eol - p))) || (size_t)(eol - p) < 6 ||
		    memcmp(p, "chat-", 5))
			return bad("has a line that is not a chat-* header");
		klen = (size_t)(sp - p);
		v = sp + 1;
		vlen = (size_t)(eol - v);
		if (klen == 10 && !memcmp(p, "chat-reply", 10)) {
			if (out->has_reply++ || vlen != GIT_OID_HEXSZ ||
			    git_oid_fromstrn(&out->reply_to, v, vlen) < 0)
				return bad("has a bad or repeated chat-reply");
		} else if ((klen == 9 && !memcmp(p, "chat-edit", 9)) ||
		           (klen == 11 && !memcmp(p, "chat-redact", 11)) ||
		           (klen == 10 && !memcmp(p, "chat-react", 10))) {
			if (seen_kind++ || vlen != GIT_OID_HEXSZ ||
			    git_oid_fromstrn(&out->target, v, vlen) < 0)
				return bad("has a bad or second chat-edit/redact/react");
			out->kind = klen == 9 ? GITCHAT_MESSAGE_EDIT : p[7] == 'd' ?
			            GITCHAT_MESSAGE_REDACT : GITCHAT_MESSAGE_REACT;
		} else if (klen == 10 && !memcmp(p, "chat-title", 10)) {
			if (out->has_title++ || !vlen || vlen > GITCHAT_PRIVATE_MAX_TITLE ||
			    !gitchat_utf8_valid(v, vlen, NULL) || memchr(v, '\0', vlen))
				return bad("has a bad or repeated chat-title");
			out->title = v;
			out->title_len = vlen;
		} else if (klen == 9 && !memcmp(p, "chat-file", 9)) {
			if ((error = parse_file(out, v, vlen, limits, &total)) < 0)
				return error;
		}
		p = eol + 1;
	}
	if (p >= end)
		return bad("has no blank line after its headers");
	out->text = p + 1;
	out->text_len = (size_t)(end - p - 1);
	if (out->file_count && (out->kind != GITCHAT_MESSAGE_TEXT || out->has_title))
		return bad("carries files on an edit, redaction, reaction or title");
	/* A message of files alone has no text. */
	if (out->file_count && out->text_len == 0)
		return 0;
	/* A title message may have no text; a message must have a valid one. */
	if (out->has_title && out->text_len == 0)
		return 0;
	if (gitchat_text_check(out->text, out->text_len, limits) < 0)
		return gitchat_error_set(GITCHAT_EINVALID, "its inner text is invalid: %s",
		                         gitchat_error_last()->message);
	return 0;
}
