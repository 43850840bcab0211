#include <stdio.h>

#include "reader.h"

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
	gitchat_store *store = NULL;
	gitchat_buf out = GITCHAT_BUF_INIT;
	const char *room = NULL;
	int ret;

	if ((ret = reader_store_args(&store, &room, argc, argv, usage)) >= 0)
		return ret;
	ret = 0;
	if (gitchat_allowed_signers(&out, store, room) < 0)
		ret = cli_fatal_lib();
	else if (out.size)
		cli_write_out(out.ptr, out.size);
	gitchat_buf_dispose(&out);
	gitchat_store_free(store);
	return ret;
}
