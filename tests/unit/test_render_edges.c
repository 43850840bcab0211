/*
 * The renderers at the edges of what they can be given: times outside the
 * calendar (no valid message has one, but the renderers are public and the
 * order index is data on disk) come out clamped to the years 0000..9999,
 * never as uninitialised fields or an overflow; names that are not UTF-8 come out
 * replaced, in JSON as in text and HTML.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

static gitchat_message msg_at(int64_t t, char *name)
{
	static char text[] = "hello";
	gitchat_message m;
	memset(&m, 0, sizeof(m));
	m.time = m.commit_time = t;
	m.author_name = name;
	m.author_email = "a@example.org";
	m.room = "general";
	m.text = text;
	m.text_len = strlen(text);
	return m;
}

static gitchat_view_item item_of(gitchat_message *m)
{
	gitchat_view_item it;
	memset(&it, 0, sizeof(it));
	it.msg = m;
	it.text = m->text;
	it.text_len = m->text_len;
	return it;
}

/* Each renderer for one time: the day and the RFC 3339 time it must show. */
static void expect_time(int64_t t, const char *day, const char *rfc3339, const char *local)
{
	gitchat_message m = msg_at(t, "A");
	gitchat_view_item it = item_of(&m);
	gitchat_text_options o = GITCHAT_TEXT_OPTIONS_INIT;
	gitchat_text_renderer *tr = NULL;
	gitchat_html_renderer *hr = NULL;
	gitchat_buf out = GITCHAT_BUF_INIT, page = GITCHAT_BUF_INIT;

	o.utc = 1;
	cr_assert_eq(gitchat_text_renderer_new(&tr, &o), 0);
	cr_assert_eq(gitchat_text_render_item(&out, tr, &it), 0);
	t_assert_contains(out.ptr, day);
	gitchat_text_renderer_free(tr);

	/* Local time (UTC+14): the same day or the next, never garbage. */
	o.utc = 0;
	gitchat_buf_clear(&out);
	cr_assert_eq(gitchat_text_renderer_new(&tr, &o), 0);
	cr_assert_eq(gitchat_text_render_item(&out, tr, &it), 0);
	t_assert_contains(out.ptr, local);
	gitchat_text_renderer_free(tr);

	cr_assert_eq(gitchat_html_renderer_new(&hr, &page, "general"), 0);
	cr_assert_eq(gitchat_html_render_item(&page, hr, &it), 0);
	cr_assert_eq(gitchat_html_renderer_finish(&page, hr), 0);
	t_assert_contains(page.ptr, day);
	gitchat_html_renderer_free(hr);

	gitchat_buf_clear(&out);
	cr_assert_eq(gitchat_json_render_item(&out, &it), 0);
	t_assert_contains(out.ptr, rfc3339);
	gitchat_buf_dispose(&out);
	gitchat_buf_dispose(&page);
}

Test(render_edges, times_outside_the_calendar_are_clamped)
{
	setenv("TZ", "<+14>-14", 1);     /* UTC+14, no history: the latest local day */
	expect_time(0, "Thursday 1 January 1970", "\"1970-01-01T00:00:00Z\"", "Thursday 1 January 1970");
	expect_time(INT64_C(253402300799), "Friday 31 December 9999", "\"9999-12-31T23:59:59Z\"",
	            "Saturday 1 January 10000");
	expect_time(INT64_C(253402300800), "Friday 31 December 9999", "\"9999-12-31T23:59:59Z\"",
	            "Saturday 1 January 10000");
	expect_time(INT64_C(67767976233532799), "Friday 31 December 9999",
	            "\"9999-12-31T23:59:59Z\"", "Saturday 1 January 10000");
	expect_time(INT64_C(68000000000000000), "Friday 31 December 9999",
	            "\"9999-12-31T23:59:59Z\"", "Saturday 1 January 10000");
	expect_time(INT64_MAX, "Friday 31 December 9999", "\"9999-12-31T23:59:59Z\"",
	            "Saturday 1 January 10000");
	/* Before 1970 (no valid message) as the calendar has it, to the year 0. */
	expect_time(-1, "Wednesday 31 December 1969", "\"1969-12-31T23:59:59Z\"",
	            "Thursday 1 January 1970");
	expect_time(INT64_C(-62167219200), "Saturday 1 January 0", "\"0000-01-01T00:00:00Z\"",
	            "Saturday 1 January 0");
	expect_time(INT64_MIN, "Saturday 1 January 0", "\"0000-01-01T00:00:00Z\"",
	            "Saturday 1 January 0");
}

/* Python's strict decoder and JSON parser, as an outside judge: 1 when
 * `s` is one valid JSON document per line. */
static int json_valid(const char *s, size_t len)
{
	const char *argv[] = { "python3", "-c",
		"import json, sys\n"
		"for line in sys.stdin.buffer.read().decode('utf-8').splitlines(): json.loads(line)\n",
		NULL };
	t_run r = t_run_argv(NULL, argv, s, len, NULL);
	int ok = r.status == 0;
	t_run_free(&r);
	return ok;
}

/* JSON is UTF-8 by definition: a name that is not (valid for git fsck, so
 * valid for us) is shown with U+FFFD, as the text and HTML renderers show it. */
Test(render_edges, json_replaces_bytes_that_are_not_utf8)
{
	char name[] = "bad \xff\xfe \xc3 \xed\xa0\x80 ok \xc3\xa9";
	gitchat_message m = msg_at(1764150000, name);
	gitchat_view_item it = item_of(&m);
	gitchat_buf out = GITCHAT_BUF_INIT;

	cr_assert_eq(gitchat_json_render_item(&out, &it), 0);
	t_assert_contains(out.ptr, "\"name\":\"bad \\ufffd\\ufffd \\ufffd \\ufffd\\ufffd\\ufffd ok \xc3\xa9\"");
	cr_assert(json_valid(out.ptr, out.size), "not JSON: %s", out.ptr);
	gitchat_buf_dispose(&out);
}

/* gitchat_text_escape: any untrusted line made inert and cut by columns. */
Test(render_edges, text_escape_is_inert_and_cut_by_columns)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	const char evil[] = "a\033[2Jb\xe2\x80\xae" "c\x07\xc2\x9b" "d\xff";

	cr_assert_eq(gitchat_text_escape(&b, evil, sizeof(evil) - 1, 100), 0);
	cr_assert_str_eq(b.ptr, "a^[[2Jb<U+202E>c^G<U+009B>d<U+FFFD>");
	gitchat_buf_clear(&b);
	cr_assert_eq(gitchat_text_escape(&b, "日本語テキスト", strlen("日本語テキスト"), 5), 0);
	cr_assert_str_eq(b.ptr, "日本…");
	gitchat_buf_clear(&b);
	/* An escape is never cut in half. */
	cr_assert_eq(gitchat_text_escape(&b, "ab\033", 3, 3), 0);
	cr_assert_str_eq(b.ptr, "ab…");
	gitchat_buf_dispose(&b);
}
