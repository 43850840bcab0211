/* The HTML renderer (render/html.c) over arbitrary Markdown and names: a
 * whole page, and Markdown alone. The output must be inert: no script
 * element, no event handler attribute (on...), no link or source whose
 * scheme is javascript:, vbscript: or data:, after the entity and
 * whitespace decoding a browser does. Any violation aborts. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fuzz.h"

/* An attribute value as a browser reads it for a URL: character references
 * decoded, ASCII whitespace and controls dropped, lower case. */
static void url_value(char *out, size_t cap, const char *v, size_t n)
{
	size_t o = 0, i = 0;

	while (i < n && o + 1 < cap) {
		unsigned long c = (unsigned char)v[i];
		if (c == '&') {
			size_t j = i + 1;
			if (j < n && v[j] == '#') {
				int hex = j + 1 < n && (v[j + 1] == 'x' || v[j + 1] == 'X');
				c = 0;
				for (j += 1 + hex; j < n && (hex ? isxdigit((unsigned char)v[j])
				                                 : isdigit((unsigned char)v[j])); j++)
					c = c * (hex ? 16 : 10) + (unsigned long)(isdigit((unsigned char)v[j])
					        ? v[j] - '0' : (tolower((unsigned char)v[j]) - 'a' + 10)),
					c = c > 0x10ffff ? 0x10ffff : c;
				if (j < n && v[j] == ';')
					j++;
			} else if (n - j >= 6 && !strncasecmp(v + j, "colon;", 6)) {
				c = ':', j += 6;
			} else if (n - j >= 4 && !strncasecmp(v + j, "tab;", 4)) {
				c = '\t', j += 4;
			} else if (n - j >= 8 && !strncasecmp(v + j, "newline;", 8)) {
				c = '\n', j += 8;
			} else {
				j = i + 1;
			}
			i = j;
		} else {
			i++;
		}
		if (c <= 0x20 || c == 0x7f)
			continue;
		out[o++] = c < 0x80 ? (char)tolower((int)c) : '?';
	}
	out[o] = '\0';
}

static void check_tag(const char *page, size_t len, size_t start, size_t end)
{
	const char *t = page + start + 1;
	size_t n = end - start - 1, i = 0, name;

	if (n && t[0] == '/')
		t++, n--;
	for (name = 0; name < n && (isalnum((unsigned char)t[name]) || t[name] == '-'); name++)
		;
	if ((name == 6 && !strncasecmp(t, "script", 6)) || (name == 6 && !strncasecmp(t, "iframe", 6)) ||
	    (name == 6 && !strncasecmp(t, "object", 6)) || (name == 5 && !strncasecmp(t, "embed", 5)))
		fz_fail("an active element in the HTML output", page, len, start);
	i = name;
	while (i < n) {
		size_t a, alen, v = 0, vlen = 0;
		while (i < n && (isspace((unsigned char)t[i]) || t[i] == '/'))
			i++;
		for (a = i; i < n && !isspace((unsigned char)t[i]) && t[i] != '=' && t[i] != '/'; i++)
			;
		alen = i - a;
		while (i < n && isspace((unsigned char)t[i]))
			i++;
		if (i < n && t[i] == '=') {
			i++;
			while (i < n && isspace((unsigned char)t[i]))
				i++;
			if (i < n && (t[i] == '"' || t[i] == '\'')) {
				char q = t[i++];
				for (v = i; i < n && t[i] != q; i++)
					;
				vlen = i - v;
				i++;
			} else {
				for (v = i; i < n && !isspace((unsigned char)t[i]); i++)
					;
				vlen = i - v;
			}
		}
		if (alen > 2 && !strncasecmp(t + a, "on", 2))
			fz_fail("an event handler attribute in the HTML output", page, len, start + 1 + a);
		if (vlen && ((alen == 4 && !strncasecmp(t + a, "href", 4)) ||
		             (alen == 3 && !strncasecmp(t + a, "src", 3)) ||
		             (alen == 6 && !strncasecmp(t + a, "action", 6)) ||
		             (alen == 10 && !strncasecmp(t + a, "formaction", 10)) ||
		             (alen == 6 && !strncasecmp(t + a, "srcset", 6)))) {
			char url[64];
			url_value(url, sizeof(url), t + v, vlen);
			if (!strncmp(url, "javascript:", 11) || !strncmp(url, "vbscript:", 9) ||
			    !strncmp(url, "data:", 5))
				fz_fail("a javascript:, vbscript: or data: link in the HTML output", page, len,
				        start + 1 + v);
		}
		if (alen == 0 && i < n)
			i++;            /* a stray character: step over it */
	}
}

/* Every '<' starts a tag the renderer wrote (text is escaped). */
static void check_inert(const char *page, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *lt = memchr(page + i, '<', len - i), *gt;
		if (!lt)
			break;
		if (!(gt = memchr(lt, '>', len - (size_t)(lt - page))))
			fz_fail("an unterminated tag in the HTML output", page, len, (size_t)(lt - page));
		if (lt[1] != '!')      /* the doctype and comments */
			check_tag(page, len, (size_t)(lt - page), (size_t)(gt - page));
		i = (size_t)(gt - page) + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_html_renderer *r = NULL;
	gitchat_buf page = GITCHAT_BUF_INIT, md = GITCHAT_BUF_INIT;
	fz_item it;

	fz_init();
	fz_item_make(&it, data, size);
	if (gitchat_html_renderer_new(&r, &page, it.fields[0]) == 0) {
		if (gitchat_html_render_item(&page, r, &it.item) == 0 &&
		    gitchat_html_renderer_finish(&page, r) == 0)
			check_inert(page.ptr, page.size);
		gitchat_html_renderer_free(r);
	}
	if (gitchat_html_render_markdown(&md, it.msg.text, it.msg.text_len) == 0)
		check_inert(md.ptr, md.size);
	gitchat_buf_dispose(&page);
	gitchat_buf_dispose(&md);
	fz_item_free(&it);
	return 0;
}
