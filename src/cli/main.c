#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const cli_command cli_commands[] = {
	{ "init", cmd_init, "create a store (a bare git repository)", 0, &usage_init },
	{ "keygen", cmd_keygen, "create an ed25519 identity key", 0, &usage_keygen },
	{ "whoami", cmd_whoami, "print your public key and its fingerprint", 0, &usage_whoami },
	{ "send", cmd_send, "append a signed message to your log in a room", 0, &usage_send },
	{ "log", cmd_log, "show a room's conversation", 0, &usage_log },
	{ "follow", cmd_follow, "show a room's new messages as they arrive", 1, &usage_follow },
	{ "tui", cmd_tui, "chat full-screen: rooms, conversation, composer, sync", 1, &usage_tui },
	{ "rooms", cmd_rooms, "list the rooms with their unread messages", 0, &usage_rooms },
	{ "edit", cmd_edit, "change the text of one of your messages", 0, &usage_edit },
	{ "redact", cmd_redact, "delete one of your messages from view", 0, &usage_redact },
	{ "react", cmd_react, "react to a message with an emoji", 0, &usage_react },
	{ "save", cmd_save, "write the files of a message into a directory", 0, &usage_save },
	{ "export", cmd_export, "write a room as a self-contained HTML page", 0, &usage_export },
	{ "verify", cmd_verify, "check every log of the store", 0, &usage_verify },
	{ "sync", cmd_sync, "exchange logs with git remotes, verifying what comes in", 1, &usage_sync },
	{ "remote", cmd_remote, "add, list or remove the remotes sync uses", 0, &usage_remote },
	{ "device", cmd_device, "link your devices' keys into one person", 0, &usage_device },
	{ "profile", cmd_profile, "set or show the name readers show for you", 0, &usage_profile },
	{ "allowed-signers", cmd_allowed_signers, "print an allowed-signers file for git", 0,
	  &usage_allowed_signers },
	{ "hook", cmd_hook, "server side: check a push (git's pre-receive hook)", 0, &usage_hook },
	{ "room", cmd_room, "create a private room or set its title", 0, &usage_room },
	{ "member", cmd_member, "add, remove or list the members of a private room", 0,
	  &usage_member },
	{ "dm", cmd_dm, "find or make the direct-message room with a key", 0, &usage_dm },
	{ "completion", cmd_completion, "(hidden) the bash completion script", 0, &usage_completion,
	  1 },
	{ NULL, NULL, NULL, 0, NULL, 0 }
};

#define TOP_SYNOPSIS \
	"usage: git chat <command> [<options>]\n" \
	"   or: git chat (-P | --no-pager) <command> [<options>]\n"

static void usage(FILE *f)
{
	fprintf(f, TOP_SYNOPSIS "\nServerless chat on signed git commits.\n\ncommands:\n");
	for (const cli_command *c = cli_commands; c->name; c++)
		if (!c->hidden)
			fprintf(f, "   %-16s %s\n", c->name, c->summary);
	fprintf(f, "\n    -P, --no-pager        do not page the output ('log' pages it on a terminal)\n"
	           "\n'git chat <command> --help' describes a command.\n");
}

/* Levenshtein distance, capped: names are short, so two rows suffice. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[2][32];

	if (la >= 32 || lb >= 32)
		return 32;
	for (j = 0; j <= lb; j++)
		row[0][j] = j;
	for (i = 1; i <= la; i++) {
		size_t *prev = row[(i - 1) & 1], *cur = row[i & 1];
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]), del = prev[j] + 1;
			size_t ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	}
	return row[la & 1][lb];
}

/* Like git: an unknown command names the closest one when it is near. */
static void unknown_command(const char *name)
{
	const cli_command *best = NULL;
	size_t d, best_d = 3;

	fprintf(stderr, "error: '%s' is not a git-chat command; 'git chat -h' lists them\n", name);
	for (const cli_command *c = cli_commands; c->name; c++)
		if (!c->hidden && (d = edit_distance(name, c->name)) < best_d) {
			best_d = d;
			best = c;
		}
	if (best)
		fprintf(stderr, "did you mean '%s'?\n", best->name);
	fprintf(stderr, "usage: git chat <command> [<options>]\n");
}

static int run(const cli_command *c, int argc, char **argv)
{
	int ret;

	cli_net_defer_begin();
	ret = gitchat_init();
	cli_net_defer_end();
	if (ret < 0)
		return cli_fatal_lib();
	cli_object_cache_small();
	if (c->network)
		cli_net_load();
	else
		cli_pack_windows_small(1);
	ret = c->run(argc, argv);
	if (fflush(stdout) != 0 && ret == 0 && !cli_pager_active())
		ret = cli_fatal("cannot write the output");
	/* Like git: the pager has the terminal until it ends. */
	cli_pager_finish();
	gitchat_shutdown();
	return ret;
}

int main(int argc, char **argv)
{
	const char *name;
	int i = 1;

#ifdef M_MMAP_THRESHOLD
	/* Large blocks (a room's graph and order: tens of MB at a million
	 * messages) always mapped, so that freeing them gives the memory back.
	 * glibc's adaptive threshold otherwise moves with whatever was freed
	 * earlier and left 12 MB more at the peak of a first full read. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif

	/* git's own options before the command: only the pager's. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--no-pager") || !strcmp(argv[i], "-P"))
			cli_pager_set_mode(CLI_PAGER_NEVER);
		else
			break;
	}
	if (i >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	name = argv[i];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version")) {
		printf("git-chat %s\n", GITCHAT_VERSION);
		return 0;
	}
	if (name[0] == '-') {
		fprintf(stderr, "error: unknown option '%s'\n" TOP_SYNOPSIS, name);
		return CLI_EXIT_USAGE;
	}
	for (const cli_command *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return run(c, argc - i, argv + i);
	/* A usage error shows the synopsis only, like git; -h lists all. */
	unknown_command(name);
	return CLI_EXIT_USAGE;
}
