#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: git chat init [DIR]\n"
	"\n"
	"Creates a git-chat store at DIR (default: the current directory): a bare\n"
	"git repository whose refs/chat/ holds the logs. Running it again on a\n"
	"store is harmless. DIR must be new, empty, or already a git repository.\n";

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	gitchat_store *store = NULL;
	const char *dir = ".";
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, usage)) != 0) {
		if (c < 0)
			return CLI_EXIT_USAGE;
		if (c == 'h')
			return cli_help(usage);
	}
	if (argc - optind > 1)
		return cli_usage_error(usage, "too many arguments");
	if (optind < argc)
		dir = argv[optind];
	if (gitchat_store_init(&store, dir) < 0)
		return cli_fatal_lib();
	fprintf(stderr, "git-chat store ready in %s\n",
	        git_repository_path(gitchat_store_repository(store)));
	gitchat_store_free(store);
	return 0;
}
