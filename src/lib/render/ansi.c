/*
 * CommonMark to terminal text: cmark's AST walked with its iterator, one
 * switch on the node type, into a writer that wraps words to the width
 * (by display width), keeps the prefixes of quotes and list items on every
 * line, and turns ANSI styles off at each line end so that nothing bleeds
 * into the next line or into the next program's output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmark.h>

#include "gitchat/render.h"
#include "render/ansi.h"
#include "render/width.h"
#include "util/buf.h"
#include "util/error.h"

#define MAX_DEPTH 32
#define MIN_AVAIL 16

typedef struct {
	char first[48], rest[48];
	unsigned style;
	int used;
} prefix;

typedef struct {
	gitchat_buf *out;
	int color;
	unsigned width;
	prefix stack[MAX_DEPTH];
	int depth;
	int overflow;            /* pushes beyond MAX_DEPTH, not stacked */
	gitchat_buf line, word;
	unsigned col, word_w;
	unsigned style;          /* the style of what is appended now */
	unsigned word_style;     /* style at the end of `word` */
	unsigned word_start;     /* style at the start of `word` */
	unsigned line_style;     /* style at the end of `line` */
	int line_has, word_has, space;
	int verbatim;            /* code: spaces are characters, no word breaks */
	int blank_pending, emitted;
	int error;
} writer;

int gitchat_ansi_sgr(gitchat_buf *out, unsigned style)
{
	if (gitchat_buf_puts(out, "\033[0") < 0)
		return GITCHAT_ENOMEM;
	if ((style & GITCHAT_STYLE_BOLD) && gitchat_buf_puts(out, ";1") < 0) return GITCHAT_ENOMEM;
	if ((style & GITCHAT_STYLE_DIM) && gitchat_buf_puts(out, ";2") < 0) return GITCHAT_ENOMEM;
	if ((style & GITCHAT_STYLE_ITALIC) && gitchat_buf_puts(out, ";3") < 0) return GITCHAT_ENOMEM;
	if ((style & GITCHAT_STYLE_UNDERLINE) && gitchat_buf_puts(out, ";4") < 0) return GITCHAT_ENOMEM;
	if ((style & GITCHAT_STYLE_REVERSE) && gitchat_buf_puts(out, ";7") < 0) return GITCHAT_ENOMEM;
	if ((style & GITCHAT_STYLE_CODE) && gitchat_buf_puts(out, ";36") < 0) return GITCHAT_ENOMEM;
	else if ((style & GITCHAT_STYLE_LINK) && gitchat_buf_puts(out, ";34") < 0) return GITCHAT_ENOMEM;
	else if (GITCHAT_STYLE_COLOR_OF(style) &&
	         gitchat_buf_printf(out, ";%u", 30 + GITCHAT_STYLE_COLOR_OF(style)) < 0)
		return GITCHAT_ENOMEM;
	return gitchat_buf_putc(out, 'm');
}

int gitchat_ansi_put_safe(gitchat_buf *out, const char *s, size_t len, int color, unsigned style,
                          size_t *width)
{
	size_t i = 0, start = 0, w = 0;
	uint32_t cp;
	char esc[12];

	while (i < len) {
		size_t n = gitchat_utf8_decode(&cp, s + i, len - i);
		if (!gitchat_cp_unsafe(cp) && !GITCHAT_UTF8_BAD(cp, n)) {
			w += (size_t)gitchat_cp_width(cp);
			i += n;
			continue;
		}
		if (gitchat_buf_put(out, s + start, i - start) < 0)
			return GITCHAT_ENOMEM;
		gitchat_cp_escape(esc, cp);
		w += strlen(esc);
		if (color && gitchat_ansi_sgr(out, style | GITCHAT_STYLE_REVERSE) < 0)
			return GITCHAT_ENOMEM;
		if (gitchat_buf_puts(out, esc) < 0 || (color && gitchat_ansi_sgr(out, style) < 0))
			return GITCHAT_ENOMEM;
		i += n;
		start = i;
	}
	if (width)
		*width = w;
	return gitchat_buf_put(out, s + start, len - start);
}

static unsigned prefix_width(const writer *w, int first_line)
{
	unsigned total = 0;
	for (int i = 0; i < w->depth; i++) {
		const prefix *p = &w->stack[i];
		const char *s = (!p->used && first_line) ? p->first : p->rest;
		total += (unsigned)gitchat_display_width(s, strlen(s));
	}
	return total;
}

static unsigned avail(const writer *w, int first_line)
{
	unsigned pw = prefix_width(w, first_line);
	return w->width > pw + MIN_AVAIL ? w->width - pw : MIN_AVAIL;
}

static void put(writer *w, gitchat_buf *b, const char *s, size_t n)
{
	if (!w->error && gitchat_buf_put(b, s, n) < 0)
		w->error = GITCHAT_ENOMEM;
}

static void sgr(writer *w, gitchat_buf *b, unsigned style)
{
	if (w->color && !w->error && gitchat_ansi_sgr(b, style) < 0)
		w->error = GITCHAT_ENOMEM;
}

/* Writes the prefix and the line, ends styles, then the newline. Trailing
 * blanks of an empty line's prefix are dropped. */
static void emit_line(writer *w, int blank)
{
	gitchat_buf pre = GITCHAT_BUF_INIT;
	int i;

	for (i = 0; i < w->depth; i++) {
		prefix *p = &w->stack[i];
		/* A blank line between blocks does not use up a list bullet. */
		const char *s = (p->used || blank) ? p->rest : p->first;
		if (p->style && *s)
			sgr(w, &pre, p->style);
		put(w, &pre, s, strlen(s));
		if (p->style && *s)
			sgr(w, &pre, 0);
		if (!blank)
			p->used = 1;
	}
	if (blank) {
		/* Keep the quote bars, drop the blanks after them (and after an
		 * SGR reset that follows them). */
		size_t end = pre.size;
		while (end && pre.ptr[end - 1] == ' ')
			end--;
		pre.size = end;
		if (pre.ptr)
			pre.ptr[end] = '\0';
	}
	put(w, w->out, pre.ptr ? pre.ptr : "", pre.size);
	put(w, w->out, w->line.ptr ? w->line.ptr : "", w->line.size);
	if (w->line_style)
		sgr(w, w->out, 0);
	put(w, w->out, "\n", 1);
	gitchat_buf_dispose(&pre);
	gitchat_buf_clear(&w->line);
	w->col = 0;
	w->line_has = 0;
	w->line_style = 0;
	w->emitted = 1;
}

/* Places the pending word on the line, breaking the line first when it
 * does not fit. */
static void flush_word(writer *w)
{
	unsigned room;

	if (!w->word_has)
		return;
	room = avail(w, !w->line_has);
	if (w->line_has && w->col + (w->space ? 1 : 0) + w->word_w > room) {
		emit_line(w, 0);
		w->space = 0;
	}
	if (w->line_has && w->space) {
		/* The blank between two words carries only the styles they share,
		 * so that no underline or colour runs past the end of a word. */
		unsigned common = w->line_style & w->word_start;
		if (common != w->line_style) {
			sgr(w, &w->line, common);
			w->line_style = common;
		}
		put(w, &w->line, " ", 1);
		w->col++;
	}
	if (w->word_start != w->line_style)
		sgr(w, &w->line, w->word_start);
	put(w, &w->line, w->word.ptr, w->word.size);
	w->col += w->word_w;
	w->line_style = w->word_style;
	w->line_has = 1;
	gitchat_buf_clear(&w->word);
	w->word_w = 0;
	w->word_has = 0;
	w->space = 0;
}

static void word_style_sync(writer *w)
{
	if (!w->word_has) {
		w->word_start = w->style;
		w->word_style = w->style;
	} else if (w->word_style != w->style) {
		sgr(w, &w->word, w->style);
		w->word_style = w->style;
	}
}

/* Appends visible text (already escaped or safe) of width cw to the word. */
static void word_add(writer *w, const char *s, size_t n, unsigned cw)
{
	unsigned limit = avail(w, 0);

	/* A word longer than a whole line is cut where the line ends. */
	if (w->word_has && w->word_w + cw > limit) {
		flush_word(w);
		if (w->line_has && !w->verbatim)
			emit_line(w, 0);
	}
	if (w->verbatim && w->line_has && !w->word_has && w->col + cw > avail(w, 0))
		emit_line(w, 0);
	word_style_sync(w);
	put(w, &w->word, s, n);
	w->word_w += cw;
	w->word_has = 1;
}

static void text(writer *w, const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;
	char esc[12];

	while (i < len && !w->error) {
		size_t n = gitchat_utf8_decode(&cp, s + i, len - i);
		if (cp == '\n' && w->verbatim) {
			flush_word(w);
			emit_line(w, 0);
		} else if ((cp == ' ' || cp == '\n' || cp == '\t') && !w->verbatim) {
			flush_word(w);
			if (w->line_has)
				w->space = 1;
		} else if (cp == '\t') {
			unsigned col = w->col + w->word_w, k = 4 - col % 4;
			while (k--)
				word_add(w, " ", 1, 1);
			if (w->verbatim)
				flush_word(w);
		} else if (cp == ' ' && w->verbatim) {
			word_add(w, " ", 1, 1);
			flush_word(w);
		} else if (gitchat_cp_unsafe(cp) || GITCHAT_UTF8_BAD(cp, n)) {
			unsigned saved = w->style;
			gitchat_cp_escape(esc, cp);
			w->style |= GITCHAT_STYLE_REVERSE;
			word_add(w, esc, strlen(esc), (unsigned)strlen(esc));
			w->style = saved;
		} else {
			word_add(w, s + i, n, (unsigned)gitchat_cp_width(cp));
		}
		i += n;
	}
}

static void end_block(writer *w)
{
	flush_word(w);
	if (w->line_has)
		emit_line(w, 0);
	w->blank_pending = 1;
	w->space = 0;
}

/* Blocks of a tight list, and its items, are not set apart by blank lines. */
static int in_tight_list(cmark_node *node)
{
	cmark_node *parent = cmark_node_parent(node);

	if (cmark_node_get_type(node) == CMARK_NODE_ITEM)
		return parent && cmark_node_get_list_tight(parent);
	return parent && cmark_node_get_type(parent) == CMARK_NODE_ITEM &&
	       cmark_node_get_list_tight(cmark_node_parent(parent));
}

static void start_block(writer *w, cmark_node *node)
{
	if (w->emitted && w->blank_pending && !in_tight_list(node))
		emit_line(w, 1);
	w->blank_pending = 0;
}

static void push(writer *w, const char *first, const char *rest, unsigned style)
{
	prefix *p;

	if (w->depth == MAX_DEPTH) {
		/* Deeper nesting shares the innermost prefix. */
		w->overflow++;
		return;
	}
	p = &w->stack[w->depth++];
	snprintf(p->first, sizeof(p->first), "%s", first);
	snprintf(p->rest, sizeof(p->rest), "%s", rest);
	p->style = style;
	p->used = 0;
}

static void pop(writer *w)
{
	if (w->overflow)
		w->overflow--;
	else if (w->depth > 1)
		w->depth--;
}

static void plain_text_of(gitchat_buf *b, cmark_node *node)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		const char *lit;
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT: case CMARK_NODE_CODE: case CMARK_NODE_HTML_INLINE:
			if ((lit = cmark_node_get_literal(n)) != NULL)
				gitchat_buf_puts(b, lit);
			break;
		case CMARK_NODE_SOFTBREAK: case CMARK_NODE_LINEBREAK:
			gitchat_buf_putc(b, ' ');
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

/* " <url>" after a link, unless the text already is the url (autolinks). */
static void link_target(writer *w, cmark_node *node, int image)
{
	const char *url = cmark_node_get_url(node);
	gitchat_buf label = GITCHAT_BUF_INIT;
	unsigned saved = w->style;

	if (!url || !*url)
		return;
	plain_text_of(&label, node);
	if (!image && label.ptr && (!strcmp(label.ptr, url) ||
	    (!strncmp(url, "mailto:", 7) && !strcmp(label.ptr, url + 7)))) {
		gitchat_buf_dispose(&label);
		return;
	}
	gitchat_buf_dispose(&label);
	flush_word(w);
	if (w->line_has)
		w->space = 1;
	w->style = (saved & ~(unsigned)(GITCHAT_STYLE_LINK | GITCHAT_STYLE_UNDERLINE)) |
	           GITCHAT_STYLE_DIM;
	text(w, "<", 1);
	/* A url has no spaces (cmark percent-encodes none, but it refuses them
	 * unless in <>), so it stays one word, cut only if longer than a line. */
	w->verbatim++;
	text(w, url, strlen(url));
	w->verbatim--;
	text(w, ">", 1);
	w->style = saved;
}

static void item_bullet(char *out, size_t size, cmark_node *item)
{
	cmark_node *list = cmark_node_parent(item), *n;
	int k = 0;

	if (cmark_node_get_list_type(list) != CMARK_ORDERED_LIST) {
		snprintf(out, size, "• ");
		return;
	}
	for (n = cmark_node_first_child(list); n && n != item; n = cmark_node_next(n))
		k++;
	snprintf(out, size, "%d%c ", cmark_node_get_list_start(list) + k,
	         cmark_node_get_list_delim(list) == CMARK_PAREN_DELIM ? ')' : '.');
}

static void verbatim_block(writer *w, const char *lit, unsigned style)
{
	size_t len = lit ? strlen(lit) : 0;
	unsigned saved = w->style;

	/* cmark ends the literal with a newline; one line per source line. */
	if (len && lit[len - 1] == '\n')
		len--;
	w->style = style;
	w->verbatim++;
	text(w, lit ? lit : "", len);
	w->verbatim--;
	flush_word(w);
	emit_line(w, 0);
	w->style = saved;
	w->blank_pending = 1;
}

static void walk(writer *w, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	char bullet[32], spaces[32];

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && !w->error) {
		cmark_node *node = cmark_iter_get_node(it);
		int enter = ev == CMARK_EVENT_ENTER;
		const char *lit = cmark_node_get_literal(node);

		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_DOCUMENT:
			break;
		case CMARK_NODE_BLOCK_QUOTE:
			if (enter) {
				start_block(w, node);
				push(w, "│ ", "│ ", GITCHAT_STYLE_DIM);
			} else {
				end_block(w);
				pop(w);
			}
			break;
		case CMARK_NODE_LIST:
			if (enter)
				start_block(w, node);
			else
				end_block(w);
			break;
		case CMARK_NODE_ITEM:
			if (enter) {
				size_t n;
				start_block(w, node);
				item_bullet(bullet, sizeof(bullet), node);
				n = gitchat_display_width(bullet, strlen(bullet));
				memset(spaces, ' ', n);
				spaces[n] = '\0';
				push(w, bullet, spaces, 0);
			} else {
				end_block(w);
				pop(w);
			}
			break;
		case CMARK_NODE_PARAGRAPH:
			if (enter)
				start_block(w, node);
			else
				end_block(w);
			break;
		case CMARK_NODE_HEADING:
			if (enter) {
				int level = cmark_node_get_heading_level(node);
				start_block(w, node);
				w->style |= GITCHAT_STYLE_BOLD | (level == 1 ? GITCHAT_STYLE_UNDERLINE : 0);
				for (int i = 0; i < level; i++)
					text(w, "#", 1);
				w->space = 1;
				flush_word(w);
				w->space = 1;
			} else {
				w->style &= ~(unsigned)(GITCHAT_STYLE_BOLD | GITCHAT_STYLE_UNDERLINE);
				end_block(w);
			}
			break;
		case CMARK_NODE_CODE_BLOCK:
			start_block(w, node);
			push(w, "    ", "    ", 0);
			verbatim_block(w, lit, w->style | GITCHAT_STYLE_CODE);
			pop(w);
			break;
		case CMARK_NODE_HTML_BLOCK:
			/* A terminal is not a browser: raw HTML is shown as the text it is. */
			start_block(w, node);
			verbatim_block(w, lit, w->style | GITCHAT_STYLE_DIM);
			break;
		case CMARK_NODE_THEMATIC_BREAK: {
			unsigned n = avail(w, 1), i;
			start_block(w, node);
			w->style |= GITCHAT_STYLE_DIM;
			w->verbatim++;
			for (i = 0; i < n && i < 40; i++)
				text(w, "─", strlen("─"));
			w->verbatim--;
			w->style &= ~(unsigned)GITCHAT_STYLE_DIM;
			end_block(w);
			break;
		}
		case CMARK_NODE_TEXT:
			text(w, lit ? lit : "", lit ? strlen(lit) : 0);
			break;
		case CMARK_NODE_SOFTBREAK:
			flush_word(w);
			if (w->line_has)
				w->space = 1;
			break;
		case CMARK_NODE_LINEBREAK:
			flush_word(w);
			emit_line(w, 0);
			break;
		case CMARK_NODE_CODE: {
			unsigned saved = w->style;
			w->style |= GITCHAT_STYLE_CODE;
			text(w, "`", 1);
			text(w, lit ? lit : "", lit ? strlen(lit) : 0);
			text(w, "`", 1);
			w->style = saved;
			break;
		}
		case CMARK_NODE_HTML_INLINE: {
			unsigned saved = w->style;
			w->style |= GITCHAT_STYLE_DIM;
			text(w, lit ? lit : "", lit ? strlen(lit) : 0);
			w->style = saved;
			break;
		}
		case CMARK_NODE_EMPH:
			if (enter) w->style |= GITCHAT_STYLE_ITALIC;
			else w->style &= ~(unsigned)GITCHAT_STYLE_ITALIC;
			break;
		case CMARK_NODE_STRONG:
			if (enter) w->style |= GITCHAT_STYLE_BOLD;
			else w->style &= ~(unsigned)GITCHAT_STYLE_BOLD;
			break;
		case CMARK_NODE_LINK:
			if (enter) {
				w->style |= GITCHAT_STYLE_LINK | GITCHAT_STYLE_UNDERLINE;
			} else {
				w->style &= ~(unsigned)(GITCHAT_STYLE_LINK | GITCHAT_STYLE_UNDERLINE);
				link_target(w, node, 0);
			}
			break;
		case CMARK_NODE_IMAGE:
			if (enter) {
				text(w, "[image:", 7);
				flush_word(w);
				w->space = 1;
			} else {
				text(w, "]", 1);
				link_target(w, node, 1);
			}
			break;
		default:
			/* Custom nodes do not come out of the parser. */
			break;
		}
	}
	cmark_iter_free(it);
}

int gitchat_markdown_plain(gitchat_buf *out, const char *md, size_t len, size_t max)
{
	cmark_node *doc = cmark_parse_document(md, len, CMARK_OPT_DEFAULT);
	cmark_iter *it;
	cmark_event_type ev;
	size_t start = out->size;
	int error = 0, space = 0;

	if (!doc || !(it = cmark_iter_new(doc))) {
		cmark_node_free(doc);
		return gitchat_error_oom();
	}
	while (!error && out->size - start < max && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		const char *lit = cmark_node_get_literal(n), *p;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT: case CMARK_NODE_CODE: case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_CODE_BLOCK: case CMARK_NODE_HTML_BLOCK:
			/* Newlines and runs of blanks become one space: it is one line. */
			for (p = lit ? lit : ""; *p && !error; p++) {
				if (*p == '\n' || *p == ' ' || *p == '\t' || *p == '\r') {
					space = out->size > start;
					continue;
				}
				if (space)
					error = gitchat_buf_putc(out, ' ');
				space = 0;
				if (!error)
					error = gitchat_buf_putc(out, *p);
			}
			break;
		case CMARK_NODE_SOFTBREAK: case CMARK_NODE_LINEBREAK:
			space = out->size > start;
			break;
		default:
			/* Between blocks, one space; inline markup adds none. */
			if (ev == CMARK_EVENT_EXIT && cmark_node_get_type(n) <= CMARK_NODE_LAST_BLOCK)
				space = out->size > start;
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	return error < 0 ? gitchat_error_oom() : 0;
}

int gitchat_render_markdown_text(gitchat_buf *out, const char *md, size_t len,
                                 unsigned width, const char *indent, int color)
{
	cmark_node *doc;
	writer w;
	int error;

	memset(&w, 0, sizeof(w));
	w.out = out;
	w.color = color;
	w.width = width ? width : 80;
	push(&w, indent ? indent : "", indent ? indent : "", 0);
	if (!(doc = cmark_parse_document(md, len, CMARK_OPT_DEFAULT)))
		return gitchat_error_oom();
	walk(&w, doc);
	flush_word(&w);
	if (w.line_has)
		emit_line(&w, 0);
	cmark_node_free(doc);
	error = w.error;
	gitchat_buf_dispose(&w.line);
	gitchat_buf_dispose(&w.word);
	return error ? gitchat_error_oom() : 0;
}
