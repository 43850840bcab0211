#include <stdio.h>
#include <string.h>

#include "reader.h"

#define MAX_EMOJI 64

static const char usage[] =
	"usage: git chat react [--key PATH] [-r ROOM] ID EMOJI\n"
	"\n"
	"Reacts to message ID with EMOJI (any short text on one line, at most 64\n"
	"bytes): appends a signed reaction (a commit with a chat-react header) to\n"
	"your log. Readers show reactions counted under the message ('👍 2').\n"
	"Reacting again with the same EMOJI takes your reaction back.\n"
	"\n"
	"    -r, --room ROOM       check that ID is in ROOM (default: ID's own room)\n"
	"        --key PATH        your identity key\n";

int cmd_react(int argc, char **argv)
{
	reader_opts o = READER_OPTS_INIT;
	const char *emoji;
	size_t i, n;
	int ret;

	if ((ret = reader_modifier_args(&o, argc, argv, usage)) >= 0)
		return ret;
	if (argc - optind != 2)
		return cli_usage_error(usage, argc - optind < 2 ? "give the message ID and an EMOJI"
		                                                : "too many arguments; quote the EMOJI");
	emoji = argv[optind + 1];
	n = strlen(emoji);
	for (i = 0; i < n; i++)
		if ((unsigned char)emoji[i] < 0x20 || emoji[i] == 0x7f)
			break;
	if (!n || n > MAX_EMOJI || i < n || emoji[0] == ' ' || emoji[n - 1] == ' ')
		return cli_usage_error(usage, "the reaction must be 1 to %d bytes on one line, "
		                       "without control characters or surrounding blanks", MAX_EMOJI);
	return reader_send_modifier(GITCHAT_MESSAGE_REACT, argv[optind], o.room_arg, o.keypath, emoji,
	                            n, 0);
}
