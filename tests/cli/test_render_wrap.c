/*
 * Properties of the terminal renderer over many generated Markdown texts
 * (a fixed seed, so a failure replays): every line fits the width counted by
 * display width, and nothing but our own SGR sequences and newlines is a
 * control character: no ESC of the text, no C1 control, no bidi override.
 * Also the display width table on known strings.
 */
#include "testgolden.h"

static const char *const pieces[] = {
	"word", "a", "longerword", "日本語", "😀", "👍🏽", "e\xcc\x81", "שלום", "مرحبا",
	"\x1b[31m", "\a", "\t", "\xc2\x9b", "\xe2\x80\xae", "\x7f", "**bold**", "*it*", "`code`",
	"[link](https://example.org/some/path)", "<https://auto.example>", "<b>x</b>",
	"Donaudampfschifffahrtsgesellschaftskapitaen", "ＦＵＬＬＷＩＤＴＨ", "!", ",",
};
static const char *const starts[] = { "", "", "", "> ", "- ", "1. ", "# ", "    ", "> - " };

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void generate(gitchat_buf *md)
{
	unsigned lines = 1 + rnd(8), l, w;

	gitchat_buf_clear(md);
	for (l = 0; l < lines; l++) {
		unsigned words = rnd(14);
		gitchat_buf_puts(md, starts[rnd(sizeof(starts) / sizeof(starts[0]))]);
		for (w = 0; w < words; w++) {
			gitchat_buf_puts(md, pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))]);
			gitchat_buf_puts(md, rnd(4) ? " " : "");
		}
		gitchat_buf_puts(md, rnd(3) ? "\n" : "\n\n");
	}
	if (rnd(5) == 0)
		gitchat_buf_puts(md, "```\nfenced code with a line that is definitely longer than forty columns\n```\n");
}

/* Removes our SGR sequences (ESC [ digits/; m); fails on any other ESC. */
static void strip_sgr(gitchat_buf *out, const char *s, size_t len, const char *md)
{
	size_t i = 0;

	gitchat_buf_clear(out);
	while (i < len) {
		if (s[i] == '\033') {
			size_t j = i + 1;
			cr_assert(j < len && s[j] == '[', "foreign escape for:\n%s", md);
			for (j++; j < len && ((s[j] >= '0' && s[j] <= '9') || s[j] == ';'); j++)
				;
			cr_assert(j < len && s[j] == 'm', "foreign escape for:\n%s", md);
			i = j + 1;
			continue;
		}
		gitchat_buf_put(out, s + i, 1);
		i++;
	}
}

Test(render_wrap, lines_fit_and_controls_never_pass)
{
	gitchat_buf md = GITCHAT_BUF_INIT, out = GITCHAT_BUF_INIT, plain = GITCHAT_BUF_INIT;
	unsigned iter;

	for (iter = 0; iter < 400; iter++) {
		unsigned width = 40 + rnd(60);
		int color = (int)rnd(2);
		size_t i, start = 0;

		generate(&md);
		gitchat_buf_clear(&out);
		cr_assert_eq(gitchat_text_render_markdown(&out, md.ptr, md.size, width, "  ", color), 0);
		strip_sgr(&plain, out.ptr ? out.ptr : "", out.size, md.ptr);
		for (i = 0; i < plain.size; i++) {
			unsigned char c = (unsigned char)plain.ptr[i];
			cr_assert(c >= 0x20 || c == '\n', "control 0x%02x in output for:\n%s", c, md.ptr);
			cr_assert(c != 0x7f);
			if (c == 0xc2 && i + 1 < plain.size)
				cr_assert((unsigned char)plain.ptr[i + 1] > 0x9f, "C1 control for:\n%s", md.ptr);
		}
		cr_assert(!strstr(plain.ptr ? plain.ptr : "", "\xe2\x80\xae"), "bidi override for:\n%s",
		          md.ptr);
		for (i = 0; i <= plain.size; i++) {
			if (i < plain.size && plain.ptr[i] != '\n')
				continue;
			cr_assert_leq(gitchat_display_width(plain.ptr + start, i - start), width,
			              "line wider than %u: '%.*s'\nfor:\n%s", width, (int)(i - start),
			              plain.ptr + start, md.ptr);
			start = i + 1;
		}
	}
	gitchat_buf_dispose(&md);
	gitchat_buf_dispose(&out);
	gitchat_buf_dispose(&plain);
}

Test(render_wrap, display_width_table)
{
	static const struct { const char *s; size_t w; } cases[] = {
		{ "abc", 3 }, { "日本語", 6 }, { "😀", 2 }, { "👍🏽", 2 }, { "e\xcc\x81", 1 },
		{ "שלום", 4 }, { "ＡＢ", 4 }, { "한국", 4 }, { "\x1b", 2 /* ^[ */ },
		{ "\xe2\x80\xae", 8 /* <U+202E> */ }, { "a\xe2\x80\x8b" "b", 2 /* ZWSP */ },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(gitchat_display_width(cases[i].s, strlen(cases[i].s)), cases[i].w,
		             "width of '%s'", cases[i].s);
}

/* Nesting deeper than the renderer stacks prefixes for: no crash, every
 * line still starts with the message indent, the text is all there. */
Test(render_wrap, deep_nesting)
{
	gitchat_buf md = GITCHAT_BUF_INIT, out = GITCHAT_BUF_INIT;
	int i;

	for (i = 0; i < 200; i++)
		gitchat_buf_puts(&md, i % 2 ? "- " : "> ");
	gitchat_buf_puts(&md, "deep\n\nshallow again\n");
	cr_assert_eq(gitchat_text_render_markdown(&out, md.ptr, md.size, 60, "  ", 0), 0);
	cr_assert(strstr(out.ptr, "deep") && strstr(out.ptr, "\n  shallow again\n"), "%s", out.ptr);
	for (const char *p = out.ptr; *p; p = strchr(p, '\n') + 1) {
		cr_assert(!strncmp(p, "  ", 2) || *p == '\n', "line without the indent: %.20s", p);
		if (!strchr(p, '\n'))
			break;
	}
	gitchat_buf_dispose(&md);
	gitchat_buf_dispose(&out);
}
