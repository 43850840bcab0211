#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/filename.h"
#include "util/utf8.h"

#define NAME_MAX_BYTES 255
#define EXT_MAX 16

int gitchat_filename_cp_bad(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int gitchat_filename_quote(gitchat_buf *out, const char *name, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n;
	uint32_t cp;

	for (i = 0; i < len && (!max || i < max); i += n) {
		n = gitchat_utf8_decode(&cp, name + i, len - i);
		if (GITCHAT_UTF8_BAD(cp, n) || cp < 0x20 || cp == 0x7f) {
			unsigned char b = (unsigned char)name[i];
			if (gitchat_buf_printf(out, "\\x%c%c", hex[b >> 4], hex[b & 15]) < 0)
				return GITCHAT_ENOMEM;
		} else if (gitchat_filename_cp_bad(cp) || cp == '\\') {
			if ((cp == '\\' ? gitchat_buf_puts(out, "\\\\")
			                : gitchat_buf_printf(out, "\\u{%04x}", (unsigned)cp)) < 0)
				return GITCHAT_ENOMEM;
		} else if (gitchat_buf_put(out, name + i, n) < 0) {
			return GITCHAT_ENOMEM;
		}
	}
	if (i < len && gitchat_buf_puts(out, "...") < 0)
		return GITCHAT_ENOMEM;
	return 0;
}

static int name_error(const char *name, size_t len, const char *why)
{
	gitchat_buf q = GITCHAT_BUF_INIT;
	int error;

	if (gitchat_filename_quote(&q, name, len, 64) < 0)
		return gitchat_error_oom();
	error = gitchat_error_set(GITCHAT_EINVALID, "the file name '%s' %s", q.ptr ? q.ptr : "", why);
	gitchat_buf_dispose(&q);
	return error;
}

int gitchat_filename_check(const char *name, size_t len)
{
	size_t i, n, bad;
	uint32_t cp;

	if (len == 0)
		return gitchat_error_set(GITCHAT_EINVALID, "a file name is empty");
	if (len > NAME_MAX_BYTES)
		return name_error(name, len, "is longer than 255 bytes");
	if (!gitchat_utf8_valid(name, len, &bad))
		return name_error(name, len, "is not valid UTF-8");
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return name_error(name, len, "is not a file name");
	for (i = 0; i < len; i += n) {
		n = gitchat_utf8_decode(&cp, name + i, len - i);
		if (cp == '/')
			return name_error(name, len, "contains '/'");
		if (gitchat_filename_cp_bad(cp))
			return name_error(name, len, "contains a control or bidirectional character");
	}
	return 0;
}

/* Where the extension starts: the last '.' when what follows is short
 * and not the whole name; else the end. */
static size_t ext_start(const char *s, size_t len)
{
	const char *dot = NULL;
	for (size_t i = 1; i < len; i++)
		if (s[i] == '.')
			dot = s + i;
	return dot && (size_t)(s + len - dot) <= EXT_MAX ? (size_t)(dot - s) : len;
}

int gitchat_filename_safe(gitchat_buf *out, const char *name, size_t len, unsigned k)
{
	gitchat_buf s = GITCHAT_BUF_INIT;
	char suffix[16] = "";
	size_t i, n, ext, keep, room;
	uint32_t cp;
	int error = GITCHAT_ENOMEM;

	for (i = 0; i < len; i += n) {
		n = gitchat_utf8_decode(&cp, name + i, len - i);
		int replace = GITCHAT_UTF8_BAD(cp, n) || gitchat_filename_cp_bad(cp) || cp == '/' ||
		              cp == '\\' || (i == 0 && (cp == '.' || cp == '-'));
		if ((replace ? gitchat_buf_putc(&s, '_') : gitchat_buf_put(&s, name + i, n)) < 0)
			goto done;
	}
	if (!s.size && gitchat_buf_puts(&s, "file") < 0)
		goto done;
	if (k)
		snprintf(suffix, sizeof(suffix), "-%u", k);
	ext = ext_start(s.ptr, s.size);
	room = NAME_MAX_BYTES - strlen(suffix) - (s.size - ext);
	/* Cut the stem on a character boundary (the input is UTF-8 now). */
	for (keep = 0; keep < ext; keep += n) {
		n = gitchat_utf8_decode(&cp, s.ptr + keep, ext - keep);
		if (keep + n > room)
			break;
	}
	if (gitchat_buf_put(out, s.ptr, keep) < 0 || gitchat_buf_puts(out, suffix) < 0 ||
	    gitchat_buf_put(out, s.ptr + ext, s.size - ext) < 0)
		goto done;
	error = 0;
done:
	gitchat_buf_dispose(&s);
	return error == 0 ? 0 : gitchat_error_oom();
}
