#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

static const char usage[] =
	"usage: git chat edit [--key PATH] [-r ROOM] ID [TEXT | -m TEXT | -F FILE]\n"
	"\n"
	"Replaces the text of your message ID: appends a signed edit (a commit with a\n"
	"chat-edit header) to your log. Readers show the latest edit at the place of\n"
	"the original, marked '(edited)'. Only the author of a message can edit it;\n"
	"edits signed by anyone else are ignored and reported by 'git chat verify'.\n"
	"The original text stays in git history: anyone with a copy can read it.\n"
	"\n"
	"    -m, --message TEXT    the new text (or give it after ID)\n"
	"    -F, --file FILE       read the new text from FILE ('-': standard input)\n"
	"    -r, --room ROOM       check that ID is in ROOM (default: ID's own room)\n"
	"        --key PATH        your identity key\n";

int cmd_edit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "message", required_argument, NULL, 'm' },
		{ "file", required_argument, NULL, 'F' },
		READER_OPT_ROOM, READER_OPT_KEY, READER_OPT_HELP,
		{ NULL, 0, NULL, 0 }
	};
	reader_opts o = READER_OPTS_INIT;
	gitchat_buf text = GITCHAT_BUF_INIT;
	const char *msg = NULL, *file = NULL, *id;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "m:F:r:h", opts, usage)) != 0) {
		if (reader_opt(&o, c, optarg))
			continue;
		switch (c) {
		case 'm': msg = optarg; break;
		case 'F': file = optarg; break;
		case 'h': return cli_help(usage);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error(usage, "which message? give its ID");
	id = argv[optind++];
	if (optind < argc) {
		if (msg || file)
			return cli_usage_error(usage, "give the new text once");
		msg = argv[optind++];
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s' (quote the text)", argv[optind]);
	if (msg && file)
		return cli_usage_error(usage, "-m and -F cannot be used together");
	if (msg) {
		ret = gitchat_buf_puts(&text, msg) < 0 ? cli_fatal("out of memory") : 0;
	} else {
		int fd = 0;
		if (file && strcmp(file, "-") && (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			return cli_fatal("cannot open '%s': %m", file);
		if (!file && isatty(0))
			fprintf(stderr, "Type the new text, then Ctrl-D:\n");
		ret = cli_read_fd(&text, fd, 16 * 1024 * 1024, file ? file : "standard input");
		if (fd > 0)
			close(fd);
	}
	if (ret == 0)
		ret = reader_send_modifier(GITCHAT_MESSAGE_EDIT, id, o.room_arg, o.keypath,
		                           text.ptr ? text.ptr : "", text.size, 1);
	gitchat_buf_dispose(&text);
	return ret;
}
