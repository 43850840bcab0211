#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

const cli_usage usage_send = {
	"send",
	"usage: git chat send [-r ROOM | --dm KEY] [-m TEXT | -F FILE] [--attach FILE]...\n"
	"                     [--reply ID] [--key PATH]\n",
	"Appends one signed message to your log in ROOM (refs/chat/ROOM/KEY) and\n"
	"prints its commit id. The text comes from -m, -F FILE ('-' for stdin), or\n"
	"stdin; it is CommonMark in UTF-8, at most chat.maxMessageBytes (64 KiB).\n"
	"With --attach the text is optional (stdin is then not read): the message\n"
	"carries the files, each under its own name, at most chat.maxFileBytes\n"
	"(8 MiB) each and chat.maxTreeBytes (16 MiB) in all; 'git chat save ID'\n"
	"writes them out again. In a private room (and with --dm) the text, the\n"
	"files and their names are encrypted to its members.\n",
	(const cli_option[]){
		{ 'r', 'r', "room", "ROOM",
		  "the room (default: git config chat.room, else general)", "@room" },
		{ 'm', 'm', "message", "TEXT",
		  "the text; several -m are joined as paragraphs", NULL },
		{ 'F', 'F', "file", "FILE",
		  "read the text from FILE", "@file" },
		{ 'a', 'a', "attach", "FILE",
		  "attach FILE, under its own name (repeatable)", "@file" },
		{ 'D', 0, "dm", "KEY",
		  "send to your direct-message room with KEY (made when needed)", "@file" },
		{ 'R', 0, "reply", "ID",
		  "mark the message as a reply to message ID", NULL },
		{ 'k', 0, "key", "PATH",
		  "the identity key (default: see 'git chat whoami')", "@file" },
		CLI_OPT_END
	},
	"Author name, email and dates come from GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL,\n"
	"GIT_AUTHOR_DATE, GIT_COMMITTER_DATE or git config user.name / user.email.\n",
	NULL
};

/* DESIGN.md "Special rooms": git-chat makes them, a user's -r never
 * starts one, and `_identity` holds profiles and links, not messages. */
static int special_room_check(const char *room, int is_new)
{
	switch (gitchat_room_type(room)) {
	case GITCHAT_ROOM_IDENTITY:
		return cli_fatal("'_identity' holds profiles and device links, not messages; "
		                 "'git chat profile' and 'git chat device' write there");
	case GITCHAT_ROOM_PRIVATE:
		if (is_new)
			return cli_fatal("no private room '%s' in this store; 'git chat sync' fetches "
			                 "the rooms you are a member of, and 'git chat rooms' lists them",
			                 room);
		return 0;
	default:
		return 0;
	}
}

int cmd_send(int argc, char **argv)
{
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	gitchat_buf text = GITCHAT_BUF_INIT, rooms = GITCHAT_BUF_INIT;
	gitchat_attachment *files = NULL;
	size_t nfiles = 0;
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	const char *room_arg = NULL, *file = NULL, *reply = NULL, *keypath = NULL, *dm = NULL;
	char *room = NULL;
	git_oid reply_id;
	cli_parser p;
	int c, have_m = 0, is_new, ret = CLI_EXIT_FATAL;
	size_t max;

	cli_parser_init(&p, &usage_send, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'r': room_arg = p.value; break;
		case 'm':
			if ((have_m++ && gitchat_buf_puts(&text, "\n\n") < 0) ||
			    gitchat_buf_puts(&text, p.value) < 0)
				return cli_fatal("out of memory");
			break;
		case 'F': file = p.value; break;
		case 'a': {
			gitchat_attachment *a = realloc(files, (nfiles + 1) * sizeof(*a));
			if (!a) {
				free(files);
				gitchat_buf_dispose(&text);
				return cli_fatal("out of memory");
			}
			files = a;
			files[nfiles].path = p.value;
			files[nfiles++].name = NULL;
			break;
		}
		case 'R': reply = p.value; break;
		case 'D': dm = p.value; break;
		case 'k': keypath = p.value; break;
		default: ret = CLI_EXIT_USAGE; goto done;
		}
	}
	if (c < 0) {
		ret = p.exit;
		goto done;
	}
	if (p.nargs) {
		ret = cli_usage_error(&usage_send, "unexpected argument '%s' (quote the text and use -m)",
		                      p.args[0]);
		goto done;
	}
	if (have_m && file) {
		ret = cli_usage_error(&usage_send, "-m and -F cannot be used together");
		goto done;
	}
	if (dm && room_arg) {
		ret = cli_usage_error(&usage_send, "-r and --dm cannot be used together");
		goto done;
	}
	if ((ret = cli_open_store(&store)) != 0 ||
	    (!dm && (ret = cli_room(&room, gitchat_store_repository(store), room_arg)) != 0))
		goto done;
	max = gitchat_store_limits(store)->max_text;
	/* Files without -m or -F: a message of files alone, stdin unread. */
	if (!have_m && (file || !nfiles)) {
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
	if (dm) {
		gitchat_pubkey other;
		char dmroom[26];
		if ((ret = cli_resolve_pubkey(&other, store, dm)) != 0 ||
		    (ret = cli_dm_room(dmroom, store, key, &other)) != 0)
			goto done;
		if (!(room = strdup(dmroom))) {
			ret = cli_fatal("out of memory");
			goto done;
		}
	}
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
	if ((ret = special_room_check(room, is_new)) != 0)
		goto done;
	o.room = room;
	o.text = text.ptr ? text.ptr : "";
	o.text_len = text.size;
	o.files = files;
	o.file_count = nfiles;
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
	free(files);
	free(room);
	return ret;
}
