#include <string.h>

#include "gitchat/render.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/error.h"
#include "util/utf8.h"

int gitchat_time_format_rfc3339(gitchat_buf *out, int64_t t)
{
	int64_t days, y, secs;
	unsigned m, d;

	/* Valid messages are within 1970..9999; anything else (an API
	 * caller's, never a message's) is clamped to the four-digit years
	 * RFC 3339 has, never overflowed. */
	t = GITCHAT_SHOWN(t);
	days = gitchat_time_days(t);
	secs = t - days * 86400;
	gitchat_civil_from_days(days, &y, &m, &d);
	return gitchat_buf_printf(out, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
	                          (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

int gitchat_json_quote(gitchat_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n, run = 0;
	uint32_t cp;

	if (gitchat_buf_putc(out, '"') < 0)
		return GITCHAT_ENOMEM;
	for (i = 0; i < len; i += n) {
		char esc[7];
		const char *e = NULL;
		n = gitchat_utf8_decode(&cp, s + i, len - i);
		if (cp == '"') e = "\\\"";
		else if (cp == '\\') e = "\\\\";
		else if (cp == '\n') e = "\\n";
		else if (cp == '\r') e = "\\r";
		else if (cp == '\t') e = "\\t";
		else if (GITCHAT_UTF8_BAD(cp, n)) e = "\\ufffd";   /* not UTF-8: not JSON */
		else if (cp < 0x20 || cp == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[cp >> 4];
			esc[5] = hex[cp & 15];
			esc[6] = '\0';
			e = esc;
		}
		if (!e)
			continue;
		if (gitchat_buf_put(out, s + run, i - run) < 0 || gitchat_buf_puts(out, e) < 0)
			return GITCHAT_ENOMEM;
		run = i + n;
	}
	if (gitchat_buf_put(out, s + run, len - run) < 0 || gitchat_buf_putc(out, '"') < 0)
		return GITCHAT_ENOMEM;
	return 0;
}

static int oid_json(gitchat_buf *out, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	return gitchat_buf_printf(out, "\"%s\"", git_oid_tostr(hex, sizeof(hex), id));
}

/* "files":[{"name":...,"size":...}], empty when `hide` (a redaction). */
static int json_files(gitchat_buf *out, const gitchat_message *m, int hide)
{
	if (gitchat_buf_puts(out, ",\"files\":[") < 0)
		return GITCHAT_ENOMEM;
	for (size_t i = 0; !hide && i < m->file_count; i++)
		if (gitchat_buf_puts(out, i ? ",{\"name\":" : "{\"name\":") < 0 ||
		    gitchat_json_quote(out, m->files[i].name, strlen(m->files[i].name)) < 0 ||
		    gitchat_buf_printf(out, ",\"size\":%llu}", (unsigned long long)m->files[i].size) < 0)
			return GITCHAT_ENOMEM;
	return gitchat_buf_putc(out, ']');
}

/* The fields every form shares, up to and including "files"; no closing brace. */
static int json_common(gitchat_buf *out, const gitchat_message *m, const char *text,
                       size_t text_len)
{
	char key[GITCHAT_PUBKEY_HEXSIZE], fp[GITCHAT_FINGERPRINT_SIZE];
	size_t i;

	gitchat_pubkey_hex(key, &m->key);
	gitchat_pubkey_fingerprint(fp, &m->key);
	if (gitchat_buf_puts(out, "{\"id\":") < 0 || oid_json(out, &m->id) < 0 ||
	    gitchat_buf_puts(out, ",\"room\":") < 0 ||
	    gitchat_json_quote(out, m->room, strlen(m->room)) < 0 ||
	    gitchat_buf_puts(out, ",\"author\":{\"name\":") < 0 ||
	    gitchat_json_quote(out, m->author_name, strlen(m->author_name)) < 0 ||
	    gitchat_buf_puts(out, ",\"email\":") < 0 ||
	    gitchat_json_quote(out, m->author_email, strlen(m->author_email)) < 0 ||
	    gitchat_buf_printf(out, ",\"key\":\"%s\",\"fingerprint\":\"%s\"},\"time\":\"", key, fp) < 0 ||
	    gitchat_time_format_rfc3339(out, m->time) < 0 ||
	    gitchat_buf_puts(out, "\",\"text\":") < 0 ||
	    (text ? gitchat_json_quote(out, text, text_len) : gitchat_buf_puts(out, "null")) < 0 ||
	    gitchat_buf_puts(out, ",\"reply_to\":") < 0)
		return GITCHAT_ENOMEM;
	if ((m->has_reply ? oid_json(out, &m->reply_to) : gitchat_buf_puts(out, "null")) < 0 ||
	    gitchat_buf_puts(out, ",\"parents\":[") < 0)
		return GITCHAT_ENOMEM;
	for (i = 0; i < m->parent_count; i++)
		if ((i && gitchat_buf_putc(out, ',') < 0) || oid_json(out, &m->parents[i]) < 0)
			return GITCHAT_ENOMEM;
	if (gitchat_buf_putc(out, ']') < 0)
		return GITCHAT_ENOMEM;
	return json_files(out, m, !text);
}

int gitchat_json_render_message(gitchat_buf *out, const gitchat_message *m)
{
	if (json_common(out, m, m->text, m->text_len) < 0)
		return GITCHAT_ENOMEM;
	return gitchat_buf_puts(out, "}\n");
}

/* ,"person":{...}: who the reader sees (gitchat_view_item). */
static int json_person(gitchat_buf *out, const gitchat_view_item *it)
{
	const gitchat_pubkey *who = it->name ? &it->person : &it->msg->key;
	const char *name = it->name ? it->name : it->msg->author_name;
	char key[GITCHAT_PUBKEY_HEXSIZE], fp[GITCHAT_FINGERPRINT_SIZE];

	gitchat_pubkey_hex(key, who);
	gitchat_pubkey_fingerprint(fp, who);
	if (gitchat_buf_puts(out, ",\"person\":{\"name\":") < 0 ||
	    gitchat_json_quote(out, name, strlen(name)) < 0 ||
	    gitchat_buf_printf(out, ",\"profile\":%s,\"name_shared\":%s,\"key\":\"%s\","
	                       "\"fingerprint\":\"%s\"}", it->has_profile ? "true" : "false",
	                       it->name_shared ? "true" : "false", key, fp) < 0)
		return GITCHAT_ENOMEM;
	return 0;
}

int gitchat_json_render_item(gitchat_buf *out, const gitchat_view_item *it)
{
	char key[GITCHAT_PUBKEY_HEXSIZE];
	size_t i, k;

	if (json_common(out, it->msg, it->redacted ? NULL : it->text, it->text_len) < 0 ||
	    gitchat_buf_printf(out, ",\"edited\":%s,\"redacted\":%s,\"reactions\":{",
	                       it->edited && !it->redacted ? "true" : "false",
	                       it->redacted ? "true" : "false") < 0)
		return GITCHAT_ENOMEM;
	for (i = 0; i < it->reaction_count; i++) {
		const gitchat_reaction *r = &it->reactions[i];
		if ((i && gitchat_buf_putc(out, ',') < 0) ||
		    gitchat_json_quote(out, r->emoji, strlen(r->emoji)) < 0 ||
		    gitchat_buf_puts(out, ":[") < 0)
			return GITCHAT_ENOMEM;
		for (k = 0; k < r->count; k++) {
			gitchat_pubkey_hex(key, &r->keys[k]);
			if (gitchat_buf_printf(out, "%s\"%s\"", k ? "," : "", key) < 0)
				return GITCHAT_ENOMEM;
		}
		if (gitchat_buf_putc(out, ']') < 0)
			return GITCHAT_ENOMEM;
	}
	if (gitchat_buf_putc(out, '}') < 0 || json_person(out, it) < 0)
		return GITCHAT_ENOMEM;
	return gitchat_buf_puts(out, "}\n");
}
