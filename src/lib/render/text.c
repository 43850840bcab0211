/*
 * The text renderer: a conversation laid out for a terminal.
 *
 *   ── Wednesday 26 November 2025 ──────────────
 *   10:00  Alice (SHA256:AbCdEfGh)  1a2b3c4d (edited)
 *     ↪ Bob: the first line of the message replied to
 *     The **Markdown** text, wrapped to the width.
 *     👍 2  🎉 1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gitchat/render.h"
#include "render/ansi.h"
#include "render/width.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/error.h"
#include "util/options.h"

#define SHORT_FP 15       /* "SHA256:" and 8 characters */
#define LONG_FP 23        /* and 16 when a name is shared */
#define MAX_NAME_COLS 48
#define BODY_INDENT "  "

typedef struct {
	char *name;
	gitchat_pubkey key;
	int shared;
} author;

struct gitchat_text_renderer {
	gitchat_text_options opts;
	author *authors;
	size_t nauthors;
	int64_t last_day;
	int have_day;
};

int gitchat_text_renderer_new(gitchat_text_renderer **out, const gitchat_text_options *opts)
{
	gitchat_text_renderer *r;
	gitchat_text_options def = GITCHAT_TEXT_OPTIONS_INIT;

	*out = NULL;
	if (opts && opts->version != GITCHAT_TEXT_OPTIONS_VERSION)
		return gitchat_error_set(GITCHAT_EINVALID, "unknown text renderer options version");
	if (!(r = calloc(1, sizeof(*r))))
		return gitchat_error_oom();
	r->opts = opts ? *opts : def;
	if (!r->opts.width)
		r->opts.width = 80;
	*out = r;
	return 0;
}

void gitchat_text_renderer_free(gitchat_text_renderer *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nauthors; i++)
		free(r->authors[i].name);
	free(r->authors);
	free(r);
}

int gitchat_text_renderer_note_author(gitchat_text_renderer *r, const char *name,
                                      const gitchat_pubkey *key)
{
	size_t i;
	int shared = 0;
	author *na;

	for (i = 0; i < r->nauthors; i++) {
		if (strcmp(r->authors[i].name, name))
			continue;
		if (gitchat_pubkey_cmp(&r->authors[i].key, key) == 0)
			return 0;
		shared = 1;
	}
	if (shared)
		for (i = 0; i < r->nauthors; i++)
			if (!strcmp(r->authors[i].name, name))
				r->authors[i].shared = 1;
	if (!(na = realloc(r->authors, (r->nauthors + 1) * sizeof(*na))))
		return gitchat_error_oom();
	r->authors = na;
	if (!(na[r->nauthors].name = strdup(name)))
		return gitchat_error_oom();
	na[r->nauthors].key = *key;
	na[r->nauthors].shared = shared;
	r->nauthors++;
	return 0;
}

static int name_shared(const gitchat_text_renderer *r, const char *name)
{
	for (size_t i = 0; i < r->nauthors; i++)
		if (r->authors[i].shared && !strcmp(r->authors[i].name, name))
			return 1;
	return 0;
}

static unsigned author_color(const gitchat_pubkey *key)
{
	return 1 + key->bytes[0] % 6;   /* red .. cyan, never white */
}

static void split_time(const gitchat_text_renderer *r, int64_t t, struct tm *tm)
{
	gitchat_time_split(tm, t, !r->opts.utc);
}

static int styled(gitchat_buf *out, const gitchat_text_renderer *r, unsigned style,
                  const char *s)
{
	if (r->opts.color && gitchat_ansi_sgr(out, style) < 0)
		return GITCHAT_ENOMEM;
	if (gitchat_buf_puts(out, s) < 0)
		return GITCHAT_ENOMEM;
	if (r->opts.color && gitchat_ansi_sgr(out, 0) < 0)
		return GITCHAT_ENOMEM;
	return 0;
}

int gitchat_text_render_rule(gitchat_buf *out, gitchat_text_renderer *r, const char *label)
{
	gitchat_buf line = GITCHAT_BUF_INIT;
	size_t w = 0;
	int error;

	/* The label is the caller's, and written like every other string: its
	 * control characters escaped, never raw. */
	error = gitchat_buf_puts(&line, "── ") < 0 ||
	        gitchat_ansi_put_safe(&line, label, strlen(label), 0, 0, &w) < 0 ||
	        gitchat_buf_putc(&line, ' ') < 0 ? GITCHAT_ENOMEM : 0;
	w += 3 + 1;
	for (; !error && w < r->opts.width && w < 80; w++)
		error = gitchat_buf_puts(&line, "─");
	if (!error)
		error = styled(out, r, GITCHAT_STYLE_DIM, line.ptr);
	if (!error)
		error = gitchat_buf_putc(out, '\n');
	gitchat_buf_dispose(&line);
	return error < 0 ? gitchat_error_oom() : 0;
}

static int day_rule(gitchat_buf *out, gitchat_text_renderer *r, const struct tm *tm)
{
	static const char *days[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
	                              "Friday", "Saturday" };
	static const char *months[] = { "January", "February", "March", "April", "May", "June",
	                                "July", "August", "September", "October", "November",
	                                "December" };
	char label[64];

	snprintf(label, sizeof(label), "%s %d %s %d", days[tm->tm_wday % 7], tm->tm_mday,
	         months[tm->tm_mon % 12], tm->tm_year + 1900);
	return gitchat_text_render_rule(out, r, label);
}

/* How many bytes of `s` fit in `max_cols` columns, controls counted as
 * their escaped form: len when all of it does. */
static size_t fit_cols(const char *s, size_t len, size_t max_cols)
{
	size_t i = 0, cols = 0, w;
	uint32_t cp;
	char esc[12];

	while (i < len) {
		size_t n = gitchat_utf8_decode(&cp, s + i, len - i);
		if (gitchat_cp_unsafe(cp) || GITCHAT_UTF8_BAD(cp, n)) {
			gitchat_cp_escape(esc, cp);
			w = strlen(esc);
		} else {
			w = (size_t)gitchat_cp_width(cp);
		}
		if (cols + w > max_cols)
			return i;
		cols += w;
		i += n;
	}
	return len;
}

/* A name cut to MAX_NAME_COLS columns, its controls escaped. */
static int put_name(gitchat_buf *out, const gitchat_text_renderer *r, const char *name,
                    unsigned style)
{
	size_t len = strlen(name), i = fit_cols(name, len, MAX_NAME_COLS);

	if (gitchat_ansi_put_safe(out, name, i, r->opts.color, style, NULL) < 0 ||
	    (i < len && gitchat_buf_puts(out, "…") < 0))
		return GITCHAT_ENOMEM;
	return 0;
}

static int header(gitchat_buf *out, gitchat_text_renderer *r, const gitchat_view_item *it,
                  const struct tm *tm)
{
	const gitchat_message *m = it->msg;
	/* The person (the view's), else the commit's claim and key. */
	const char *name = it->name ? it->name : m->author_name;
	const gitchat_pubkey *who = it->name ? &it->person : &m->key;
	char fp[GITCHAT_FINGERPRINT_SIZE], dev[GITCHAT_FINGERPRINT_SIZE], hm[16], id[9];
	unsigned name_style = GITCHAT_STYLE_BOLD | GITCHAT_STYLE_COLOR(author_color(who));
	int color = r->opts.color;

	gitchat_pubkey_fingerprint(fp, who);
	fp[name_shared(r, name) || it->name_shared ? LONG_FP : SHORT_FP] = '\0';
	snprintf(hm, sizeof(hm), "%02d:%02d", tm->tm_hour, tm->tm_min);
	if (styled(out, r, GITCHAT_STYLE_DIM, hm) < 0 || gitchat_buf_puts(out, "  ") < 0 ||
	    (color && gitchat_ansi_sgr(out, name_style) < 0) ||
	    put_name(out, r, name, name_style) < 0 ||
	    (color && gitchat_ansi_sgr(out, 0) < 0) || gitchat_buf_putc(out, ' ') < 0 ||
	    gitchat_buf_putc(out, '(') < 0 || styled(out, r, GITCHAT_STYLE_DIM, fp) < 0)
		return GITCHAT_ENOMEM;
	/* The device that signed, on request, when it is not the one that
	 * names the person. */
	if (r->opts.devices && gitchat_pubkey_cmp(who, &m->key)) {
		gitchat_pubkey_fingerprint(dev, &m->key);
		dev[SHORT_FP] = '\0';
		if (gitchat_buf_puts(out, ", device ") < 0 || styled(out, r, GITCHAT_STYLE_DIM, dev) < 0)
			return GITCHAT_ENOMEM;
	}
	if (gitchat_buf_putc(out, ')') < 0)
		return GITCHAT_ENOMEM;
	/* The short id: what reply, edit, react and redact take. */
	git_oid_tostr(id, sizeof(id), &m->id);
	if (gitchat_buf_puts(out, "  ") < 0 || styled(out, r, GITCHAT_STYLE_DIM, id) < 0)
		return GITCHAT_ENOMEM;
	if (it->edited && !it->redacted &&
	    (gitchat_buf_putc(out, ' ') < 0 || styled(out, r, GITCHAT_STYLE_ITALIC, "(edited)") < 0))
		return GITCHAT_ENOMEM;
	return gitchat_buf_putc(out, '\n');
}

/* "  ↪ Name: first line…", one line, cut to the width. */
static int reply_line(gitchat_buf *out, gitchat_text_renderer *r, const gitchat_view_item *it)
{
	gitchat_buf line = GITCHAT_BUF_INIT;
	char fp[GITCHAT_FINGERPRINT_SIZE];
	gitchat_buf plain = GITCHAT_BUF_INIT;
	size_t limit = r->opts.width > 20 ? r->opts.width : 20, i;
	int error = GITCHAT_ENOMEM;

	if (it->reply_redacted ? gitchat_buf_puts(&plain, "message deleted") < 0
	                       : gitchat_markdown_plain(&plain, it->reply_text,
	                                                strlen(it->reply_text), 4 * limit) < 0)
		goto done;
	if (gitchat_buf_puts(&line, BODY_INDENT "↪ ") < 0 ||
	    gitchat_buf_puts(&line, it->reply_name) < 0)
		goto done;
	if (name_shared(r, it->reply_name) || it->reply_name_shared) {
		gitchat_pubkey_fingerprint(fp, it->name ? &it->reply_person : &it->reply_key);
		fp[LONG_FP] = '\0';
		if (gitchat_buf_printf(&line, " (%s)", fp) < 0)
			goto done;
	}
	if (gitchat_buf_puts(&line, ": ") < 0 ||
	    gitchat_buf_put(&line, plain.ptr ? plain.ptr : "", plain.size) < 0)
		goto done;
	/* Cut by display width, leaving a column for the ellipsis. */
	i = fit_cols(line.ptr, line.size, limit - 1);
	if (r->opts.color && gitchat_ansi_sgr(out, GITCHAT_STYLE_DIM) < 0)
		goto done;
	if (gitchat_ansi_put_safe(out, line.ptr, i, r->opts.color, GITCHAT_STYLE_DIM, NULL) < 0 ||
	    (i < line.size && gitchat_buf_puts(out, "…") < 0) ||
	    (r->opts.color && gitchat_ansi_sgr(out, 0) < 0) || gitchat_buf_putc(out, '\n') < 0)
		goto done;
	error = 0;
done:
	gitchat_buf_dispose(&plain);
	gitchat_buf_dispose(&line);
	return error;
}

static int reactions_line(gitchat_buf *out, gitchat_text_renderer *r,
                          const gitchat_view_item *it)
{
	size_t i;

	if (!it->reaction_count)
		return 0;
	if (gitchat_buf_puts(out, BODY_INDENT) < 0)
		return GITCHAT_ENOMEM;
	for (i = 0; i < it->reaction_count; i++) {
		const gitchat_reaction *re = &it->reactions[i];
		if ((i && gitchat_buf_puts(out, "  ") < 0) ||
		    gitchat_ansi_put_safe(out, re->emoji, strlen(re->emoji), r->opts.color, 0, NULL) < 0 ||
		    gitchat_buf_printf(out, " %zu", re->count) < 0)
			return GITCHAT_ENOMEM;
	}
	return gitchat_buf_putc(out, '\n');
}

int gitchat_text_renderer_set_previous(gitchat_text_renderer *r, int has_previous,
                                       int64_t time)
{
	struct tm tm;

	r->have_day = has_previous != 0;
	if (!has_previous)
		return 0;
	split_time(r, time, &tm);
	r->last_day = gitchat_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	                                      (unsigned)tm.tm_mday);
	return 0;
}

int gitchat_text_escape(gitchat_buf *out, const char *s, size_t len, size_t max_cols)
{
	size_t i = fit_cols(s, len, max_cols);

	if (gitchat_ansi_put_safe(out, s, i, 0, 0, NULL) < 0 ||
	    (i < len && gitchat_buf_puts(out, "…") < 0))
		return gitchat_error_oom();
	return 0;
}

/* "  [file] name (size)" per attachment, the name escaped like every
 * other untrusted text; 'git chat save ID' writes them. */
static int files_lines(gitchat_buf *out, gitchat_text_renderer *r, const gitchat_message *m)
{
	char size[32];

	for (size_t i = 0; i < m->file_count; i++) {
		gitchat_size_format(size, m->files[i].size);
		if (gitchat_buf_puts(out, BODY_INDENT) < 0 ||
		    styled(out, r, GITCHAT_STYLE_DIM, "[file]") < 0 || gitchat_buf_putc(out, ' ') < 0 ||
		    gitchat_ansi_put_safe(out, m->files[i].name, strlen(m->files[i].name),
		                          r->opts.color, 0, NULL) < 0 ||
		    gitchat_buf_printf(out, " (%s)\n", size) < 0)
			return GITCHAT_ENOMEM;
	}
	return 0;
}

int gitchat_text_render_item(gitchat_buf *out, gitchat_text_renderer *r,
                             const gitchat_view_item *it)
{
	struct tm tm;
	int64_t day;
	int error;

	split_time(r, it->msg->time, &tm);
	day = gitchat_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	                              (unsigned)tm.tm_mday);
	if ((!r->have_day || day != r->last_day) && (error = day_rule(out, r, &tm)) < 0)
		return error;
	r->have_day = 1;
	r->last_day = day;
	if (header(out, r, it, &tm) < 0 || (it->has_reply && reply_line(out, r, it) < 0))
		return gitchat_error_oom();
	if (it->redacted) {
		if (gitchat_buf_puts(out, BODY_INDENT) < 0 ||
		    styled(out, r, GITCHAT_STYLE_DIM | GITCHAT_STYLE_ITALIC, "message deleted") < 0 ||
		    gitchat_buf_putc(out, '\n') < 0)
			return gitchat_error_oom();
	} else if ((it->text_len &&
	            (error = gitchat_text_render_markdown(out, it->text, it->text_len,
	                                                  r->opts.width, BODY_INDENT,
	                                                  r->opts.color)) < 0) ||
	           (error = files_lines(out, r, it->msg)) < 0) {
		return error;
	}
	return reactions_line(out, r, it) < 0 ? gitchat_error_oom() : 0;
}

int gitchat_text_render_message(gitchat_buf *out, const gitchat_message *msg)
{
	gitchat_text_options o = GITCHAT_TEXT_OPTIONS_INIT;
	gitchat_text_renderer *r = NULL;
	gitchat_view_item it;
	int error;

	memset(&it, 0, sizeof(it));
	it.msg = (gitchat_message *)msg;
	it.text = msg->text;
	it.text_len = msg->text_len;
	o.utc = 1;
	if ((error = gitchat_text_renderer_new(&r, &o)) == 0)
		error = gitchat_text_render_item(out, r, &it);
	gitchat_text_renderer_free(r);
	return error;
}

GITCHAT_OPTIONS_INIT_FUNCTION(gitchat_text_options_init, gitchat_text_options, GITCHAT_TEXT_OPTIONS_INIT, GITCHAT_TEXT_OPTIONS_VERSION)
