/*
 * Bash completion of 'git chat' through git's own completion: the script
 * that 'cmake --install' puts in share/bash-completion/completions/git-chat
 * (written by the built git-chat from its option tables) is found by
 * bash-completion's loader when git's __git_complete_command asks for
 * "git-chat", and _git_chat completes commands, options, their values and
 * the store's rooms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define BASH_COMPLETION "/usr/share/bash-completion/bash_completion"
#define GIT_COMPLETION "/usr/share/bash-completion/completions/git"

static const char *prefix;
static char *store;

/* Installs once per process; a store with rooms general and random. */
static void setup(void)
{
	const char *dir = t_scratch();
	char *key;
	t_run r;

	cr_assert_eq(access(BASH_COMPLETION, R_OK), 0, "bash-completion is not installed "
	             "(.ci/install-deps installs it)");
	cr_assert_eq(access(GIT_COMPLETION, R_OK), 0, "git's bash completion is not installed");
	prefix = t_path(dir, "inst");
	r = t_sh("cmake --install '%s' --prefix '%s' >/dev/null", GITCHAT_BUILD_DIR, prefix);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	store = t_store(dir, "store");
	key = t_keygen(dir, "k", 1);
	free(t_send(store, key, "general", "hi"));
	free(t_send(store, key, "random", "hi"));
	free(t_git(store, "remote add upstream /nowhere"));
}

/* What bash completes at the end of `line`, sorted, one a line: git's
 * completion as a user's shell loads it, the installed git-chat on PATH and
 * its share/ in XDG_DATA_DIRS (where bash-completion looks). */
static char *complete(const char *line)
{
	char *script = t_fmt(
		"source " BASH_COMPLETION "\n"
		"source " GIT_COMPLETION "\n"
		"COMP_LINE='%s'; COMP_POINT=${#COMP_LINE}\n"
		"read -ra COMP_WORDS <<<\"$COMP_LINE\"\n"
		"[ \"${COMP_LINE: -1}\" = ' ' ] && COMP_WORDS+=('')\n"
		"COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
		"__git_wrap__git_main\n"
		"printf '%%s\\n' \"${COMPREPLY[@]}\" | sed 's/ $//' | sort\n", line);
	char *path = t_path(t_scratch(), "complete.sh");
	t_run r;

	t_write_file(path, script, strlen(script));
	r = t_sh("cd '%s' && PATH='%s/bin':\"$PATH\" XDG_DATA_DIRS='%s/share:/usr/share' "
	         "GIT_DIR='%s' bash '%s'", t_scratch(), prefix, prefix, store, path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	return t_keep(strdup(r.out));
}

TestSuite(completion, .init = setup);

Test(completion, installs_the_script_where_bash_completion_looks)
{
	char *path = t_fmt("%s/share/bash-completion/completions/git-chat", prefix), *s;

	cr_assert_eq(access(path, R_OK), 0, "'%s' is not installed", path);
	s = t_read_file(path, NULL);

	t_assert_contains(s, "_git_chat ()");
	/* The same script the tables give now. */
	t_run r = t_chatv(NULL, "completion", "bash");
	cr_assert_str_eq(r.out, s);
	t_run_free(&r);
}

Test(completion, commands)
{
	char *c = complete("git chat ");

	t_assert_contains(c, "log\n");
	t_assert_contains(c, "sync\n");
	t_assert_contains(c, "allowed-signers\n");
	cr_assert_null(strstr(c, "completion"), "the hidden command is offered:\n%s", c);
	cr_assert_str_eq(complete("git chat sy"), "sync\n");
	cr_assert_str_eq(complete("git chat --no-pager fo"), "follow\n");
}

Test(completion, options_from_the_tables)
{
	char *c = complete("git chat log --");

	t_assert_contains(c, "--room=\n");
	t_assert_contains(c, "--after=\n");
	t_assert_contains(c, "--unread\n");
	t_assert_contains(c, "--no-mark-read\n");
	cr_assert_null(strstr(c, "--colour"), "an alias is offered:\n%s", c);
	cr_assert_str_eq(complete("git chat sync --no-p"), "--no-push\n");
	cr_assert_str_eq(complete("git chat log --format="), "json\ntext\n");
	cr_assert_str_eq(complete("git chat log --color "), "always\nauto\nnever\n");
	/* Options after the operands too. */
	cr_assert_str_eq(complete("git chat sync upstream --no-f"), "--no-fetch\n");
}

Test(completion, rooms_and_remotes)
{
	cr_assert_str_eq(complete("git chat log -r "), "general\nrandom\n");
	cr_assert_str_eq(complete("git chat log --room=ra"), "random\n");
	cr_assert_str_eq(complete("git chat send -m hi --room g"), "general\n");
	cr_assert_str_eq(complete("git chat sync up"), "upstream\n");
}
