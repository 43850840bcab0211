#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reader.h"

const cli_usage usage_rooms = {
	"rooms",
	"usage: git chat rooms [--format=text|json] [--key PATH]\n",
	"Lists the rooms of the store, one line each: name, messages, authors, last\n"
	"activity (local time) and unread messages. Edits, redactions and reactions\n"
	"are not counted as messages; your own messages are never unread. The unread\n"
	"count is what comes after your read marker (refs/chat-read/ROOM), which\n"
	"'git chat log' and 'git chat follow' move on a terminal.\n",
	(const cli_option[]){
		{ 'f', 0, "format", "FORMAT",
		  "text (default) or json (one object per line)", "text json" },
		{ 'k', 0, "key", "PATH",
		  "your identity (default: see 'git chat whoami')", "@file" },
		CLI_OPT_END
	},
	NULL,
	NULL
};

/* "  1 message " and "  2 messages": the count right-aligned in `numw`
 * columns, the word padded to its plural, so that the columns line up
 * whatever the counts are. */
static int column(char *out, size_t size, size_t n, int numw, const char *what)
{
	return snprintf(out, size, "%*zu %s%s", numw, n, what, n == 1 ? " " : "s");
}

static int digits(size_t n)
{
	int d = 1;
	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

int cmd_rooms(int argc, char **argv)
{
	gitchat_store *store = NULL;
	git_strarray rooms = { 0 };
	gitchat_buf out = GITCHAT_BUF_INIT;
	gitchat_pubkey me;
	const char *format = "text", *keypath = NULL;
	gitchat_room_stats *stats = NULL;
	char **labels = NULL;
	size_t i, namew = 4;
	/* 5 and 3 keep the columns of the usual stores where they always were. */
	cli_parser p;
	int c, json, has_me, ret = 0, msgw = 5, authw = 3, unreadw = 1;

	cli_parser_init(&p, &usage_rooms, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'f': format = p.value; break;
		case 'k': keypath = reader_private_keypath = p.value; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (p.nargs)
		return cli_usage_error(&usage_rooms, "unexpected argument '%s'", p.args[0]);
	if ((ret = reader_format(&json, format, &usage_rooms)) != 0)
		return ret;
	if ((ret = cli_open_store(&store)) != 0)
		return ret;
	if (gitchat_room_list(&rooms, store) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	/* `_identity` holds profiles and device links, not a conversation. */
	for (i = 0; i < rooms.count; i++)
		if (gitchat_room_type(rooms.strings[i]) == GITCHAT_ROOM_IDENTITY) {
			free(rooms.strings[i]);
			memmove(&rooms.strings[i], &rooms.strings[i + 1],
			        (rooms.count - i - 1) * sizeof(*rooms.strings));
			rooms.count--;
			break;
		}
	/* An empty store is no error (as 'git branch' in a new repository),
	 * but silence would look like a failure: say so on stderr. */
	if (!rooms.count) {
		fprintf(stderr, "note: no rooms in this store yet; 'git chat send -r ROOM' starts one, "
		        "'git chat sync' fetches those of a remote\n");
		goto done;
	}
	has_me = reader_my_key(&me, gitchat_store_repository(store), keypath);
	if (rooms.count && (!(stats = calloc(rooms.count, sizeof(*stats))) ||
	                    !(labels = calloc(rooms.count, sizeof(*labels))))) {
		ret = cli_fatal("out of memory");
		goto done;
	}
	/* All the counts first: their widths set the columns. */
	for (i = 0; i < rooms.count; i++) {
		gitchat_conversation *conv = NULL;
		gitchat_view *view = NULL;
		int error;

		if (strlen(rooms.strings[i]) > namew)
			namew = strlen(rooms.strings[i]);
		error = reader_load(&conv, store, rooms.strings[i]);
		if (!error && reader_private_label(&labels[i], reader_private(conv),
		                                   has_me ? &me : NULL, 0) < 0)
			error = GITCHAT_ENOMEM;
		if (!error && !(error = gitchat_view_new(&view, conv)))
			error = gitchat_room_stats_get(&stats[i], store, view, rooms.strings[i],
			                               has_me ? &me : NULL);
		gitchat_view_free(view);
		gitchat_conversation_free(conv);
		if (error < 0) {
			ret = cli_fatal_lib();
			goto done;
		}
		if (digits(stats[i].messages) > msgw)
			msgw = digits(stats[i].messages);
		if (digits(stats[i].authors) > authw)
			authw = digits(stats[i].authors);
		if (digits(stats[i].unread) > unreadw)
			unreadw = digits(stats[i].unread);
	}
	for (i = 0; i < rooms.count; i++) {
		const gitchat_room_stats *st = &stats[i];
		char msgs[48], auth[48], last[32] = "-", unread[32];
		const char *room = rooms.strings[i];

		gitchat_buf_clear(&out);
		if (json) {
			if (gitchat_buf_puts(&out, "{\"room\":") < 0 ||
			    gitchat_json_quote(&out, room, strlen(room)) < 0 ||
			    gitchat_buf_printf(&out, ",\"messages\":%zu,\"authors\":%zu,\"last\":",
			                       st->messages, st->authors) < 0 ||
			    (st->messages ? (gitchat_buf_puts(&out, "\"") < 0 ||
			                     gitchat_time_format_rfc3339(&out, st->last_time) < 0 ||
			                     gitchat_buf_puts(&out, "\"") < 0)
			                  : gitchat_buf_puts(&out, "null") < 0) ||
			    gitchat_buf_printf(&out, ",\"unread\":%zu", st->unread) < 0 ||
			    (labels[i] && (gitchat_buf_puts(&out, ",\"title\":") < 0 ||
			                   gitchat_json_quote(&out, labels[i], strlen(labels[i])) < 0)) ||
			    gitchat_buf_puts(&out, "}\n") < 0) {
				ret = cli_fatal("out of memory");
				goto done;
			}
		} else {
			if (st->messages) {
				struct tm tm;
				gitchat_time_split(&tm, st->last_time, 1);
				strftime(last, sizeof(last), "%Y-%m-%d %H:%M", &tm);
			}
			column(msgs, sizeof(msgs), st->messages, msgw, "message");
			column(auth, sizeof(auth), st->authors, authw, "author");
			snprintf(unread, sizeof(unread), "%*zu unread", unreadw, st->unread);
			if (gitchat_buf_printf(&out, "%-*s  %s  %s  last %-16s  %s%s%s\n", (int)namew,
			                       room, msgs, auth, last, unread, labels[i] ? "  " : "",
			                       labels[i] ? labels[i] : "") < 0) {
				ret = cli_fatal("out of memory");
				goto done;
			}
		}
		if (cli_write_out(out.ptr, out.size) < 0)
			break;
	}
	ret = 0;
done:
	free(stats);
	for (i = 0; labels && i < rooms.count; i++)
		free(labels[i]);
	free(labels);
	git_strarray_dispose(&rooms);
	gitchat_buf_dispose(&out);
	gitchat_store_free(store);
	return ret;
}
