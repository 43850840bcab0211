#include <stdio.h>
#include <string.h>

#include "reader.h"

#define MAX_EMOJI 64

const cli_usage usage_react = {
	"react",
	"usage: git chat react [--key PATH] [-r ROOM] ID EMOJI\n",
	"Reacts to message ID with EMOJI (any short text on one line, at most 64\n"
	"bytes): appends a signed reaction (a commit with a chat-react header) to\n"
	"your log. Readers show reactions counted under the message ('👍 2').\n"
	"Reacting again with the same EMOJI takes your reaction back.\n",
	(const cli_option[]){
		READER_OPTS_MODIFIER,
		CLI_OPT_END
	},
	NULL,
	NULL
};

int cmd_react(int argc, char **argv)
{
	reader_opts o = READER_OPTS_INIT;
	cli_parser p;
	const char *emoji;
	size_t i, n;
	int ret;

	if ((ret = reader_modifier_args(&o, &p, argc, argv, &usage_react)) >= 0)
		return ret;
	if (p.nargs != 2)
		return cli_usage_error(&usage_react, p.nargs < 2 ? "give the message ID and an EMOJI"
		                                                : "too many arguments; quote the EMOJI");
	emoji = p.args[1];
	n = strlen(emoji);
	for (i = 0; i < n; i++)
		if ((unsigned char)emoji[i] < 0x20 || emoji[i] == 0x7f)
			break;
	if (!n || n > MAX_EMOJI || i < n || emoji[0] == ' ' || emoji[n - 1] == ' ')
		return cli_usage_error(&usage_react, "the reaction must be 1 to %d bytes on one line, "
		                       "without control characters or surrounding blanks", MAX_EMOJI);
	return reader_send_modifier(GITCHAT_MESSAGE_REACT, p.args[0], o.room_arg, o.keypath, emoji,
	                            n, 0);
}
