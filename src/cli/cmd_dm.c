#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const cli_usage usage_dm = {
	"dm",
	"usage: git chat dm KEY\n",
	"Prints the name of your direct-message room with KEY (a private room of\n"
	"two), making it when there is none. When both of you made one before\n"
	"seeing the other's, both sides pick the same (the smallest name) once\n"
	"synced. 'git chat send --dm KEY' sends there. KEY is 64 hex digits, an\n"
	"ssh-ed25519 line, a .pub file, a SHA256: fingerprint or an author's name.\n",
	(const cli_option[]){
		{ 'k', 0, "key", "PATH",
		  "your identity key (default: see 'git chat whoami')", "@file" },
		CLI_OPT_END
	},
	NULL,
	NULL
};

int cli_dm_room(char room[26], gitchat_store *store, gitchat_key *key, const gitchat_pubkey *other)
{
	gitchat_private_create_options o = GITCHAT_PRIVATE_CREATE_OPTIONS_INIT;
	int error;

	if (!gitchat_pubkey_cmp(other, gitchat_key_public(key)))
		return cli_fatal("that is your own key; a direct message needs someone else's");
	if ((error = gitchat_private_dm_find(room, store, gitchat_key_public(key), other)) == 0)
		return 0;
	if (error != GITCHAT_ENOTFOUND)
		return cli_fatal_lib();
	o.dm = other;
	if (gitchat_private_create(room, store, key, &o) < 0)
		return cli_fatal_lib();
	return 0;
}

int cmd_dm(int argc, char **argv)
{
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_pubkey other;
	const char *keypath = NULL;
	char room[26];
	int c, ret;
	cli_parser p;

	cli_parser_init(&p, &usage_dm, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'k': keypath = p.value; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (p.nargs != 1)
		return cli_usage_error(&usage_dm, p.nargs ? "give one KEY" : "with whom? give KEY");
	if ((ret = cli_open_store(&store)) != 0 ||
	    (ret = cli_load_key(&key, gitchat_store_repository(store), keypath)) != 0 ||
	    (ret = cli_resolve_pubkey(&other, store, p.args[0])) != 0 ||
	    (ret = cli_dm_room(room, store, key, &other)) != 0)
		goto done;
	printf("%s\n", room);
done:
	gitchat_key_free(key);
	gitchat_store_free(store);
	return ret;
}
