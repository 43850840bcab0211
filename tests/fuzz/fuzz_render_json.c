/* The JSON renderer (render/json.c) over arbitrary text and names: a
 * message, an item, a string. The output is always one valid JSON value
 * (RFC 8259, UTF-8) and a newline; a quoted string is one JSON string. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

typedef struct {
	const char *s;
	size_t len, i;
	int depth;
} json;

static void bad(json *j, const char *why)
{
	fz_fail(why, j->s, j->len, j->i);
}

static void ws(json *j)
{
	while (j->i < j->len && strchr(" \t\r\n", j->s[j->i]) && j->s[j->i])
		j->i++;
}

static void string(json *j)
{
	if (j->i >= j->len || j->s[j->i] != '"')
		bad(j, "a JSON string expected");
	for (j->i++; j->i < j->len && j->s[j->i] != '"'; ) {
		unsigned char c = (unsigned char)j->s[j->i];
		if (c < 0x20)
			bad(j, "a raw control character in a JSON string");
		if (c == '\\') {
			const char *e = j->i + 1 < j->len ? strchr("\"\\/bfnrtu", j->s[j->i + 1]) : NULL;
			if (!e || !j->s[j->i + 1])
				bad(j, "a bad escape in a JSON string");
			if (*e == 'u') {
				for (int k = 2; k < 6; k++)
					if (j->i + k >= j->len || !strchr("0123456789abcdefABCDEF", j->s[j->i + k]) ||
					    !j->s[j->i + k])
						bad(j, "a bad \\u escape in a JSON string");
				j->i += 6;
			} else {
				j->i += 2;
			}
			continue;
		}
		if (c >= 0x80) {
			size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			uint32_t cp = c & (0x7f >> n);
			if (c < 0xc2 || c > 0xf4 || j->i + n > j->len)
				bad(j, "JSON that is not UTF-8");
			for (size_t k = 1; k < n; k++) {
				if (((unsigned char)j->s[j->i + k] & 0xc0) != 0x80)
					bad(j, "JSON that is not UTF-8");
				cp = cp << 6 | ((unsigned char)j->s[j->i + k] & 0x3f);
			}
			if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
			    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
				bad(j, "JSON that is not UTF-8 (overlong or surrogate)");
			j->i += n;
			continue;
		}
		j->i++;
	}
	if (j->i >= j->len)
		bad(j, "an unterminated JSON string");
	j->i++;
}

static void value(json *j);

static void number(json *j)
{
	size_t start = j->i;
	if (j->i < j->len && j->s[j->i] == '-')
		j->i++;
	while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9')
		j->i++;
	if (j->i == start || (j->s[start] == '-' && j->i == start + 1))
		bad(j, "a JSON value expected");
}

static void literal(json *j, const char *word)
{
	size_t n = strlen(word);
	if (j->len - j->i < n || memcmp(j->s + j->i, word, n) != 0)
		bad(j, "a JSON value expected");
	j->i += n;
}

static void members(json *j, char close, int keys)
{
	j->i++;
	if (++j->depth > 64)
		bad(j, "JSON nested too deep");
	ws(j);
	if (j->i < j->len && j->s[j->i] == close) {
		j->i++;
		j->depth--;
		return;
	}
	for (;;) {
		ws(j);
		if (keys) {
			string(j);
			ws(j);
			if (j->i >= j->len || j->s[j->i] != ':')
				bad(j, "':' expected in a JSON object");
			j->i++;
			ws(j);
		}
		value(j);
		ws(j);
		if (j->i < j->len && j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i >= j->len || j->s[j->i] != close)
			bad(j, "',' or the end of a JSON object or array expected");
		j->i++;
		j->depth--;
		return;
	}
}

static void value(json *j)
{
	if (j->i >= j->len)
		bad(j, "a JSON value expected");
	switch (j->s[j->i]) {
	case '{': members(j, '}', 1); break;
	case '[': members(j, ']', 0); break;
	case '"': string(j); break;
	case 't': literal(j, "true"); break;
	case 'f': literal(j, "false"); break;
	case 'n': literal(j, "null"); break;
	default: number(j); break;
	}
}

static void check_json(const char *s, size_t len, int line)
{
	json j = { s, len, 0, 0 };
	value(&j);
	if (line) {
		if (j.i + 1 != len || s[j.i] != '\n')
			bad(&j, "not one JSON value and a newline");
	} else if (j.i != len) {
		bad(&j, "bytes after the JSON value");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_buf out = GITCHAT_BUF_INIT;
	git_oid parents[2];
	fz_item it;

	fz_init();
	fz_item_make(&it, data, size);
	memset(parents, 0x5a, sizeof(parents));
	it.msg.parents = parents;
	it.msg.parent_count = it.width & 1 ? 2 : 0;
	it.msg.has_reply = !!(it.width & 2);
	if (gitchat_json_render_message(&out, &it.msg) == 0)
		check_json(out.ptr, out.size, 1);
	gitchat_buf_clear(&out);
	if (gitchat_json_render_item(&out, &it.item) == 0)
		check_json(out.ptr, out.size, 1);
	gitchat_buf_clear(&out);
	if (gitchat_json_quote(&out, it.msg.text, it.msg.text_len) == 0)
		check_json(out.ptr, out.size, 0);
	gitchat_buf_clear(&out);
	if (gitchat_time_format_rfc3339(&out, it.msg.time) == 0 && out.size != 20)
		fz_fail("an RFC 3339 time that is not 20 characters", out.ptr, out.size, 0);
	gitchat_buf_dispose(&out);
	fz_item_free(&it);
	return 0;
}
