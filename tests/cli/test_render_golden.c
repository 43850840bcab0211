/*
 * Golden files: one fixed conversation (fixed keys, fixed dates, so fixed
 * commit ids) rendered as text without colour, as JSON lines and as an HTML
 * page, compared byte for byte with tests/golden/conversation.*.
 *
 * The conversation has replies, edits, a redaction, reactions (one toggled
 * off), Markdown of every kind, long lines, right-to-left text, emoji, wide
 * CJK characters, terminal control characters, two days, and a name claimed
 * by two keys.
 *
 * After an intended change of the output, regenerate with
 *   GITCHAT_UPDATE_GOLDEN=1 ctest -R render_golden
 * and review the diff of tests/golden/ like any other change.
 */
#include "testgolden.h"

#define ROOM "golden"

static const char markdown[] =
	"# Release notes\n"
	"\n"
	"Some *emphasis*, some **strong**, some `code`, a [link](https://example.org/docs \"Docs\")\n"
	"and an autolink <https://example.org>, an image ![logo](https://example.org/logo.png),\n"
	"a hard  \n"
	"line break and inline <b>html</b>.\n"
	"\n"
	"## Lists\n"
	"\n"
	"- first item\n"
	"- second item with enough words in it to need wrapping at sixty columns\n"
	"  - nested item\n"
	"\n"
	"3. three\n"
	"4. four\n"
	"\n"
	"> A quote that is also long enough to wrap over more than one line of the terminal.\n"
	">\n"
	"> - with a list inside\n"
	"\n"
	"```c\n"
	"int main(void) { return 0; } /* a code line that is longer than sixty columns */\n"
	"\tindented by a tab\n"
	"```\n"
	"\n"
	"---\n"
	"\n"
	"<div>a raw html block</div>\n";

static char *golden_path(const char *name)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/tests/golden/%s", GITCHAT_SOURCE_DIR, name) > 0);
	return p;
}

static void check_golden(const char *name, const char *got, size_t len)
{
	char *path = golden_path(name), *want;
	size_t wlen = 0, i, line = 1;

	if (getenv("GITCHAT_UPDATE_GOLDEN") && *getenv("GITCHAT_UPDATE_GOLDEN")) {
		t_write_file(path, got, len);
		cr_log_warn("rewrote %s", path);
		free(path);
		return;
	}
	want = t_read_file(path, &wlen);
	cr_assert(want != NULL, "missing golden file %s (GITCHAT_UPDATE_GOLDEN=1 makes it)", path);
	for (i = 0; i < len && i < wlen && got[i] == want[i]; i++)
		if (got[i] == '\n')
			line++;
	cr_assert(i == len && i == wlen,
	          "%s differs from the output at line %zu (byte %zu)\n--- output:\n%s", name, line, i,
	          got);
	free(want);
	free(path);
}

static char *store;

static void build(void)
{
	const char *dir = t_scratch();
	char *alice, *bob, *carol, *m1, *m2, *m3, *m4, *m5, *m6;

	setenv("TZ", "UTC", 1);
	setenv("COLUMNS", "60", 1);
	unsetenv("NO_COLOR");
	store = t_store_in(dir);
	alice = t_golden_key(dir, "alice");
	bob = t_golden_key(dir, "bob");
	carol = t_golden_key(dir, "carol");

	m1 = t_send_at(store, ROOM, alice, "Alice", T_GOLDEN_T0, NULL,
	             "Hello **everyone**! The notes for the release follow.");
	m2 = t_send_at(store, ROOM, bob, "Bob", T_GOLDEN_T0 + 60, m1, markdown);
	m3 = t_send_at(store, ROOM, alice, "Alice", T_GOLDEN_T0 + 120, NULL,
	             "A long line without any Markdown at all, which goes on and on and on so "
	             "that the terminal renderer has to wrap it over several lines by display "
	             "width, and a very long word: "
	             "Donaudampfschifffahrtsgesellschaftskapitaenswitwenrentenversicherung.");
	m4 = t_send_at(store, ROOM, bob, "Bob", T_GOLDEN_T0 + 180, m3,
	             "שלום עולם — مرحبا بالعالم — right to left; emoji 🎉👍🏽 and 日本語の文章も"
	             "折り返されるべきです。これは長い日本語の文です。");
	m5 = t_send_at(store, ROOM, bob, "Bob", T_GOLDEN_T0 + 240, NULL, "This message will be deleted.");
	free(t_act_at(store, "edit", alice, "Alice", T_GOLDEN_T0 + 300, m1,
	            "Hello **everyone**! The notes for the release follow (edited once)."));
	free(t_act_at(store, "edit", alice, "Alice", T_GOLDEN_T0 + 310, m1,
	            "Hello **everyone**! The notes for the release follow (edited twice)."));
	free(t_act_at(store, "redact", bob, "Bob", T_GOLDEN_T0 + 320, m5, NULL));
	free(t_act_at(store, "react", bob, "Bob", T_GOLDEN_T0 + 330, m1, "👍"));
	free(t_act_at(store, "react", alice, "Alice", T_GOLDEN_T0 + 340, m1, "👍"));
	free(t_act_at(store, "react", carol, "Alice", T_GOLDEN_T0 + 350, m1, "🎉"));
	free(t_act_at(store, "react", alice, "Alice", T_GOLDEN_T0 + 360, m4, "🚀"));
	free(t_act_at(store, "react", alice, "Alice", T_GOLDEN_T0 + 370, m4, "🚀"));   /* toggled off */
	free(t_act_at(store, "react", bob, "Bob", T_GOLDEN_T0 + 380, m3, "❤️"));
	/* The next day: a second key that also calls itself Alice. */
	m6 = t_send_at(store, ROOM, carol, "Alice", T_GOLDEN_T0 + 86400 + 3600, m5,
	             "I am another Alice. Terminal tricks: bell \a, clear \033[2J, "
	             "title \033]0;pwned\a, C1 \xc2\x9b""31m, override \xe2\x80\xae""desrever.");
	free(t_send_at(store, ROOM, alice, "Alice", T_GOLDEN_T0 + 86400 + 3660, m6,
	             "Replying to the other Alice, whose reply quotes a deleted message."));
	free(alice); free(bob); free(carol);
	free(m1); free(m2); free(m3); free(m4); free(m5); free(m6);
}

static void text_without_colour(void)
{
	t_run r = t_chat_expect(store, 0, NULL, "log", "-r", ROOM, "--color=never", NULL);
	size_t i = 0, start = 0;

	check_golden("conversation.txt", r.out, r.out_len);
	cr_assert(!strchr(r.out, '\033'), "no colour asked, yet an escape came out");
	/* Every line fits the 60 columns, counted by display width. */
	for (i = 0; i <= r.out_len; i++) {
		if (i < r.out_len && r.out[i] != '\n')
			continue;
		cr_assert_leq(gitchat_display_width(r.out + start, i - start), 60,
		              "line too wide: %.*s", (int)(i - start), r.out + start);
		start = i + 1;
	}
	t_run_free(&r);
}

static void json(void)
{
	t_run r = t_chat_expect(store, 0, NULL, "log", "-r", ROOM, "--format=json", NULL);
	check_golden("conversation.jsonl", r.out, r.out_len);
	/* Only the 7 messages: edits, the redaction and reactions are not shown. */
	cr_assert_eq(t_count_lines(r.out), 7);
	t_run_free(&r);
}

static void html_page(void)
{
	char *page = t_path(t_scratch(), "room.html"), *html;
	size_t len;
	t_run r = t_chat_expect(store, 0, NULL, "export", "-r", ROOM, "-o", page, NULL);

	t_run_free(&r);
	html = t_read_file(page, &len);
	cr_assert(html != NULL);
	check_golden("conversation.html", html, len);
	free(html);
	free(page);
}

static void colour_is_ansi_and_only_ours(void)
{
	t_run r = t_chat_expect(store, 0, NULL, "log", "-r", ROOM, "--color=always", NULL);
	const char *p;

	cr_assert(t_contains(r.out, "\033[0;1m"), "no bold in: %s", r.out);
	/* Every escape in the output is one of our SGR sequences: ESC [ 0 (;N)* m. */
	for (p = r.out; (p = strchr(p, '\033')) != NULL; p++) {
		const char *q = p + 1;
		cr_assert(q[0] == '[' && q[1] == '0', "foreign escape at: %.20s", p);
		for (q += 2; *q == ';' || (*q >= '0' && *q <= '9'); q++)
			;
		cr_assert_eq(*q, 'm', "foreign escape at: %.20s", p);
	}
	cr_assert(!strstr(r.out, "\xc2\x9b"), "a C1 control reached the terminal");
	cr_assert(!strstr(r.out, "\xe2\x80\xae"), "a bidi override reached the terminal");
	cr_assert(!strchr(r.out, '\a'));
	t_run_free(&r);
}

/* One test: building the conversation is the slow part (18 signed sends). */
Test(render_golden, text_json_html_and_colour)
{
	build();
	text_without_colour();
	json();
	html_page();
	colour_is_ansi_and_only_ours();
}
