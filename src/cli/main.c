#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
	{ "init", cmd_init, "create a store (a bare git repository)" },
	{ "keygen", cmd_keygen, "create an ed25519 identity key" },
	{ "whoami", cmd_whoami, "print your public key and its fingerprint" },
	{ "send", cmd_send, "append a signed message to your log in a room" },
	{ "log", cmd_log, "show a room's conversation" },
	{ "follow", cmd_follow, "show a room's new messages as they arrive", 1 },
	{ "rooms", cmd_rooms, "list the rooms with their unread messages" },
	{ "edit", cmd_edit, "change the text of one of your messages" },
	{ "redact", cmd_redact, "delete one of your messages from view" },
	{ "react", cmd_react, "react to a message with an emoji" },
	{ "export", cmd_export, "write a room as a self-contained HTML page" },
	{ "verify", cmd_verify, "check every log of the store" },
	{ "sync", cmd_sync, "exchange logs with git remotes, verifying what comes in", 1 },
	{ "remote", cmd_remote, "add, list or remove the remotes sync uses" },
	{ "allowed-signers", cmd_allowed_signers, "print an allowed-signers file for git" },
	{ "hook", cmd_hook, "server side: check a push (git's pre-receive hook)" },
	{ NULL, NULL, NULL, 0 }
};

static void usage(FILE *f)
{
	fprintf(f, "usage: git chat <command> [<options>]\n\n"
	           "Serverless chat on signed git commits.\n\ncommands:\n");
	for (const cli_command *c = commands; c->name; c++)
		fprintf(f, "   %-16s %s\n", c->name, c->summary);
	fprintf(f, "\n'git chat <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	const char *name;
	int ret;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version")) {
		printf("git-chat %s\n", GITCHAT_VERSION);
		return 0;
	}
	for (const cli_command *c = commands; c->name; c++) {
		if (strcmp(c->name, name) != 0)
			continue;
		cli_tls_defer_begin();
		ret = gitchat_init();
		cli_tls_defer_end();
		if (ret < 0)
			return cli_fatal_lib();
		if (c->network && cli_tls_load() != 0) {
			gitchat_shutdown();
			return CLI_EXIT_FATAL;
		}
		ret = c->run(argc - 1, argv + 1);
		if (fflush(stdout) != 0 && ret == 0)
			ret = cli_fatal("cannot write the output");
		gitchat_shutdown();
		return ret;
	}
	/* A usage error shows the synopsis only, like git; --help lists all. */
	fprintf(stderr, "error: '%s' is not a git-chat command; 'git chat --help' lists them\n"
	                "usage: git chat <command> [<options>]\n", name);
	return CLI_EXIT_USAGE;
}
