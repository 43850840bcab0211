#include <git2.h>
#include <sodium.h>

#include "gitchat/common.h"
#include "util/error.h"

int gitchat_init(void)
{
	if (sodium_init() < 0)
		return gitchat_error_set(GITCHAT_ERROR, "cannot initialise libsodium");
	if (git_libgit2_init() < 0)
		return gitchat_error_from_git(-1, "cannot initialise libgit2");
	return 0;
}

void gitchat_shutdown(void)
{
	git_libgit2_shutdown();
}
