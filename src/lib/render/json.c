#include <string.h>

#include "gitchat/render.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/error.h"

int gitchat_time_format_rfc3339(gitchat_buf *out, int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), y;
	int64_t secs = t - days * 86400;
	unsigned m, d;

	gitchat_civil_from_days(days, &y, &m, &d);
	return gitchat_buf_printf(out, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
	                          (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

int gitchat_json_quote(gitchat_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	if (gitchat_buf_putc(out, '"') < 0)
		return GITCHAT_ENOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		const char *e = NULL;
		if (c == '"') e = "\\\"";
		else if (c == '\\') e = "\\\\";
		else if (c == '\n') e = "\\n";
		else if (c == '\r') e = "\\r";
		else if (c == '\t') e = "\\t";
		else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			esc[6] = '\0';
			e = esc;
		}
		if (!e)
			continue;
		if (gitchat_buf_put(out, s + run, i - run) < 0 || gitchat_buf_puts(out, e) < 0)
			return GITCHAT_ENOMEM;
		run = i + 1;
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

/* The fields every form shares, up to and including "parents"; no closing brace. */
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
	return gitchat_buf_putc(out, ']');
}

int gitchat_json_render_message(gitchat_buf *out, const gitchat_message *m)
{
	if (json_common(out, m, m->text, m->text_len) < 0)
		return GITCHAT_ENOMEM;
	return gitchat_buf_puts(out, "}\n");
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
	return gitchat_buf_puts(out, "}}\n");
}
