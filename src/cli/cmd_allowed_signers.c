#include <stdio.h>

#include "cli.h"

static const char usage[] =
	"usage: git chat allowed-signers [-r ROOM]\n"
	"\n"
	"Prints an allowed-signers file for every author of the store (or of ROOM),\n"
	"one line per key and email: 'EMAIL namespaces=\"git\" ssh-ed25519 ...'. With it,\n"
	"stock git checks any message:\n"
	"\n"
	"    git chat allowed-signers > signers\n"
	"    git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=signers verify-commit ID\n"
	"\n"
	"Emails are the authors' claims; one that is not a plain address is\n"
	"replaced by 'key-' and the key's first 16 hex digits.\n";

int cmd_allowed_signers(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "room", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	gitchat_store *store = NULL;
	gitchat_buf out = GITCHAT_BUF_INIT;
	const char *room = NULL;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "r:h", opts, usage)) != 0) {
		switch (c) {
		case 'r': room = optarg; break;
		case 'h': return cli_help(usage);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (room && gitchat_room_validate(room) < 0)
		return cli_fatal_lib();
	if ((ret = cli_open_store(&store)) != 0)
		return ret;
	if (gitchat_allowed_signers(&out, store, room) < 0)
		ret = cli_fatal_lib();
	else if (out.size)
		cli_write_out(out.ptr, out.size);
	gitchat_buf_dispose(&out);
	gitchat_store_free(store);
	return ret;
}
