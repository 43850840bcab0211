#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "reader.h"

const cli_usage usage_log = {
	"log",
	"usage: git chat log [-r ROOM] [-n N] [--since DATE] [--until DATE] [--author WHO]\n"
	"                    [--grep PATTERN [-i] [-F]] [--unread] [--devices]\n"
	"                    [--format=text|json]\n"
	"                    [--color=auto|always|never] [--[no-]mark-read]\n",
	"Shows the conversation of ROOM, every replica in the same order. Only\n"
	"verified messages are shown; anything skipped is reported on stderr.\n"
	"Edits, redactions and reactions are shown at their target, not on their own.\n",
	(const cli_option[]){
		{ 'r', 'r', "room", "ROOM",
		  "the room (default: git config chat.room, else general)", "@room" },
		{ 'n', 'n', "max-count", "N",
		  "only the last N messages (after the filters below)", NULL },
		{ 'S', 0, "since", "DATE",
		  "only messages written at or after DATE", NULL },
		{ 'S', 0, "after", "DATE",
		  "the same as --since", NULL },
		{ 'U', 0, "until", "DATE",
		  "only messages written at or before DATE\n"
		  "(YYYY-MM-DD, ISO 8601, @SECONDS, yesterday, 3 days ago)", NULL },
		{ 'U', 0, "before", "DATE",
		  "the same as --until", NULL },
		{ 'a', 0, "author", "WHO",
		  "only messages by WHO: a key (hex prefix of 4 or more\n"
		  "digits, or its SHA256: fingerprint or a prefix of it),\n"
		  "or a name or email (whole, any case; names are claims)", NULL },
		{ 'g', 0, "grep", "PATTERN",
		  "only messages whose shown text matches PATTERN, a POSIX\n"
		  "extended regular expression", NULL },
		{ 'i', 'i', "ignore-case", NULL,
		  "match PATTERN in any case", NULL },
		{ 'F', 'F', "fixed-strings", NULL,
		  "PATTERN is a plain string, not a regular expression", NULL },
		{ 'u', 0, "unread", NULL,
		  "only messages after your read marker", NULL },
		{ 'D', 0, "devices", NULL,
		  "beside a person's fingerprint, the fingerprint of the\n"
		  "device (linked key) that signed, when it is another", NULL },
		{ 'f', 0, "format", "FORMAT",
		  "text (default) or json (one object per line)", "text json" },
		{ 'c', 0, "color", "WHEN",
		  "auto (default: on a terminal), always or never;\n"
		  "NO_COLOR in the environment turns colour off always", "auto always never" },
		{ 'c', 0, "colour", "WHEN", NULL, "auto always never" },
		{ 'M', 0, "mark-read", NULL,
		  "move the read marker to the end of the room when the\n"
		  "output reaches it (default only for text on a terminal)", NULL },
		{ 'N', 0, "no-mark-read", NULL,
		  "never move the read marker", NULL },
		{ 'k', 0, "key", "PATH",
		  "your identity (your own messages are never unread)", "@file" },
		CLI_OPT_END
	},
	"The read marker is the local ref refs/chat-read/ROOM; it is never pushed.\n"
	"In text on a terminal, or with --mark-read, a '── new ──' line shows where\n"
	"the unread messages begin; piped output has none unless --mark-read is given.\n",
	NULL
};

typedef struct {
	int64_t since, until;
	int has_since, has_until;
	const char *author;
	int author_hex, author_fp;
	const char *grep;
	int icase, fixed;
	regex_t re;
	int has_re;
	int unread_only;
	size_t read_upto;
	int has_me;
	gitchat_pubkey me;
} filter;

static int needs_text(const filter *f)
{
	return f->grep != NULL;
}

static int author_match_key(const filter *f, const gitchat_pubkey *key)
{
	char buf[GITCHAT_FINGERPRINT_SIZE > GITCHAT_PUBKEY_HEXSIZE ? GITCHAT_FINGERPRINT_SIZE
	                                                           : GITCHAT_PUBKEY_HEXSIZE];
	if (f->author_hex) {
		gitchat_pubkey_hex(buf, key);
		return !strncasecmp(buf, f->author, strlen(f->author));
	}
	if (f->author_fp) {
		gitchat_pubkey_fingerprint(buf, key);
		return !strncmp(buf, f->author, strlen(f->author));
	}
	return 0;
}

static int text_match(const filter *f, const gitchat_view_item *it)
{
	if (it->redacted)
		return 0;
	if (f->has_re)
		return regexec(&f->re, it->text, 0, NULL, 0) == 0;
	return (f->icase ? strcasestr(it->text, f->grep) : strstr(it->text, f->grep)) != NULL;
}

/* 1 when entry i passes every filter, 0 when not, <0 on error. */
static int selected(const filter *f, gitchat_conversation *conv, gitchat_view *view, size_t i)
{
	gitchat_conversation_entry e;
	gitchat_message *m = NULL;
	gitchat_view_item *it = NULL;
	int ok = 1;

	if (gitchat_conversation_entry_get(&e, conv, i) < 0)
		return -1;
	if (e.kind != GITCHAT_MESSAGE_TEXT)
		return 0;
	if ((f->has_since && e.time < f->since) || (f->has_until && e.time > f->until))
		return 0;
	if (f->unread_only && (i < f->read_upto || (f->has_me && !gitchat_pubkey_cmp(&f->me, e.key))))
		return 0;
	if (f->author && !author_match_key(f, e.key)) {
		if (gitchat_conversation_message_load(&m, conv, i) < 0)
			return -1;
		ok = !strcasecmp(m->author_name, f->author) || !strcasecmp(m->author_email, f->author);
		gitchat_message_free(m);
	}
	if (ok && needs_text(f)) {
		if (gitchat_view_item_load(&it, view, i) < 0)
			return -1;
		ok = text_match(f, it);
		gitchat_view_item_free(it);
	}
	return ok;
}

/* Appends entry i to the selection when it passes the filters; 0 or 128. */
static int select_one(size_t **idx, size_t *nidx, size_t *cap, const filter *f,
                      gitchat_conversation *conv, gitchat_view *view, size_t i)
{
	int r = selected(f, conv, view, i);

	if (r < 0)
		return cli_fatal_lib();
	if (!r)
		return 0;
	if (*nidx == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64, *n = realloc(*idx, ncap * sizeof(*n));
		if (!n)
			return cli_fatal("out of memory");
		*idx = n;
		*cap = ncap;
	}
	(*idx)[(*nidx)++] = i;
	return 0;
}

static int parse_author(filter *f, const char *s)
{
	size_t n = strlen(s), i;

	f->author = s;
	if (!n)
		return -1;
	if (!strncmp(s, "SHA256:", 7)) {
		f->author_fp = 1;
		return n > 7 ? 0 : -1;
	}
	for (i = 0; i < n && strchr("0123456789abcdefABCDEF", s[i]); i++)
		;
	/* Hex of 4+ digits is a key; "beef" the name is then also tried. */
	f->author_hex = i == n && n >= 4 && n <= 64;
	return 0;
}

int cmd_log(int argc, char **argv)
{
	reader_opts o = READER_OPTS_INIT;
	gitchat_store *store = NULL;
	gitchat_conversation *conv = NULL;
	gitchat_view *view = NULL;
	reader_printer pr;
	filter f;
	char *room = NULL, *end;
	long long max = -1;
	size_t *idx = NULL, nidx = 0, cap = 0, i, count, last_visible = GITCHAT_NO_INDEX;
	cli_parser p;
	int c, ret = 0, shown_new = 0, r, has_marker, show_rule, devices = 0;
	int64_t now = (int64_t)time(NULL);

	memset(&f, 0, sizeof(f));
	memset(&pr, 0, sizeof(pr));
	cli_parser_init(&p, &usage_log, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		if (reader_opt(&o, c, p.value))
			continue;
		switch (c) {
		case 'n':
			max = strtoll(p.value, &end, 10);
			if (*end || end == p.value || max < 0)
				return cli_usage_error(&usage_log, "-n needs a count, not '%s'", p.value);
			break;
		case 'S':
		case 'U': {
			int64_t t;
			if (gitchat_date_parse_human(&t, p.value, now) < 0)
				return cli_usage_error(&usage_log, "%s", gitchat_error_last()->message);
			if (c == 'S') { f.since = t; f.has_since = 1; }
			else { f.until = t; f.has_until = 1; }
			break;
		}
		case 'a':
			if (parse_author(&f, p.value) < 0)
				return cli_usage_error(&usage_log, "--author needs a key, fingerprint or name, "
				                       "not '%s'", p.value);
			break;
		case 'g': f.grep = p.value; break;
		case 'i': f.icase = 1; break;
		case 'F': f.fixed = 1; break;
		case 'u': f.unread_only = 1; break;
		case 'D': devices = 1; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	/* The rule shows where what this run reads begins: on a terminal, or
	 * when --mark-read asks to read; never in a pipe otherwise. */
	show_rule = o.mark == 1 || cli_stdout_is_tty();
	if ((ret = reader_opts_finish(&o, &p)) != 0)
		return ret;
	if ((f.icase || f.fixed) && !f.grep)
		return cli_usage_error(&usage_log, "-i and -F only apply to --grep");
	if (f.grep && !f.fixed) {
		int err = regcomp(&f.re, f.grep, REG_EXTENDED | REG_NOSUB | (f.icase ? REG_ICASE : 0));
		if (err) {
			char msg[256];
			regerror(err, &f.re, msg, sizeof(msg));
			return cli_usage_error(&usage_log, "bad --grep pattern '%s': %s (use -F for a plain "
			                       "string)", f.grep, msg);
		}
		f.has_re = 1;
	}
	if ((ret = cli_open_store(&store)) != 0 ||
	    (ret = cli_room(&room, gitchat_store_repository(store), o.room_arg)) != 0)
		goto done;
	/* Only --grep reads texts while selecting, which needs the whole view;
	 * otherwise the view starts at the first message shown. */
	if (reader_load(&conv, store, room) < 0 ||
	    (needs_text(&f) && gitchat_view_new(&view, conv) < 0) ||
	    gitchat_read_marker_get(&f.read_upto, store, conv, room) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	count = gitchat_conversation_count(conv);
	/* An empty conversation may be a misspelt room: say so, like git for
	 * an unknown revision, instead of printing nothing. */
	if (!count && (ret = reader_require_room(store, room)) != 0)
		goto done;
	has_marker = f.read_upto > 0;
	f.has_me = reader_my_key(&f.me, gitchat_store_repository(store), o.keypath);
	for (i = count; i-- > 0;) {
		gitchat_conversation_entry e;
		if (gitchat_conversation_entry_get(&e, conv, i) == 0 && e.kind == GITCHAT_MESSAGE_TEXT) {
			last_visible = i;
			break;
		}
	}

	/* The selection, as indices: with -n, from the end backwards. */
	if (max >= 0) {
		for (i = count; i-- > 0 && nidx < (size_t)max;)
			if ((ret = select_one(&idx, &nidx, &cap, &f, conv, view, i)) != 0)
				goto done;
		for (i = 0; i < nidx / 2; i++) {
			size_t t = idx[i];
			idx[i] = idx[nidx - 1 - i];
			idx[nidx - 1 - i] = t;
		}
	} else {
		for (i = 0; i < count; i++)
			if ((ret = select_one(&idx, &nidx, &cap, &f, conv, view, i)) != 0)
				goto done;
	}

	if (!view && gitchat_view_new_from(&view, conv, nidx ? idx[0] : count) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	if ((ret = reader_printer_init(&pr, o.json, o.color, reader_width(), devices)) != 0 ||
	    (ret = reader_printer_note(&pr, view, idx, nidx)) != 0)
		goto done;
	/* Every check is done: what is left is output, which a terminal
	 * reads through the pager, as 'git log'. */
	cli_pager_start(gitchat_store_repository(store));
	for (i = 0; i < nidx; i++) {
		gitchat_view_item *it = NULL;
		if (gitchat_view_item_load(&it, view, idx[i]) < 0) {
			ret = cli_fatal_lib();
			goto done;
		}
		it->unread = idx[i] >= f.read_upto && !(f.has_me && !gitchat_pubkey_cmp(&f.me, &it->msg->key));
		r = 0;
		if (it->unread && has_marker && !shown_new && !f.unread_only && show_rule) {
			shown_new = 1;
			r = reader_print_rule(&pr, "new");
		}
		if (r == 0)
			r = reader_print(&pr, it);
		gitchat_view_item_free(it);
		if (r == CLI_EXIT_FATAL) { ret = r; goto done; }
		if (r < 0)
			goto done;   /* a closed pipe (| head) is not an error */
	}

	/* Read to the end: only when the output shows the room's last message
	 * and no filter hid anything before it. */
	if (o.mark && count > f.read_upto && !f.author && !f.grep && !f.has_since && !f.has_until &&
	    (last_visible == GITCHAT_NO_INDEX || (nidx && idx[nidx - 1] == last_visible) ||
	     last_visible < f.read_upto)) {
		gitchat_conversation_entry e;
		if (gitchat_conversation_entry_get(&e, conv, count - 1) < 0 ||
		    gitchat_read_marker_set(store, room, e.id) < 0)
			cli_warn("cannot move the read marker: %s", gitchat_error_last()->message);
	}
	ret = 0;
done:
	if (f.has_re)
		regfree(&f.re);
	reader_printer_dispose(&pr);
	free(idx);
	gitchat_view_free(view);
	gitchat_conversation_free(conv);
	gitchat_store_free(store);
	free(room);
	return ret;
}
