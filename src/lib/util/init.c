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
	/* Reading a whole room touches every page of its packs. libgit2 maps
	 * them in windows of up to 1 GiB and keeps up to 8 GiB mapped, all of
	 * it resident once read; small windows, few at a time, keep a reader
	 * of a million messages within a few dozen MiB of pack. */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)8 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)32 << 20);
	return 0;
}

void gitchat_shutdown(void)
{
	git_libgit2_shutdown();
}
