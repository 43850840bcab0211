#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

const cli_usage usage_edit = {
	"edit",
	"usage: git chat edit [--key PATH] [-r ROOM] ID [TEXT | -m TEXT | -F FILE]\n",
	"Replaces the text of your message ID: appends a signed edit (a commit with a\n"
	"chat-edit header) to your log. Readers show the latest edit at the place of\n"
	"the original, marked '(edited)'. Only the author of a message can edit it;\n"
	"edits signed by anyone else are ignored and reported by 'git chat verify'.\n"
	"The original text stays in git history: anyone with a copy can read it.\n",
	(const cli_option[]){
		{ 'm', 'm', "message", "TEXT",
		  "the new text (or give it after ID)", NULL },
		{ 'F', 'F', "file", "FILE",
		  "read the new text from FILE ('-': standard input)", "@file" },
		READER_OPTS_MODIFIER,
		CLI_OPT_END
	},
	NULL,
	NULL
};

int cmd_edit(int argc, char **argv)
{
	reader_opts o = READER_OPTS_INIT;
	gitchat_buf text = GITCHAT_BUF_INIT;
	const char *msg = NULL, *file = NULL, *id;
	cli_parser p;
	int c, ret;

	cli_parser_init(&p, &usage_edit, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		if (reader_opt(&o, c, p.value))
			continue;
		switch (c) {
		case 'm': msg = p.value; break;
		case 'F': file = p.value; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (p.nargs < 1)
		return cli_usage_error(&usage_edit, "which message? give its ID");
	id = p.args[0];
	if (p.nargs > 1) {
		if (msg || file)
			return cli_usage_error(&usage_edit, "give the new text once, after ID or with "
			                       "-m or -F");
		msg = p.args[1];
	}
	if (p.nargs > 2)
		return cli_usage_error(&usage_edit, "unexpected argument '%s' (quote the text)",
		                       p.args[2]);
	if (msg && file)
		return cli_usage_error(&usage_edit, "-m and -F cannot be used together");
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
