#include <stdio.h>
#include <string.h>

#include "reader.h"

const cli_usage usage_redact = {
	"redact",
	"usage: git chat redact [--key PATH] [-r ROOM] ID\n",
	"Deletes your message ID from the conversation as readers see it: appends a\n"
	"signed redaction (a commit with a chat-redact header) to your log, and\n"
	"'log', 'follow' and 'export' show 'message deleted' in its place. Only the\n"
	"author of a message can redact it; redactions signed by anyone else are\n"
	"ignored and reported by 'git chat verify'.\n"
	"\n"
	"This does NOT erase the text: the message is a signed git commit, and\n"
	"git history still holds it (this store, every replica, every remote that\n"
	"has it). Anyone with a copy can read it with 'git show ID'.\n",
	(const cli_option[]){
		READER_OPTS_MODIFIER,
		CLI_OPT_END
	},
	NULL,
	NULL
};

int cmd_redact(int argc, char **argv)
{
	static const char text[] = "(redacted)";
	reader_opts o = READER_OPTS_INIT;
	cli_parser p;
	int ret;

	if ((ret = reader_modifier_args(&o, &p, argc, argv, &usage_redact)) >= 0)
		return ret;
	if (p.nargs < 1)
		return cli_usage_error(&usage_redact, "which message? give its ID");
	if (p.nargs > 1)
		return cli_usage_error(&usage_redact, "unexpected argument '%s'", p.args[1]);
	return reader_send_modifier(GITCHAT_MESSAGE_REDACT, p.args[0], o.room_arg, o.keypath,
	                            text, strlen(text), 1);
}
