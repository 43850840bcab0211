#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const cli_usage usage_remote = {
	"remote",
	"usage: git chat remote [-v]\n"
	"   or: git chat remote add NAME URL\n"
	"   or: git chat remote set-url NAME URL\n"
	"   or: git chat remote remove NAME\n",
	"Manages the git remotes 'git chat sync' uses by default (they are plain\n"
	"git remotes: 'git remote' sees the same). URL is any git URL (file://,\n"
	"git://, http(s)://, ssh://, user@host:path) or a path; a relative path is\n"
	"stored as an absolute one. A remote added here gets no fetch refspec:\n"
	"chat logs must come in through 'git chat sync', which verifies them, not\n"
	"through a plain 'git fetch'.\n",
	(const cli_option[]){
		{ 'v', 'v', "verbose", NULL,
		  "list the URLs too", NULL },
		CLI_OPT_END
	},
	NULL,
	"add set-url remove"
};

static int is_url(const char *s)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
	return strstr(s, "://") || (colon && colon != s && (!slash || colon < slash));
}

/* A relative path would mean something else from another directory. */
static int absolute_url(gitchat_buf *out, const char *url)
{
	char cwd[PATH_MAX];

	if (is_url(url) || url[0] == '/')
		return gitchat_buf_puts(out, url);
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	return gitchat_buf_printf(out, "%s/%s", cwd, url);
}

static int check_name(const char *name)
{
	int valid = 0;

	if (git_remote_name_is_valid(&valid, name) < 0 || !valid)
		return cli_usage_error(&usage_remote, "'%s' is not a valid remote name", name);
	return 0;
}

static int remote_list(gitchat_store *store, int verbose)
{
	git_repository *repo = gitchat_store_repository(store);
	git_strarray names = { NULL, 0 };
	size_t i;

	if (gitchat_sync_remotes(&names, store) < 0)
		return cli_fatal_lib();
	for (i = 0; i < names.count; i++) {
		git_remote *r = NULL;
		if (!verbose) {
			printf("%s\n", names.strings[i]);
			continue;
		}
		if (git_remote_lookup(&r, repo, names.strings[i]) < 0)
			continue;
		printf("%s\t%s (fetch)\n", names.strings[i], git_remote_url(r) ? git_remote_url(r) : "");
		printf("%s\t%s (push)\n", names.strings[i],
		       git_remote_pushurl(r) ? git_remote_pushurl(r) :
		       git_remote_url(r) ? git_remote_url(r) : "");
		git_remote_free(r);
	}
	git_strarray_dispose(&names);
	return 0;
}

static int remote_add(git_repository *repo, const char *name, const char *url)
{
	git_remote_create_options co = GIT_REMOTE_CREATE_OPTIONS_INIT;
	gitchat_buf abs = GITCHAT_BUF_INIT;
	git_remote *r = NULL;
	int error, ret = 0;

	if ((ret = check_name(name)) != 0)
		return ret;
	if (!*url)
		return cli_usage_error(&usage_remote, "the URL is empty");
	if (git_remote_lookup(&r, repo, name) == 0) {
		git_remote_free(r);
		return cli_fatal("remote '%s' already exists; change its URL with "
		                 "'git chat remote set-url %s URL'", name, name);
	}
	if (absolute_url(&abs, url) < 0)
		return cli_fatal("cannot read the current directory");
	co.repository = repo;
	co.name = name;
	co.flags = GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((error = git_remote_create_with_opts(&r, abs.ptr, &co)) < 0)
		ret = cli_fatal("cannot add the remote '%s': %s", name, git_error_last()->message);
	git_remote_free(r);
	gitchat_buf_dispose(&abs);
	return ret;
}

static int remote_set_url(git_repository *repo, const char *name, const char *url)
{
	gitchat_buf abs = GITCHAT_BUF_INIT;
	git_remote *r = NULL;
	int ret = 0;

	if ((ret = check_name(name)) != 0)
		return ret;
	if (git_remote_lookup(&r, repo, name) < 0)
		return cli_fatal("no remote '%s'; add it with 'git chat remote add %s URL'", name, name);
	git_remote_free(r);
	if (!*url)
		return cli_usage_error(&usage_remote, "the URL is empty");
	if (absolute_url(&abs, url) < 0)
		return cli_fatal("cannot read the current directory");
	if (git_remote_set_url(repo, name, abs.ptr) < 0)
		ret = cli_fatal("cannot set the URL of '%s': %s", name, git_error_last()->message);
	gitchat_buf_dispose(&abs);
	return ret;
}

static int remote_remove(git_repository *repo, const char *name)
{
	git_remote *r = NULL;
	int ret;

	if ((ret = check_name(name)) != 0)
		return ret;
	if (git_remote_lookup(&r, repo, name) < 0)
		return cli_fatal("no remote '%s'; 'git chat remote' lists them", name);
	git_remote_free(r);
	if (git_remote_delete(repo, name) < 0)
		return cli_fatal("cannot remove the remote '%s': %s", name, git_error_last()->message);
	return 0;
}

int cmd_remote(int argc, char **argv)
{
	gitchat_store *store = NULL;
	git_repository *repo;
	const char *sub;
	cli_parser p;
	int c, verbose = 0, ret, nargs;

	cli_parser_init(&p, &usage_remote, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'v': verbose = 1; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	sub = p.nargs ? p.args[0] : "list";
	nargs = p.nargs ? p.nargs - 1 : 0;
	if (!strcmp(sub, "add") || !strcmp(sub, "set-url")) {
		if (nargs != 2)
			return cli_usage_error(&usage_remote, "'%s' needs a NAME and a URL", sub);
	} else if (!strcmp(sub, "remove") || !strcmp(sub, "rm")) {
		if (nargs != 1)
			return cli_usage_error(&usage_remote, "'%s' needs a NAME", sub);
	} else if (!strcmp(sub, "list")) {
		if (nargs != 0)
			return cli_usage_error(&usage_remote, "unexpected argument '%s'", p.args[1]);
	} else {
		return cli_usage_error(&usage_remote, "unknown subcommand '%s'", sub);
	}
	if ((ret = cli_open_store(&store)) != 0)
		return ret;
	repo = gitchat_store_repository(store);
	if (!strcmp(sub, "add"))
		ret = remote_add(repo, p.args[1], p.args[2]);
	else if (!strcmp(sub, "set-url"))
		ret = remote_set_url(repo, p.args[1], p.args[2]);
	else if (!strcmp(sub, "remove") || !strcmp(sub, "rm"))
		ret = remote_remove(repo, p.args[1]);
	else
		ret = remote_list(store, verbose);
	gitchat_store_free(store);
	return ret;
}
