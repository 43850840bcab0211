/*
 * HTML safety, proven by parsing: hostile names, emails, texts and
 * reactions go through `git chat export`, and the page is tokenized the way
 * a browser's HTML tokenizer does (data, tags, attributes quoted or not,
 * comments, raw text of <style>, RCDATA of <title>, character references).
 * Then: only known elements and attributes exist, no event handler, no
 * script, no image or other resource, every href is http(s), mailto or
 * relative, and the hostile strings are all there — as text.
 */
#include <ctype.h>
#include "testgolden.h"

#define ROOM "attack"

typedef struct {
	char name[32];
	char value[2048];
} attr;

typedef struct {
	int end;                 /* </name> */
	char name[32];
	attr attrs[16];
	int nattrs;
} tag;

typedef struct {
	tag *tags;
	size_t ntags;
	gitchat_buf text;        /* all character data, references decoded */
} parsed;

/* Decodes the references our escaper emits and a browser would decode. */
static void decode_into(gitchat_buf *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (s[i] == '&') {
			static const struct { const char *ent; const char *val; } named[] = {
				{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
				{ "&#39;", "'" }, { "&apos;", "'" }
			};
			size_t k;
			for (k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
				size_t n = strlen(named[k].ent);
				if (i + n <= len && !strncmp(s + i, named[k].ent, n)) {
					gitchat_buf_puts(out, named[k].val);
					i += n;
					break;
				}
			}
			if (k < sizeof(named) / sizeof(named[0]))
				continue;
			/* Any other reference would be ours to explain: keep it visible. */
		}
		gitchat_buf_put(out, s + i, 1);
		i++;
	}
}

static void add_tag(parsed *p, const tag *t)
{
	p->tags = realloc(p->tags, (p->ntags + 1) * sizeof(tag));
	p->tags[p->ntags++] = *t;
}

/* A tokenizer after the HTML standard's states, enough for any page: what
 * it calls a tag, a browser calls a tag. */
static void tokenize(parsed *p, const char *s, size_t len)
{
	size_t i = 0;

	memset(p, 0, sizeof(*p));
	while (i < len) {
		if (s[i] != '<') {
			size_t j = i;
			while (j < len && s[j] != '<')
				j++;
			decode_into(&p->text, s + i, j - i);
			i = j;
			continue;
		}
		if (i + 4 <= len && !strncmp(s + i, "<!--", 4)) {
			const char *e = strstr(s + i + 4, "-->");
			cr_assert(e != NULL, "unterminated comment");
			i = (size_t)(e - s) + 3;
			continue;
		}
		if (i + 1 < len && (s[i + 1] == '!' || s[i + 1] == '?')) {
			const char *e = memchr(s + i, '>', len - i);
			cr_assert(e != NULL);
			i = (size_t)(e - s) + 1;
			continue;
		}
		{
			tag t;
			size_t j = i + 1, n = 0;
			memset(&t, 0, sizeof(t));
			if (j < len && s[j] == '/') {
				t.end = 1;
				j++;
			}
			if (j >= len || !isalpha((unsigned char)s[j])) {
				/* Not a tag: the '<' is text. */
				gitchat_buf_puts(&p->text, "<");
				i++;
				continue;
			}
			while (j < len && !isspace((unsigned char)s[j]) && s[j] != '/' && s[j] != '>') {
				if (n < sizeof(t.name) - 1)
					t.name[n++] = (char)tolower((unsigned char)s[j]);
				j++;
			}
			for (;;) {
				attr *a;
				size_t an = 0;
				while (j < len && (isspace((unsigned char)s[j]) || s[j] == '/'))
					j++;
				cr_assert(j < len, "unterminated tag <%s", t.name);
				if (s[j] == '>') {
					j++;
					break;
				}
				cr_assert(t.nattrs < 16, "too many attributes on <%s>", t.name);
				a = &t.attrs[t.nattrs++];
				/* An attribute name may start with '=' and runs to a blank, / > or =. */
				do {
					if (an < sizeof(a->name) - 1)
						a->name[an++] = (char)tolower((unsigned char)s[j]);
					j++;
				} while (j < len && !isspace((unsigned char)s[j]) && s[j] != '/' &&
				         s[j] != '>' && s[j] != '=');
				while (j < len && isspace((unsigned char)s[j]))
					j++;
				if (j < len && s[j] == '=') {
					gitchat_buf v = GITCHAT_BUF_INIT;
					size_t start;
					j++;
					while (j < len && isspace((unsigned char)s[j]))
						j++;
					if (j < len && (s[j] == '"' || s[j] == '\'')) {
						char q = s[j++];
						start = j;
						while (j < len && s[j] != q)
							j++;
						decode_into(&v, s + start, j - start);
						j++;
					} else {
						start = j;
						while (j < len && !isspace((unsigned char)s[j]) && s[j] != '>')
							j++;
						decode_into(&v, s + start, j - start);
					}
					snprintf(a->value, sizeof(a->value), "%s", v.ptr ? v.ptr : "");
					gitchat_buf_dispose(&v);
				}
			}
			add_tag(p, &t);
			i = j;
			/* Raw text and RCDATA elements: everything up to their end tag. */
			if (!t.end && (!strcmp(t.name, "style") || !strcmp(t.name, "script") ||
			               !strcmp(t.name, "title") || !strcmp(t.name, "textarea"))) {
				char endtag[40];
				const char *e;
				snprintf(endtag, sizeof(endtag), "</%s", t.name);
				e = strcasestr(s + i, endtag);
				cr_assert(e != NULL, "unterminated <%s>", t.name);
				if (strcmp(t.name, "style"))
					decode_into(&p->text, s + i, (size_t)(e - s) - i);
				i = (size_t)(e - s);
			}
		}
	}
}

static const char *const allowed_tags[] = {
	"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "h5", "h6",
	"article", "header", "time", "span", "bdi", "div", "p", "a", "em", "strong", "code",
	"pre", "blockquote", "ul", "ol", "li", "hr", "br", "footer", NULL
};
static const char *const allowed_attrs[] = {
	"lang", "charset", "http-equiv", "content", "name", "class", "id", "datetime", "title",
	"dir", "href", "rel", "start", NULL
};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

/* The scheme as a browser sees it: leading blanks and controls dropped,
 * tabs and newlines removed anywhere. */
static void href_scheme(char *out, size_t size, const char *href)
{
	size_t n = 0;

	while (*href && (unsigned char)*href <= 0x20)
		href++;
	for (; *href && n < size - 1; href++) {
		if (*href == '\t' || *href == '\n' || *href == '\r')
			continue;
		if (*href == ':')
			break;
		if (*href == '/' || *href == '?' || *href == '#') {
			n = 0;
			break;
		}
		out[n++] = (char)tolower((unsigned char)*href);
	}
	if (!*href)
		n = 0;
	out[n] = '\0';
}

/* NULL when the page is safe, else why not (in `why`). */
static const char *page_problem(const parsed *p, char *why, size_t size)
{
	size_t i, styles = 0, csp = 0;
	int k;

	for (i = 0; i < p->ntags; i++) {
		const tag *t = &p->tags[i];
		if (t->end)
			continue;
		if (!in_list(allowed_tags, t->name)) {
			snprintf(why, size, "element <%s> in the page", t->name);
			return why;
		}
		if (!strcmp(t->name, "style"))
			styles++;
		for (k = 0; k < t->nattrs; k++) {
			const attr *a = &t->attrs[k];
			if (!strncmp(a->name, "on", 2) || !in_list(allowed_attrs, a->name)) {
				snprintf(why, size, "attribute %s on <%s>", a->name, t->name);
				return why;
			}
			if (!strcmp(a->name, "href")) {
				char scheme[64];
				href_scheme(scheme, sizeof(scheme), a->value);
				if (*scheme && strcmp(scheme, "http") && strcmp(scheme, "https") &&
				    strcmp(scheme, "mailto")) {
					snprintf(why, size, "href with scheme '%s': %s", scheme, a->value);
					return why;
				}
			}
			if (!strcmp(a->name, "http-equiv") && !strcmp(a->value, "Content-Security-Policy"))
				csp++;
		}
	}
	if (styles != 1 || csp != 1) {
		snprintf(why, size, "%zu <style> and %zu Content-Security-Policy, want one each",
		         styles, csp);
		return why;
	}
	return NULL;
}

static void check_page(const parsed *p)
{
	char why[4096];
	const char *problem = page_problem(p, why, sizeof(why));
	cr_assert(problem == NULL, "unsafe page: %s", problem);
}

static const char *const hostile_texts[] = {
	"<script>alert(1)</script>",
	"<img src=x onerror=alert(2)>",
	"[click](javascript:alert(3)) [mixed](JaVaScRiPt:alert(4)) "
	"[tab](java&#x09;script:alert(5)) [colon](javascript&colon;alert(6)) "
	"<javascript:alert(7)> [vb](vbscript:msgbox(8)) [file](file:///etc/passwd) "
	"[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg5KTwvc2NyaXB0Pg==)",
	"![pixel](data:image/png;base64,iVBORw0KGgo=) ![remote](https://tracker.example/p.gif)",
	"inline <b onmouseover=\"alert(10)\">bold?</b> &amp; &lt;script&gt; &#60;i&#62; &quot;q&quot;",
	"[quote](<https://ok.example/\" onmouseover=\"alert(11)>) [ok](https://ok.example/?a=1&b=2)",
	"<!-- comment --> <style>body{display:none}</style> <iframe src=https://x.example></iframe>",
	"```\n</code></pre><script>alert(12)</script>\n```",
};

Test(render_html, hostile_input_comes_out_inert)
{
	const char *dir = t_scratch();
	char *store = t_store_in(dir), *key = t_golden_key(dir, "alice"), *page = t_path(dir, "p.html");
	const char *name = "Mallory\" onmouseover=\"alert(13)\" x=' &amp; &lt;b&gt;";
	const char *email = "m'\"onfocus=alert(14)&amp;@evil.example";
	char *first = NULL, *html;
	size_t i, len;
	parsed p;
	t_run r;

	t_set_identity(name, email);
	for (i = 0; i < sizeof(hostile_texts) / sizeof(hostile_texts[0]); i++) {
		t_set_time(T_GOLDEN_T0 + (long long)i);
		r = t_chat_expect(store, 0, NULL, "send", "--key", key, "-r", ROOM, "-m", hostile_texts[i],
		           NULL);
		if (!first)
			first = t_run_id(&r);
		else
			t_run_free(&r);
	}
	t_set_time(T_GOLDEN_T0 + 100);
	r = t_chat_expect(store, 0, NULL, "react", "--key", key, first, "\"><svg onload=alert(15)>", NULL);
	t_run_free(&r);
	r = t_chat_expect(store, 0, NULL, "export", "-r", ROOM, "-o", page, NULL);
	t_run_free(&r);

	html = t_read_file(page, &len);
	cr_assert(html != NULL);
	tokenize(&p, html, len);
	check_page(&p);

	/* Everything hostile is there, as text: escaped, not dropped. */
	cr_assert(t_contains(p.text.ptr, name), "the name is not shown as text");
	cr_assert(t_contains(p.text.ptr, email), "the email is not shown as text");
	cr_assert(t_contains(p.text.ptr, "<script>alert(1)</script>"));
	cr_assert(t_contains(p.text.ptr, "<img src=x onerror=alert(2)>"));
	cr_assert(t_contains(p.text.ptr, "<b onmouseover=\"alert(10)\">"));
	cr_assert(t_contains(p.text.ptr, "& <script> <i> \"q\""), "entities: %s", p.text.ptr);
	cr_assert(t_contains(p.text.ptr, "</code></pre><script>alert(12)</script>"));
	cr_assert(t_contains(p.text.ptr, "<iframe src=https://x.example></iframe>"));
	cr_assert(t_contains(p.text.ptr, "\"><svg onload=alert(15)> 1"), "the reaction as text");
	/* The only link target with an "alert" in it is the https one whose
	 * quotes tried to end the attribute: they stayed inside, encoded. */
	for (i = 0; i < p.ntags; i++)
		for (int k = 0; k < p.tags[i].nattrs; k++) {
			const char *v = p.tags[i].attrs[k].value;
			if (strcmp(p.tags[i].attrs[k].name, "href") || !strcasestr(v, "alert"))
				continue;
			cr_assert(!strncmp(v, "https://ok.example/%22%20onmouseover", 36) &&
			          !strchr(v, '"'), "href %s", v);
		}
	/* The safe links are kept, with the query intact. */
	{
		int found = 0;
		for (i = 0; i < p.ntags; i++)
			for (int k = 0; k < p.tags[i].nattrs; k++)
				if (!strcmp(p.tags[i].attrs[k].value, "https://ok.example/?a=1&b=2"))
					found = 1;
		cr_assert(found, "the safe link is gone");
	}
	/* The quote-breaking url stays inside its attribute. */
	cr_assert(!strstr(html, "\" onmouseover"), "an attribute value was broken out of");

	free(p.tags);
	gitchat_buf_dispose(&p.text);
	free(html);
	free(first);
	free(page);
	free(key);
	free(store);
}

/* The checker itself must catch what it looks for, or it proves nothing. */
Test(render_html, the_checker_catches_unsafe_pages)
{
	static const char *const bad[] = {
		"<style></style><meta http-equiv=Content-Security-Policy><script>x</script>",
		"<style></style><meta http-equiv=Content-Security-Policy><p onclick=x>",
		"<style></style><meta http-equiv=Content-Security-Policy><a href=\" java\tscript:x\">",
		"<style></style><meta http-equiv=Content-Security-Policy><img src=x>",
		"<style></style><meta http-equiv=Content-Security-Policy><p/onmouseover=x>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parsed p;
		char why[4096];
		tokenize(&p, bad[i], strlen(bad[i]));
		cr_assert(page_problem(&p, why, sizeof(why)) != NULL,
		          "the checker passed an unsafe page: %s", bad[i]);
		free(p.tags);
		gitchat_buf_dispose(&p.text);
	}
}
