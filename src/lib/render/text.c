#include <string.h>

#include "gitchat/render.h"
#include "util/buf.h"
#include "util/date.h"

#define SHORT_FINGERPRINT 15   /* "SHA256:" and 8 characters */

/* Terminal control bytes from untrusted text are shown, not obeyed. */
static int put_safe(gitchat_buf *out, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int error = ((c < 0x20 && c != '\t') || c == 0x7f)
			? gitchat_buf_printf(out, "^%c", c == 0x7f ? '?' : c + '@')
			: gitchat_buf_putc(out, (char)c);
		if (error < 0)
			return error;
	}
	return 0;
}

int gitchat_render_text(gitchat_buf *out, const gitchat_message *m)
{
	char fp[GITCHAT_FINGERPRINT_SIZE];
	int64_t days = m->time >= 0 ? m->time / 86400 : -((-m->time + 86399) / 86400), y;
	int64_t secs = m->time - days * 86400;
	unsigned mo, d;
	const char *p = m->text, *end = m->text + m->text_len;

	gitchat_civil_from_days(days, &y, &mo, &d);
	gitchat_pubkey_fingerprint(fp, &m->key);
	fp[SHORT_FINGERPRINT] = '\0';
	if (gitchat_buf_printf(out, "%04lld-%02u-%02u %02d:%02d  ", (long long)y, mo, d,
	                       (int)(secs / 3600), (int)(secs / 60 % 60)) < 0 ||
	    put_safe(out, m->author_name, strlen(m->author_name)) < 0 ||
	    gitchat_buf_printf(out, " (%s)  ", fp) < 0)
		return GITCHAT_ENOMEM;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (put_safe(out, p, n) < 0 || gitchat_buf_putc(out, '\n') < 0)
			return GITCHAT_ENOMEM;
		if (!nl)
			break;
		p = nl + 1;
		if (gitchat_buf_puts(out, "    ") < 0)
			return GITCHAT_ENOMEM;
	}
	return 0;
}
