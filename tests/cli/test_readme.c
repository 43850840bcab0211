/*
 * A newcomer's first steps: the README's (sharing a repository, the first
 * commands) and the demo it starts with, which tells each step.
 */
#include <stdlib.h>
#include <criterion/criterion.h>

#include "testchat.h"


Test(readme, readme_shows_sharing_and_the_first_steps)
{
	char *readme = t_read_file(GITCHAT_SOURCE_DIR "/README.md", NULL);
	const char *use = strstr(readme, "\n## Use");

	cr_assert(use, "no Use section");
	/* The first lines stay the two commands. */
	t_assert_contains(readme, "sh contrib/demo.sh");
	t_assert_contains(readme, "sh tests/run-all.sh");
	t_assert_contains(use, "## Chatting through a shared repository");
	t_assert_contains(use, "git chat init --server");
	t_assert_contains(use, "git chat remote add");
	t_assert_contains(use, "git chat sync");
	t_assert_contains(use, "git chat follow");
	t_assert_contains(use, "git log --all");
	t_assert_contains(use, "no rooms yet");
	free(readme);
}

Test(readme, demo_tells_each_step, .timeout = 300)
{
	/* With DEMO_GIT_CHAT the demo uses this build (no install, no build). */
	t_run r = t_sh("DEMO_GIT_CHAT='%s' sh '%s/contrib/demo.sh' </dev/null", GITCHAT_BIN,
	               GITCHAT_SOURCE_DIR);

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "using " GITCHAT_BIN);
	t_assert_contains(r.err, "Alice sends");
	t_assert_contains(r.err, "Bob syncs");
	t_assert_contains(r.out, "Great, thanks!");
	t_run_free(&r);
}
