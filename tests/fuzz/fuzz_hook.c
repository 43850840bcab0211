/* pre-receive input lines (hook/hook.c): "OLD NEW REFNAME" as git writes
 * them on the hook's stdin, then the check, against an empty bare
 * repository made once. Input: the hook's stdin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"

static char repo_path[] = "/tmp/gitchat-fuzz-hook-XXXXXX";

static void cleanup(void)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", repo_path);
	if (system(cmd) != 0) { /* a temporary directory left behind */ }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	git_repository *repo = NULL;

	(void)argc; (void)argv;
	fz_init();
	if (!mkdtemp(repo_path) || git_repository_init(&repo, repo_path, 1) < 0)
		abort();
	git_repository_free(repo);
	atexit(cleanup);
	return 0;
}

static int on_problem(const gitchat_problem *problem, void *payload)
{
	if (!problem->refname || !problem->reason || !problem->reason[0])
		fz_fail("a refused update without a ref or a reason", NULL, 0, 0);
	++*(size_t *)payload;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_hook_options opts = GITCHAT_HOOK_OPTIONS_INIT;
	gitchat_hook *hook = NULL;
	size_t refused = 0, lines = 0, chat;
	const uint8_t *p = data, *end = data + size;
	int error;

	opts.other_refs = size && (data[0] & 1) ? GITCHAT_HOOK_OTHER_REFS_DENY
	                                        : GITCHAT_HOOK_OTHER_REFS_ALLOW;
	if (gitchat_hook_new(&hook, repo_path, &opts) < 0)
		abort();
	while (p < end && lines < 64) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		gitchat_hook_add_line(hook, (const char *)p, len);
		p += len;
		lines++;
	}
	gitchat_hook_count(hook, &chat);
	error = gitchat_hook_check(hook, on_problem, &refused);
	if (error == GITCHAT_EVERIFY && refused == 0)
		fz_fail("a refused push that names no refused update", NULL, 0, 0);
	gitchat_hook_free(hook);
	return 0;
}
