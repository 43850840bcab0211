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

/* The chat-file headers, read and checked as a public message's are
 * (message/commit.c), copied into `out`. */
static int inner_files(gitchat_inner *out, gitchat_commit *files, const gitchat_limits *limits)
{
	files->kind = out->kind;
	if (files->file_count && out->has_title)
		return bad("carries files on a title");
	if (gitchat_commit_files_check(files, limits) < 0)
		return gitchat_error_set(GITCHAT_EINVALID, "its inner message: %s",
		                         gitchat_error_last()->message);
	for (size_t i = 0; i < files->file_count; i++) {
		out->files[i].name = files->files[i].name;
		out->files[i].name_len = files->files[i].name_len;
		out->files[i].size = files->files[i].size;
	}
	out->file_count = files->file_count;
	return 0;
}

static int parse(gitchat_inner *out, gitchat_commit *files, const char *p, size_t len,
                 const gitchat_limits *limits)
{
	const char *end = p + len;
	size_t nheaders = 0;
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
			if (gitchat_commit_file_parse(files, v, vlen) < 0)
				return gitchat_error_set(GITCHAT_EINVALID, "its inner message: %s",
				                         gitchat_error_last()->message);
		}
		p = eol + 1;
	}
	if (p >= end)
		return bad("has no blank line after its headers");
	out->text = p + 1;
	out->text_len = (size_t)(end - p - 1);
	if ((error = inner_files(out, files, limits)) < 0)
		return error;
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

int gitchat_inner_parse(gitchat_inner *out, const char *p, size_t len,
                        const gitchat_limits *limits)
{
	gitchat_commit files;
	int error;

	memset(&files, 0, sizeof(files));
	error = parse(out, &files, p, len, limits);
	gitchat_commit_dispose(&files);
	return error;
}
