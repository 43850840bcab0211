#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

static const char usage[] =
	"usage: git chat send [-r ROOM] [-m TEXT | -F FILE] [--reply ID] [--key PATH]\n"
	"\n"
	"Appends one signed message to your log in ROOM (refs/chat/ROOM/KEY) and\n"
	"prints its commit id. The text comes from -m, -F FILE ('-' for stdin), or\n"
	"stdin; it is CommonMark in UTF-8, at most chat.maxMessageBytes (64 KiB).\n"
	"\n"
	"    -r, --room ROOM       the room (default: git config chat.room, else general)\n"
	"    -m, --message TEXT    the text; several -m are joined as paragraphs\n"
	"    -F, --file FILE       read the text from FILE\n"
	"        --reply ID        mark the message as a reply to message ID\n"
	"        --key PATH        the identity key (default: see 'git chat whoami')\n"
	"\n"
	"Author name, email and dates come from GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL,\n"
	"GIT_AUTHOR_DATE, GIT_COMMITTER_DATE or git config user.name / user.email.\n";

int cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "room", required_argument, NULL, 'r' },
		{ "message", required_argument, NULL, 'm' },
		{ "file", required_argument, NULL, 'F' },
		{ "reply", required_argument, NULL, 'R' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	gitchat_buf text = GITCHAT_BUF_INIT, rooms = GITCHAT_BUF_INIT;
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	const char *room_arg = NULL, *file = NULL, *reply = NULL, *keypath = NULL;
	char *room = NULL;
	git_oid reply_id;
	int c, have_m = 0, is_new, ret = CLI_EXIT_FATAL;
	size_t max;

	while ((c = cli_getopt(argc, argv, "r:m:F:h", opts, usage)) != 0) {
		switch (c) {
		case 'r': room_arg = optarg; break;
		case 'm':
			if ((have_m++ && gitchat_buf_puts(&text, "\n\n") < 0) ||
			    gitchat_buf_puts(&text, optarg) < 0)
				return cli_fatal("out of memory");
			break;
		case 'F': file = optarg; break;
		case 'R': reply = optarg; break;
		case 'k': keypath = optarg; break;
		case 'h': gitchat_buf_dispose(&text); return cli_help(usage);
		default: gitchat_buf_dispose(&text); return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		gitchat_buf_dispose(&text);
		return cli_usage_error(usage, "unexpected argument '%s' (quote the text and use -m)",
		                       argv[optind]);
	}
	if (have_m && file) {
		gitchat_buf_dispose(&text);
		return cli_usage_error(usage, "-m and -F cannot be used together");
	}
	if ((ret = cli_open_store(&store)) != 0 ||
	    (ret = cli_room(&room, gitchat_store_repository(store), room_arg)) != 0)
		goto done;
	max = gitchat_store_limits(store)->max_text;
	if (!have_m) {
		int fd = 0;
		if (file && strcmp(file, "-") != 0 && (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
			ret = cli_fatal("cannot open '%s': %m", file);
			goto done;
		}
		if (!file && isatty(0))
			fprintf(stderr, "Type the message, then Ctrl-D:\n");
		/* Read one byte past the limit so that "too long" is caught here. */
		ret = cli_read_fd(&text, fd, max + 2,
		                  file && strcmp(file, "-") ? file : "standard input");
		if (fd > 0)
			close(fd);
		if (ret != 0)
			goto done;
		if (text.size == max + 2) {
			ret = cli_fatal("the message in %s is over the limit of %zu bytes "
			                "(git config chat.maxMessageBytes)",
			                file && strcmp(file, "-") ? file : "standard input", max);
			goto done;
		}
	}
	if ((ret = cli_load_key(&key, gitchat_store_repository(store), keypath)) != 0)
		goto done;
	if (reply) {
		if ((ret = cli_resolve_oid(&reply_id, gitchat_store_repository(store), reply)) != 0)
			goto done;
		o.reply_to = &reply_id;
	}
	/* A typo in -r would become a room for good once synced (servers refuse
	 * deletes): creating one is allowed, but said, with the rooms there are. */
	if ((is_new = reader_room_exists(store, room, &rooms)) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	is_new = !is_new;
	o.room = room;
	o.text = text.ptr ? text.ptr : "";
	o.text_len = text.size;
	if ((ret = cli_send(store, key, &o)) == 0 && is_new) {
		if (rooms.size)
			fprintf(stderr, "note: '%s' is a new room (rooms here: %s)\n", room, rooms.ptr);
		else
			fprintf(stderr, "note: '%s' is a new room (the first in this store)\n", room);
	}
done:
	gitchat_buf_dispose(&rooms);
	gitchat_key_free(key);
	gitchat_store_free(store);
	gitchat_buf_dispose(&text);
	free(room);
	return ret;
}
