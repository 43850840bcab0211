#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

const cli_usage usage_member = {
	"member",
	"usage: git chat member add -r ROOM KEY [--admin] [--history]\n"
	"   or: git chat member remove -r ROOM KEY\n"
	"   or: git chat member list -r ROOM\n",
	"Changes or lists the members of a private room. Adding and removing are\n"
	"for the room's admins; each change opens a new epoch sealed to the members\n"
	"after it, so a removed member cannot read what is sent afterwards. Adding\n"
	"a member again with --admin promotes them. KEY is 64 hex digits, an\n"
	"ssh-ed25519 line, a .pub file, a SHA256: fingerprint or an author's name.\n"
	"'list' prints one line per member: the key, its fingerprint and\n"
	"'admin' or 'member'.\n",
	(const cli_option[]){
		{ 'r', 'r', "room", "ROOM",
		  "the private room", "@room" },
		{ 'a', 0, "admin", NULL,
		  "add as an admin (or promote a member)", NULL },
		{ 'H', 0, "history", NULL,
		  "also give the new member the keys of the earlier epochs", NULL },
		{ 'k', 0, "key", "PATH",
		  "your identity key (default: see 'git chat whoami')", "@file" },
		CLI_OPT_END
	},
	NULL,
	"add remove list"
};

static int member_list(gitchat_store *store, const char *room)
{
	gitchat_conversation *conv = NULL;
	gitchat_members *m = NULL;
	const gitchat_member *v;
	char hex[GITCHAT_PUBKEY_HEXSIZE], fp[GITCHAT_FINGERPRINT_SIZE];
	size_t n;
	int ret = 0;

	if (gitchat_conversation_load(&conv, store, room, NULL) < 0 ||
	    gitchat_members_load(&m, store, conv, room) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	if (!gitchat_members_valid(m)) {
		ret = cli_fatal("no private room '%s' here (no valid genesis); 'git chat sync' "
		                "fetches the rooms you are a member of", room);
		goto done;
	}
	v = gitchat_members_current(&n, m);
	for (size_t i = 0; i < n; i++) {
		gitchat_pubkey_hex(hex, &v[i].key);
		gitchat_pubkey_fingerprint(fp, &v[i].key);
		printf("%s %s %s\n", hex, fp, v[i].admin ? "admin" : "member");
	}
done:
	gitchat_members_free(m);
	gitchat_conversation_free(conv);
	return ret;
}

int cmd_member(int argc, char **argv)
{
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_pubkey who;
	const char *room = NULL, *keypath = NULL, *verb;
	char hex[GIT_OID_HEXSZ + 1];
	int c, admin = 0, history = 0, ret, error;
	git_oid id;
	cli_parser p;

	cli_parser_init(&p, &usage_member, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'r': room = p.value; break;
		case 'a': admin = 1; break;
		case 'H': history = 1; break;
		case 'k': keypath = p.value; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (!p.nargs)
		return cli_usage_error(&usage_member, "say what to do: 'add', 'remove' or 'list'");
	verb = p.args[0];
	if (strcmp(verb, "add") && strcmp(verb, "remove") && strcmp(verb, "list"))
		return cli_usage_error(&usage_member, "unknown 'member %s'; use add, remove or list",
		                       verb);
	if (!room)
		return cli_usage_error(&usage_member, "which room? give -r ROOM");
	if (!strcmp(verb, "list") ? p.nargs != 1 : p.nargs != 2)
		return cli_usage_error(&usage_member, !strcmp(verb, "list") ?
		                       "'member list' takes no KEY" : "give one KEY");
	if ((admin || history) && strcmp(verb, "add"))
		return cli_usage_error(&usage_member, "--admin and --history are for 'member add'");
	if (gitchat_room_type(room) != GITCHAT_ROOM_PRIVATE)
		return cli_fatal("'%s' is not a private room: public rooms have no members "
		                 "(anyone with the repository writes there)", room);
	if ((ret = cli_open_store(&store)) != 0)
		return ret;
	if (!strcmp(verb, "list")) {
		ret = member_list(store, room);
		goto done;
	}
	if ((ret = cli_load_key(&key, gitchat_store_repository(store), keypath)) != 0 ||
	    (ret = cli_resolve_pubkey(&who, store, p.args[1])) != 0)
		goto done;
	error = !strcmp(verb, "add") ?
	        gitchat_private_member_add(&id, store, key, room, &who, admin, history) :
	        gitchat_private_member_remove(&id, store, key, room, &who);
	if (error < 0)
		ret = cli_fatal_lib();
	else
		printf("%s\n", git_oid_tostr(hex, sizeof(hex), &id));
done:
	gitchat_key_free(key);
	gitchat_store_free(store);
	return ret;
}
