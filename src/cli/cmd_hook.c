#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const cli_usage usage_hook = {
	"hook",
	"usage: git chat hook pre-receive\n",
	"The server side of git-chat, run by a bare repository's hooks/pre-receive\n"
	"(installed by 'git chat init --server'). Reads git's 'OLD NEW REFNAME' lines\n"
	"on stdin and accepts the push only if every update under refs/chat/ is\n"
	"valid: the ref is refs/chat/<room>/<key>, it is created or fast-forwarded\n"
	"(never deleted or rewritten), every new commit is a valid message of the room\n"
	"(signature, chat-room, parents, limits) and the new head is signed by the\n"
	"ref's key. Refs outside refs/chat/ are left to the server's other rules,\n"
	"unless git config chat.hook.otherRefs is 'deny'.\n"
	"\n"
	"Only the commits the push adds are verified; the room's current heads are\n"
	"trusted, having passed this hook before. Nothing is written to the repository.\n"
	"\n"
	"One refused ref refuses the whole push (git's pre-receive contract). Each\n"
	"refused ref gets one line on stderr, which git relays to the pusher as\n"
	"'remote: error: ...'. Exits 0 to accept, 1 to refuse, 128 when it cannot\n"
	"check (which refuses the push too).\n",
	(const cli_option[]){
		CLI_OPT_END
	},
	NULL,
	"pre-receive"
};

static int report(const gitchat_problem *p, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1];

	(void)payload;
	if (p->commit)
		fprintf(stderr, "error: refusing %s: commit %s: %s\n", p->refname,
		        git_oid_tostr(hex, sizeof(hex), p->commit), p->reason);
	else
		fprintf(stderr, "error: refusing %s: %s\n", p->refname, p->reason);
	return 0;
}

static int pre_receive(void)
{
	gitchat_hook_options opts = GITCHAT_HOOK_OPTIONS_INIT;
	gitchat_hook *hook = NULL;
	gitchat_buf in = GITCHAT_BUF_INIT;
	size_t chat;
	const char *p, *end, *eol;
	int ret, error;

	if ((ret = cli_read_fd(&in, STDIN_FILENO, (size_t)256 << 20, "the ref updates on stdin")) != 0)
		goto done;
	if (in.size == (size_t)256 << 20) {
		ret = cli_fatal("more than 256 MiB of ref updates on stdin; refusing the push");
		goto done;
	}
	/* git computed the id of every pushed object from its bytes when it
	 * received the pack; libgit2 would hash each object again on every
	 * read. This process reads nothing else. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	if (gitchat_hook_new(&hook, NULL, &opts) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	for (p = in.ptr, end = in.ptr + in.size; p && p < end; p = eol + 1) {
		if (!(eol = memchr(p, '\n', (size_t)(end - p))))
			eol = end;
		if (gitchat_hook_add_line(hook, p, (size_t)(eol - p)) < 0) {
			ret = cli_fatal_lib();
			goto done;
		}
	}
	error = gitchat_hook_check(hook, report, NULL);
	gitchat_hook_count(hook, &chat);
	if (error == GITCHAT_EVERIFY) {
		fprintf(stderr, "error: git-chat refused this push (%s): a pre-receive hook "
		        "takes all of a push or nothing, so no ref was updated; push the valid "
		        "logs without the refused ones\n", gitchat_error_last()->message);
		ret = CLI_EXIT_PROBLEM;
	} else if (error < 0) {
		ret = cli_fatal("git-chat cannot check this push, so it is refused: %s",
		                gitchat_error_last()->message);
	} else {
		if (chat)
			fprintf(stderr, "git-chat: %zu chat log update%s verified\n", chat,
			        chat == 1 ? "" : "s");
		ret = 0;
	}
done:
	gitchat_hook_free(hook);
	gitchat_buf_dispose(&in);
	return ret;
}

int cmd_hook(int argc, char **argv)
{
	cli_parser p;
	int c;

	cli_parser_init(&p, &usage_hook, argc, argv);
	while ((c = cli_parse_next(&p)) > 0)
		;   /* no options of its own: -h, --help and unknown ones */
	if (c < 0)
		return p.exit;
	if (p.nargs < 1)
		return cli_usage_error(&usage_hook, "which hook? only 'pre-receive' exists");
	if (strcmp(p.args[0], "pre-receive") != 0)
		return cli_usage_error(&usage_hook, "'%s' is not a git-chat hook; only 'pre-receive' exists",
		                       p.args[0]);
	if (p.nargs > 1)
		return cli_usage_error(&usage_hook, "unexpected argument '%s'", p.args[1]);
	return pre_receive();
}
