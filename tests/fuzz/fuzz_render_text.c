/* The terminal renderer (render/text.c over render/ansi.c) over arbitrary
 * Markdown and names: an item, a rule, Markdown alone. No control
 * character reaches the terminal raw: without colour the output holds no
 * byte below 0x20 but "\n" and no DEL, C1 control, bidi override or
 * isolate; with colour, ESC only starts an SGR sequence ("ESC [ digits;
 * ... m"). The output is UTF-8. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

static void check_terminal(const char *s, size_t len, int color)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t n;
		if (c == 0x1b && color && i + 1 < len && s[i + 1] == '[') {
			for (i += 2; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == ';'); i++)
				;
			if (i >= len || s[i] != 'm')
				fz_fail("an escape sequence that is not SGR", s, len, i);
			i++;
			continue;
		}
		if (c == '\n') {
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			fz_fail("a raw control character in terminal output", s, len, i);
		if (c < 0x80) {
			i++;
			continue;
		}
		n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (c < 0xc2 || c > 0xf4 || i + n > len)
			fz_fail("terminal output that is not UTF-8", s, len, i);
		cp = c & (0x7f >> n);
		for (size_t k = 1; k < n; k++) {
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				fz_fail("terminal output that is not UTF-8", s, len, i);
			cp = cp << 6 | ((unsigned char)s[i + k] & 0x3f);
		}
		if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			fz_fail("a C1 control or bidi control in terminal output", s, len, i);
		i += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_text_options opts = GITCHAT_TEXT_OPTIONS_INIT;
	gitchat_text_renderer *r = NULL;
	gitchat_buf out = GITCHAT_BUF_INIT;
	fz_item it;

	fz_init();
	fz_item_make(&it, data, size);
	opts.width = it.width;
	opts.color = it.color;
	opts.utc = 1;
	if (gitchat_text_renderer_new(&r, &opts) < 0)
		abort();
	gitchat_text_renderer_note_author(r, it.msg.author_name, &it.keys[0]);
	gitchat_text_renderer_note_author(r, it.msg.author_name, &it.keys[1]);
	if (gitchat_text_render_item(&out, r, &it.item) == 0)
		check_terminal(out.ptr, out.size, it.color);
	gitchat_buf_clear(&out);
	if (gitchat_text_render_rule(&out, r, it.fields[1]) == 0)
		check_terminal(out.ptr, out.size, it.color);
	gitchat_buf_clear(&out);
	if (gitchat_text_render_markdown(&out, it.msg.text, it.msg.text_len, it.width ? it.width : 80,
	                                 it.color && it.fields[3][0] ? "> " : "  ", it.color) == 0)
		check_terminal(out.ptr, out.size, it.color);
	gitchat_display_width(it.msg.text, it.msg.text_len);
	gitchat_buf_dispose(&out);
	gitchat_text_renderer_free(r);
	fz_item_free(&it);
	return 0;
}
