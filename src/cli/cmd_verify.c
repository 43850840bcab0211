#include <stdio.h>
#include <stdlib.h>

#include "reader.h"

const cli_usage usage_verify = {
	"verify",
	"usage: git chat verify [-r ROOM]\n",
	"Checks every log of every room (or of ROOM) by the rules of DESIGN.md:\n"
	"signatures, chat-room headers, parents, limits, and that each log's head\n"
	"is signed by the key its ref names. Prints one line per problem\n"
	"('REF COMMIT REASON'); exits 0 when all holds, 1 when something is invalid.\n"
	"\n"
	"Also warns ('REF COMMIT warning: REASON') about edits and redactions signed\n"
	"by someone other than the author of the message they target: such commits\n"
	"are valid (signed, in the right room), so they do not make verify fail, but\n"
	"every reader ignores them; likewise about the claims of the room '_identity'\n"
	"that readers ignore: one-sided device links (a device not linked back yet,\n"
	"or someone else's claim) and invalid profile names. Warnings alone exit 0.\n",
	(const cli_option[]){
		{ 'r', 'r', "room", "ROOM",
		  "check only this room", "@room" },
		CLI_OPT_END
	},
	NULL,
	NULL
};

static int print_problem(const gitchat_problem *p, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1] = "-";

	(*(size_t *)payload)++;
	if (p->commit)
		git_oid_tostr(hex, sizeof(hex), p->commit);
	printf("%s %s %s\n", p->refname ? p->refname : "-", hex, p->reason);
	return 0;
}

static int print_warning(const gitchat_problem *p, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1] = "-";

	(*(size_t *)payload)++;
	if (p->commit)
		git_oid_tostr(hex, sizeof(hex), p->commit);
	printf("%s %s warning: %s\n", p->refname ? p->refname : "-", hex, p->reason);
	return 0;
}

/* Private rooms: DESIGN.md's reading rules, as 'log' applies them, are
 * problems here. With the reader's key when it is a member (so that
 * undecryptable messages count); else only what headers show. */
static int private_check(gitchat_store *store, const char *room, size_t *problems)
{
	git_strarray rooms = { NULL, 0 };
	int error = 0;

	if (!room && (error = gitchat_room_list(&rooms, store)) < 0)
		return error;
	for (size_t i = 0; i < (room ? 1 : rooms.count) && error >= 0; i++) {
		const char *r = room ? room : rooms.strings[i];
		gitchat_conversation *conv = NULL;
		gitchat_members *m = NULL;
		gitchat_private *p = NULL;
		const gitchat_key *key = reader_private_key(store);
		size_t before = *problems;

		if (gitchat_room_type(r) != GITCHAT_ROOM_PRIVATE)
			continue;
		if ((error = gitchat_conversation_load(&conv, store, r, NULL)) == 0 &&
		    (error = gitchat_members_load(&m, store, conv, r)) == 0) {
			if (key && !gitchat_members_get(m, gitchat_key_public(key)))
				key = NULL;
			if ((error = gitchat_private_open(&p, store, conv, r, key, print_problem,
			                                  problems)) == 0)
				error = gitchat_private_decrypt_all(p);
		}
		if (error == 0 && *problems > before)
			error = GITCHAT_EVERIFY;
		gitchat_private_free(p);
		gitchat_members_free(m);
		gitchat_conversation_free(conv);
	}
	git_strarray_dispose(&rooms);
	return error;
}

int cmd_verify(int argc, char **argv)
{
	gitchat_store *store = NULL;
	const char *room = NULL;
	size_t problems = 0, warnings = 0;
	int ret, error, werror;

	if ((ret = reader_store_args(&store, &room, argc, argv, &usage_verify)) >= 0)
		return ret;
	ret = 0;
	if (room && (ret = reader_require_room(store, room)) != 0) {
		gitchat_store_free(store);
		return ret;
	}
	error = gitchat_verify_store(store, room, print_problem, &problems);
	if ((error == 0 || error == GITCHAT_EVERIFY) &&
	    (werror = private_check(store, room, &problems)) < 0 && error == 0)
		error = werror;
	/* A failure of the warning pass only matters when nothing else did. */
	if ((error == 0 || error == GITCHAT_EVERIFY) &&
	    (werror = gitchat_view_check(store, room, print_warning, &warnings)) < 0 && error == 0)
		error = werror;
	if (warnings)
		fprintf(stderr, "%zu warning%s\n", warnings, warnings == 1 ? "" : "s");
	if (error == GITCHAT_EVERIFY) {
		fprintf(stderr, "%zu problem%s found\n", problems, problems == 1 ? "" : "s");
		ret = CLI_EXIT_PROBLEM;
	} else if (error < 0) {
		ret = cli_fatal_lib();
	} else {
		fprintf(stderr, "all logs verified\n");
	}
	gitchat_store_free(store);
	return ret;
}
