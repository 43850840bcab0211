/*
 * The HTML renderer: one self-contained page (inline CSS, no scripts, no
 * remote resources, a Content-Security-Policy that forbids them anyway).
 *
 * Markdown goes through our own walk of cmark's AST rather than
 * cmark_render_html, so that every byte that reaches the page passes one of
 * two doors: html_escape (text and attribute values) or href (link
 * targets, after an allow-list of schemes). Raw HTML is shown as text;
 * images become links, because a page that loads nothing cannot be made to
 * call home.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cmark.h>

#include "gitchat/render.h"
#include "render/ansi.h"
#include "render/width.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/error.h"

struct gitchat_html_renderer {
	int64_t last_day;
	int have_day;
	int open_day;
};

static const char page_head[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	"style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
	"<meta name=\"referrer\" content=\"no-referrer\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";

static const char page_style[] =
	"<style>\n"
	"body{font:15px/1.45 system-ui,sans-serif;max-width:48em;margin:0 auto;padding:1em;"
	"color:#1d1d1f;background:#fff}\n"
	"h1{font-size:1.3em}h2.day{font-size:.85em;color:#666;text-align:center;"
	"border-bottom:1px solid #ddd;margin:1.5em 0 .5em}\n"
	"article.msg{margin:.6em 0;padding:.3em .6em;border-radius:6px}\n"
	"article.msg:target{background:#fff8d6}\n"
	"article.msg header{font-size:.9em;color:#555}\n"
	".author{font-weight:600;color:#1d1d1f}.email,.fp,time{color:#777}\n"
	".fp{font-family:ui-monospace,monospace;font-size:.85em}\n"
	".edited{font-style:italic;color:#777}\n"
	".deleted{font-style:italic;color:#999}\n"
	".reply{border-left:3px solid #ccc;padding-left:.5em;color:#666;font-size:.9em;"
	"white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\n"
	".reply a{color:inherit;text-decoration:none}\n"
	".body{overflow-wrap:anywhere}.body p{margin:.3em 0}\n"
	".body pre{background:#f4f4f4;padding:.5em;overflow-x:auto}\n"
	".body code{font-family:ui-monospace,monospace;background:#f4f4f4}\n"
	".body blockquote{border-left:3px solid #ddd;margin:.3em 0;padding-left:.7em;color:#555}\n"
	".raw{white-space:pre-wrap;font-family:ui-monospace,monospace;color:#777}\n"
	".removed{color:#999;font-size:.85em}\n"
	"ul.reactions{list-style:none;padding:0;margin:.2em 0}\n"
	"ul.files{margin:.2em 0;padding-left:1.2em}\nul.files .size{color:#777}\n"
	"ul.reactions li{display:inline-block;border:1px solid #ddd;border-radius:1em;"
	"padding:0 .5em;margin-right:.3em;font-size:.9em}\n"
	"footer{margin-top:2em;font-size:.8em;color:#888}\n"
	"</style>\n";

int gitchat_html_escape(gitchat_buf *out, const char *s, size_t len)
{
	size_t i = 0, start = 0;
	uint32_t cp;

	while (i < len) {
		size_t n = gitchat_utf8_decode(&cp, s + i, len - i);
		const char *e = NULL;
		switch (cp) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		case '\n': case '\t': break;
		default:
			/* Controls (and bytes that are not UTF-8) would be parse errors. */
			if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || GITCHAT_UTF8_BAD(cp, n))
				e = "\xef\xbf\xbd";
		}
		if (e) {
			if (gitchat_buf_put(out, s + start, i - start) < 0 || gitchat_buf_puts(out, e) < 0)
				return GITCHAT_ENOMEM;
			start = i + n;
		}
		i += n;
	}
	return gitchat_buf_put(out, s + start, len - start);
}

static int esc(gitchat_buf *out, const char *s)
{
	return gitchat_html_escape(out, s ? s : "", s ? strlen(s) : 0);
}

/* http:, https:, mailto: or no scheme at all (relative, #fragment). A
 * "scheme" with anything but letters, digits, + - . (a tab in "java\tscript:")
 * is refused too, since browsers drop such characters before they look. */
static int url_allowed(const char *url)
{
	static const char *allowed[] = { "http", "https", "mailto" };
	size_t i, n;

	for (n = 0; url[n] && url[n] != ':'; n++)
		if (url[n] == '/' || url[n] == '?' || url[n] == '#')
			return 1;
	if (!url[n])
		return 1;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = url[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (i && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
			return 0;
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strlen(allowed[i]) == n && !strncasecmp(url, allowed[i], n))
			return 1;
	return 0;
}

/* A link target inside a double-quoted attribute: every byte that could
 * end the attribute, start a character reference or confuse a URL parser
 * is percent-encoded or escaped. */
static int href(gitchat_buf *out, const char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)url; *p; p++) {
		int error;
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"'<>`\\", *p))
			error = gitchat_buf_printf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
		else if (*p == '&')
			error = gitchat_buf_puts(out, "&amp;");
		else
			error = gitchat_buf_putc(out, (char)*p);
		if (error < 0)
			return GITCHAT_ENOMEM;
	}
	return 0;
}

static int tight_paragraph(cmark_node *node)
{
	cmark_node *item = cmark_node_parent(node);
	return item && cmark_node_get_type(item) == CMARK_NODE_ITEM &&
	       cmark_node_get_list_tight(cmark_node_parent(item));
}

/* Which links were refused, so that their closing tag matches. */
#define MAX_LINK_DEPTH 64

int gitchat_html_render_markdown(gitchat_buf *out, const char *md, size_t len)
{
	cmark_node *doc = cmark_parse_document(md, len, CMARK_OPT_DEFAULT);
	cmark_iter *it;
	cmark_event_type ev;
	int error = 0, link_depth = 0;
	unsigned char refused[MAX_LINK_DEPTH];
	gitchat_buf *b = out;

	if (!doc)
		return gitchat_error_oom();
	if (!(it = cmark_iter_new(doc))) {
		cmark_node_free(doc);
		return gitchat_error_oom();
	}
	while (!error && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		int enter = ev == CMARK_EVENT_ENTER;
		const char *lit = cmark_node_get_literal(node);

		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_DOCUMENT:
			break;
		case CMARK_NODE_BLOCK_QUOTE:
			error = gitchat_buf_puts(b, enter ? "<blockquote>\n" : "</blockquote>\n");
			break;
		case CMARK_NODE_LIST: {
			int ordered = cmark_node_get_list_type(node) == CMARK_ORDERED_LIST;
			int start = cmark_node_get_list_start(node);
			if (!enter)
				error = gitchat_buf_puts(b, ordered ? "</ol>\n" : "</ul>\n");
			else if (ordered && start != 1)
				error = gitchat_buf_printf(b, "<ol start=\"%d\">\n", start);
			else
				error = gitchat_buf_puts(b, ordered ? "<ol>\n" : "<ul>\n");
			break;
		}
		case CMARK_NODE_ITEM:
			error = gitchat_buf_puts(b, enter ? "<li>" : "</li>\n");
			break;
		case CMARK_NODE_PARAGRAPH:
			if (!tight_paragraph(node))
				error = gitchat_buf_puts(b, enter ? "<p>" : "</p>\n");
			break;
		case CMARK_NODE_HEADING: {
			/* The page has h1 and h2; a message's headings sit below. */
			int level = cmark_node_get_heading_level(node) + 2;
			error = gitchat_buf_printf(b, enter ? "<h%d>" : "</h%d>\n", level > 6 ? 6 : level);
			break;
		}
		case CMARK_NODE_CODE_BLOCK:
			if ((error = gitchat_buf_puts(b, "<pre><code>")) == 0 && (error = esc(b, lit)) == 0)
				error = gitchat_buf_puts(b, "</code></pre>\n");
			break;
		case CMARK_NODE_HTML_BLOCK:
			if ((error = gitchat_buf_puts(b, "<div class=\"raw\">")) == 0 &&
			    (error = esc(b, lit)) == 0)
				error = gitchat_buf_puts(b, "</div>\n");
			break;
		case CMARK_NODE_THEMATIC_BREAK:
			error = gitchat_buf_puts(b, "<hr>\n");
			break;
		case CMARK_NODE_TEXT:
			error = esc(b, lit);
			break;
		case CMARK_NODE_SOFTBREAK:
			error = gitchat_buf_putc(b, '\n');
			break;
		case CMARK_NODE_LINEBREAK:
			error = gitchat_buf_puts(b, "<br>\n");
			break;
		case CMARK_NODE_CODE:
			if ((error = gitchat_buf_puts(b, "<code>")) == 0 && (error = esc(b, lit)) == 0)
				error = gitchat_buf_puts(b, "</code>");
			break;
		case CMARK_NODE_HTML_INLINE:
			if ((error = gitchat_buf_puts(b, "<span class=\"raw\">")) == 0 &&
			    (error = esc(b, lit)) == 0)
				error = gitchat_buf_puts(b, "</span>");
			break;
		case CMARK_NODE_EMPH:
			error = gitchat_buf_puts(b, enter ? "<em>" : "</em>");
			break;
		case CMARK_NODE_STRONG:
			error = gitchat_buf_puts(b, enter ? "<strong>" : "</strong>");
			break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE: {
			const char *url = cmark_node_get_url(node), *title = cmark_node_get_title(node);
			int image = cmark_node_get_type(node) == CMARK_NODE_IMAGE;
			int ok = url && url_allowed(url) && (!image || !strncasecmp(url, "http", 4));
			if (enter) {
				if (link_depth < MAX_LINK_DEPTH)
					refused[link_depth] = (unsigned char)!ok;
				link_depth++;
				if (!ok) {
					error = image ? gitchat_buf_puts(b, "<span class=\"removed\">[image]</span> ")
					              : 0;
					break;
				}
				if ((error = gitchat_buf_puts(b, "<a href=\"")) == 0 && (error = href(b, url)) == 0 &&
				    (!title || !*title || (error = gitchat_buf_puts(b, "\" title=\"")) == 0) &&
				    (!title || !*title || (error = esc(b, title)) == 0))
					error = gitchat_buf_puts(b, "\" rel=\"nofollow noopener noreferrer\">");
				if (!error && image)
					error = gitchat_buf_puts(b, "[image] ");
			} else {
				link_depth--;
				ok = link_depth < MAX_LINK_DEPTH ? !refused[link_depth] : ok;
				if (ok)
					error = gitchat_buf_puts(b, "</a>");
				else if (!image)
					error = gitchat_buf_puts(b, " <span class=\"removed\">(link removed)</span>");
			}
			break;
		}
		default:
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	return error < 0 ? gitchat_error_oom() : 0;
}

int gitchat_html_renderer_new(gitchat_html_renderer **out, gitchat_buf *page, const char *room)
{
	gitchat_html_renderer *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return gitchat_error_oom();
	if (gitchat_buf_puts(page, page_head) < 0 || gitchat_buf_puts(page, "<title>") < 0 ||
	    esc(page, room) < 0 || gitchat_buf_puts(page, " — git chat</title>\n") < 0 ||
	    gitchat_buf_puts(page, page_style) < 0 ||
	    gitchat_buf_puts(page, "</head>\n<body>\n<h1>Room ") < 0 || esc(page, room) < 0 ||
	    gitchat_buf_puts(page, "</h1>\n") < 0) {
		free(r);
		return gitchat_error_oom();
	}
	*out = r;
	return 0;
}

static int day_heading(gitchat_buf *page, const struct tm *tm)
{
	static const char *days[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
	                              "Friday", "Saturday" };
	static const char *months[] = { "January", "February", "March", "April", "May", "June",
	                                "July", "August", "September", "October", "November",
	                                "December" };
	return gitchat_buf_printf(page, "<h2 class=\"day\">%s %d %s %d</h2>\n",
	                          days[tm->tm_wday % 7], tm->tm_mday, months[tm->tm_mon % 12],
	                          tm->tm_year + 1900);
}

static int item_header(gitchat_buf *page, const gitchat_view_item *it, const struct tm *tm)
{
	const gitchat_message *m = it->msg;
	const gitchat_pubkey *who = it->name ? &it->person : &m->key;
	char hex[GIT_OID_HEXSZ + 1], key[GITCHAT_PUBKEY_HEXSIZE], fp[GITCHAT_FINGERPRINT_SIZE];

	git_oid_tostr(hex, sizeof(hex), &m->id);
	gitchat_pubkey_hex(key, who);
	gitchat_pubkey_fingerprint(fp, who);
	if (gitchat_buf_printf(page, "<article class=\"msg\" id=\"m-%s\">\n<header>"
	                       "<time datetime=\"", hex) < 0 ||
	    gitchat_time_format_rfc3339(page, m->time) < 0 ||
	    gitchat_buf_printf(page, "\">%02d:%02d</time> <span class=\"author\"><bdi>",
	                       tm->tm_hour, tm->tm_min) < 0 ||
	    esc(page, it->name ? it->name : m->author_name) < 0 ||
	    gitchat_buf_puts(page, "</bdi></span> <span class=\"email\">&lt;<bdi>") < 0 ||
	    esc(page, m->author_email) < 0 ||
	    gitchat_buf_printf(page, "</bdi>&gt;</span> <span class=\"fp\" title=\"%s\">%.*s</span>",
	                       key, it->name_shared ? 23 : 15, fp) < 0)
		return GITCHAT_ENOMEM;
	if (it->edited && !it->redacted &&
	    gitchat_buf_puts(page, " <span class=\"edited\">(edited)</span>") < 0)
		return GITCHAT_ENOMEM;
	return gitchat_buf_puts(page, "</header>\n");
}

static int reply_quote(gitchat_buf *page, const gitchat_view_item *it)
{
	char hex[GIT_OID_HEXSZ + 1];
	gitchat_buf plain = GITCHAT_BUF_INIT;
	int error = GITCHAT_ENOMEM;

	if (it->reply_redacted ? gitchat_buf_puts(&plain, "message deleted") < 0
	                       : gitchat_markdown_plain(&plain, it->reply_text,
	                                                strlen(it->reply_text), 200) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &it->msg->reply_to);
	if (gitchat_buf_printf(page, "<div class=\"reply\"><a href=\"#m-%s\">↪ <bdi>", hex) < 0 ||
	    esc(page, it->reply_name) < 0 || gitchat_buf_puts(page, "</bdi>: <bdi>") < 0 ||
	    esc(page, plain.ptr) < 0 || gitchat_buf_puts(page, "</bdi></a></div>\n") < 0)
		goto done;
	error = 0;
done:
	gitchat_buf_dispose(&plain);
	return error;
}

static int reactions(gitchat_buf *page, const gitchat_view_item *it)
{
	char fp[GITCHAT_FINGERPRINT_SIZE];
	size_t i, k;

	if (!it->reaction_count)
		return 0;
	if (gitchat_buf_puts(page, "<ul class=\"reactions\">") < 0)
		return GITCHAT_ENOMEM;
	for (i = 0; i < it->reaction_count; i++) {
		const gitchat_reaction *r = &it->reactions[i];
		if (gitchat_buf_puts(page, "<li title=\"") < 0)
			return GITCHAT_ENOMEM;
		for (k = 0; k < r->count; k++) {
			gitchat_pubkey_fingerprint(fp, &r->keys[k]);
			if (gitchat_buf_printf(page, "%s%s", k ? " " : "", fp) < 0)
				return GITCHAT_ENOMEM;
		}
		if (gitchat_buf_puts(page, "\">") < 0 || esc(page, r->emoji) < 0 ||
		    gitchat_buf_printf(page, " %zu</li>", r->count) < 0)
			return GITCHAT_ENOMEM;
	}
	return gitchat_buf_puts(page, "</ul>\n");
}

/* A relative path as a URL: every byte but the unreserved ones and '/'
 * percent-encoded, so that no name can become a scheme, a query or markup. */
static int url_path(gitchat_buf *out, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		           (*p >= '0' && *p <= '9') || strchr("-._~/", *p);
		if ((keep ? gitchat_buf_putc(out, (char)*p)
		          : gitchat_buf_printf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15])) < 0)
			return GITCHAT_ENOMEM;
	}
	return 0;
}

/* The attachments: name (a link when `paths` gives one) and size. */
static int files_list(gitchat_buf *page, const gitchat_message *m, const char *const *paths)
{
	char size[32];

	if (!m->file_count)
		return 0;
	if (gitchat_buf_puts(page, "<ul class=\"files\">") < 0)
		return GITCHAT_ENOMEM;
	for (size_t i = 0; i < m->file_count; i++) {
		int link = paths && paths[i] && paths[i][0] != '/';
		gitchat_size_format(size, m->files[i].size);
		if (gitchat_buf_puts(page, "<li>") < 0 ||
		    (link && (gitchat_buf_puts(page, "<a href=\"") < 0 ||
		              url_path(page, paths[i]) < 0 || gitchat_buf_puts(page, "\">") < 0)) ||
		    esc(page, m->files[i].name) < 0 || (link && gitchat_buf_puts(page, "</a>") < 0) ||
		    gitchat_buf_printf(page, " <span class=\"size\">(%s)</span></li>", size) < 0)
			return GITCHAT_ENOMEM;
	}
	return gitchat_buf_puts(page, "</ul>\n");
}

int gitchat_html_render_item(gitchat_buf *page, gitchat_html_renderer *r,
                             const gitchat_view_item *it)
{
	return gitchat_html_render_item_files(page, r, it, NULL);
}

int gitchat_html_render_item_files(gitchat_buf *page, gitchat_html_renderer *r,
                                   const gitchat_view_item *it, const char *const *paths)
{
	struct tm tm;
	int64_t day;
	int error;

	gitchat_time_split(&tm, it->msg->time, 0);
	day = gitchat_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	                              (unsigned)tm.tm_mday);
	if ((!r->have_day || day != r->last_day) && day_heading(page, &tm) < 0)
		return gitchat_error_oom();
	r->have_day = 1;
	r->last_day = day;
	if (item_header(page, it, &tm) < 0 || (it->has_reply && reply_quote(page, it) < 0))
		return gitchat_error_oom();
	if (it->redacted) {
		if (gitchat_buf_puts(page, "<div class=\"body deleted\">message deleted</div>\n") < 0)
			return gitchat_error_oom();
	} else {
		if (gitchat_buf_puts(page, "<div class=\"body\" dir=\"auto\">\n") < 0)
			return gitchat_error_oom();
		if ((error = gitchat_html_render_markdown(page, it->text, it->text_len)) < 0)
			return error;
		if (gitchat_buf_puts(page, "</div>\n") < 0 || files_list(page, it->msg, paths) < 0)
			return gitchat_error_oom();
	}
	if (reactions(page, it) < 0 || gitchat_buf_puts(page, "</article>\n") < 0)
		return gitchat_error_oom();
	return 0;
}

int gitchat_html_renderer_finish(gitchat_buf *page, gitchat_html_renderer *r)
{
	(void)r;
	if (gitchat_buf_puts(page, "<footer>Exported by git-chat. Times are UTC. Every "
	                     "message is a signed git commit; check them with "
	                     "<code>git chat verify</code>.</footer>\n</body>\n</html>\n") < 0)
		return gitchat_error_oom();
	return 0;
}

void gitchat_html_renderer_free(gitchat_html_renderer *r)
{
	free(r);
}
