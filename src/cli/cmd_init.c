#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const cli_usage usage_init = {
	"init",
	"usage: git chat init [DIR]\n"
	"   or: git chat init --server [--http] [--chat-only] [--private-members] [--program PATH] DIR\n",
	"Creates a git-chat store at DIR (default: the current directory): a bare\n"
	"git repository whose refs/chat/ holds the logs. Running it again on a\n"
	"store is harmless. DIR must be new, empty, or already a git repository.\n",
	(const cli_option[]){
		{ 's', 0, "server", NULL,
		  "make DIR a repository for a git server that refuses\n"
		  "invalid logs: installs hooks/pre-receive (running\n"
		  "'git chat hook pre-receive') and sets\n"
		  "receive.denyNonFastForwards, receive.denyDeletes and\n"
		  "receive.fsckObjects. DIR must be new, empty or bare.", NULL },
		{ 'H', 0, "http", NULL,
		  "also set http.receivepack, so that 'git http-backend'\n"
		  "takes pushes from anyone the web server lets through\n"
		  "(without it, only from authenticated users)", NULL },
		{ 'c', 0, "chat-only", NULL,
		  "refuse pushes to refs outside refs/chat/\n"
		  "(git config chat.hook.otherRefs deny)", NULL },
		{ 'm', 0, "private-members", NULL,
		  "refuse pushes into a private room's log by a key that is\n"
		  "not a member there, judged from the headers alone\n"
		  "(git config chat.hook.privateMembers true)", NULL },
		{ 'p', 0, "program", "PATH",
		  "the git-chat the hook runs (git config chat.hook.program;\n"
		  "default: this git-chat, by its absolute path; give\n"
		  "'git-chat' to have the hook look it up on PATH)", "@file" },
		CLI_OPT_END
	},
	"See docs/hosting.md for git daemon, ssh and smart HTTP set-ups.\n",
	NULL
};

static int init_server(const char *dir, const char *program, int http, int chat_only,
                       int private_members)
{
	gitchat_server_options o = GITCHAT_SERVER_OPTIONS_INIT;
	gitchat_store *store = NULL;
	char self[PATH_MAX];
	ssize_t n;

	if (!program && (n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		program = self;
	}
	o.program = program;
	o.http_receive_pack = http;
	o.chat_only = chat_only;
	o.private_members = private_members;
	if (gitchat_server_init(&store, dir, &o) < 0)
		return cli_fatal_lib();
	fprintf(stderr, "git-chat server repository ready in %s\n"
	        "its pre-receive hook runs '%s hook pre-receive'%s\n",
	        git_repository_path(gitchat_store_repository(store)),
	        program ? program : "git-chat",
	        http ? "" : "\nfor pushes over smart HTTP without authentication, "
	                    "also set: git config http.receivepack true");
	gitchat_store_free(store);
	return 0;
}

int cmd_init(int argc, char **argv)
{
	gitchat_store *store = NULL;
	const char *dir = ".", *program = NULL;
	cli_parser p;
	int c, server = 0, http = 0, chat_only = 0, private_members = 0;

	cli_parser_init(&p, &usage_init, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 's': server = 1; break;
		case 'H': http = 1; break;
		case 'c': chat_only = 1; break;
		case 'm': private_members = 1; break;
		case 'p': program = p.value; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (p.nargs > 1)
		return cli_usage_error(&usage_init, "too many arguments");
	if (!server && (http || chat_only || program || private_members))
		return cli_usage_error(&usage_init, "--http, --chat-only, --private-members and "
		                       "--program go with --server");
	if (server && !p.nargs)
		return cli_usage_error(&usage_init, "--server needs the repository's DIR");
	if (p.nargs)
		dir = p.args[0];
	if (server)
		return init_server(dir, program, http, chat_only, private_members);
	if (gitchat_store_init(&store, dir) < 0)
		return cli_fatal_lib();
	fprintf(stderr, "git-chat store ready in %s\n",
	        git_repository_path(gitchat_store_repository(store)));
	gitchat_store_free(store);
	return 0;
}
