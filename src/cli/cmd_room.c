#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const cli_usage usage_room = {
	"room",
	"usage: git chat room create --private [--title TITLE] [--member KEY]...\n"
	"   or: git chat room title -r ROOM TITLE\n",
	"'room create --private' makes an end-to-end encrypted room (its name is\n"
	"'_' and 24 hex digits, printed on stdout) with you as its admin and each\n"
	"--member as a member; only members read it (docs/private-rooms.md).\n"
	"'room title' sets a private room's title, which is encrypted too.\n"
	"KEY is 64 hex digits, an ssh-ed25519 line, a .pub file, a SHA256:\n"
	"fingerprint or the name of an author seen in the store.\n",
	(const cli_option[]){
		{ 'p', 0, "private", NULL,
		  "an encrypted room (the only kind 'room create' makes)", NULL },
		{ 't', 't', "title", "TITLE",
		  "the room's title (encrypted)", NULL },
		{ 'M', 0, "member", "KEY",
		  "add KEY as a member (repeat for more)", "@file" },
		{ 'r', 'r', "room", "ROOM",
		  "the room ('room title')", "@room" },
		{ 'k', 0, "key", "PATH",
		  "your identity key (default: see 'git chat whoami')", "@file" },
		CLI_OPT_END
	},
	NULL,
	"create title"
};

static int room_create(gitchat_store *store, gitchat_key *key, const char *title,
                       const gitchat_pubkey *members, size_t n)
{
	gitchat_private_create_options o = GITCHAT_PRIVATE_CREATE_OPTIONS_INIT;
	char room[26];

	o.title = title;
	o.members = members;
	o.member_count = n;
	if (gitchat_private_create(room, store, key, &o) < 0)
		return cli_fatal_lib();
	printf("%s\n", room);
	return 0;
}

int cmd_room(int argc, char **argv)
{
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_pubkey *members = NULL;
	const char *title = NULL, *room = NULL, *keypath = NULL, **member_args = NULL;
	size_t nmembers = 0;
	int c, private = 0, ret;
	git_oid id;
	cli_parser p;

	if (!(member_args = calloc((size_t)argc + 1, sizeof(*member_args))))
		return cli_fatal("out of memory");
	cli_parser_init(&p, &usage_room, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'p': private = 1; break;
		case 't': title = p.value; break;
		case 'M': member_args[nmembers++] = p.value; break;
		case 'r': room = p.value; break;
		case 'k': keypath = p.value; break;
		default: free(member_args); return CLI_EXIT_USAGE;
		}
	}
	if (c < 0) {
		free(member_args);
		return p.exit;
	}
	if (!p.nargs || (strcmp(p.args[0], "create") && strcmp(p.args[0], "title"))) {
		free(member_args);
		return cli_usage_error(&usage_room, "say what to do: 'create' or 'title'");
	}
	if (!strcmp(p.args[0], "create")) {
		ret = CLI_EXIT_USAGE;
		if (!private)
			cli_usage_error(&usage_room, "'room create' makes private rooms: give --private "
			                "(a public room starts with 'git chat send -r ROOM')");
		else if (p.nargs > 1)
			cli_usage_error(&usage_room, "unexpected argument '%s'", p.args[1]);
		else if (room)
			cli_usage_error(&usage_room, "a private room's name is made for it; -r is for "
			                "'room title'");
		else
			ret = 0;
	} else {
		ret = CLI_EXIT_USAGE;
		if (!room)
			cli_usage_error(&usage_room, "which room? give -r ROOM");
		else if (p.nargs != 2)
			cli_usage_error(&usage_room, "give the title as one argument (quote it)");
		else
			ret = 0;
	}
	if (ret || (ret = cli_open_store(&store)) != 0 ||
	    (ret = cli_load_key(&key, gitchat_store_repository(store), keypath)) != 0)
		goto done;
	if (!strcmp(p.args[0], "create")) {
		if (!(members = calloc(nmembers + 1, sizeof(*members)))) {
			ret = cli_fatal("out of memory");
			goto done;
		}
		for (size_t i = 0; i < nmembers; i++)
			if ((ret = cli_resolve_pubkey(&members[i], store, member_args[i])) != 0)
				goto done;
		ret = room_create(store, key, title, members, nmembers);
	} else if (gitchat_private_title_set(&id, store, key, room, p.args[1]) < 0) {
		ret = cli_fatal_lib();
	}
done:
	free(members);
	free(member_args);
	gitchat_key_free(key);
	gitchat_store_free(store);
	return ret;
}
