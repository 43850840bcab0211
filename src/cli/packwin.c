/*
 * libgit2's pack windows, a process-wide setting that the library leaves
 * alone (gitchat/conversation.h) and the command, which owns its process,
 * chooses.
 *
 * Building a room's order reads every commit, touching every page of its
 * packs: libgit2 maps them in windows of up to 1 GiB and keeps up to 8 GiB
 * mapped, all of it resident once read. Small windows, few at a time, keep a
 * reader of a million messages within a few dozen MiB of pack. But libgit2
 * 1.5's pack writer (fetch) fails on large packs with such windows, so the
 * commands that fetch keep the defaults, and `follow`, which reads and
 * fetches in turn, switches around each read.
 */
#include "cli.h"

static size_t default_window, default_limit;
static int saved;

void cli_pack_windows_small(int small)
{
	if (!saved) {
		git_libgit2_opts(GIT_OPT_GET_MWINDOW_SIZE, &default_window);
		git_libgit2_opts(GIT_OPT_GET_MWINDOW_MAPPED_LIMIT, &default_limit);
		saved = 1;
	}
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, small ? (size_t)8 << 20 : default_window);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, small ? (size_t)32 << 20 : default_limit);
}

/* libgit2 keeps every commit and tree it reads (up to 4 KiB each) in a
 * cache of up to 256 MiB per repository: a sync or a first read of a
 * room of 100,000 messages held about 80 MB of commits it had already
 * checked. git-chat reads each commit once per pass and keeps what it
 * needs itself; a small cache serves the lookups that repeat (trees,
 * the commits around a head). */
void cli_object_cache_small(void)
{
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(8 << 20));
}
