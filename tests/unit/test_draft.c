/* Drafts (view/draft.c): saved atomically per room, loaded back, removed
 * when empty; a room name that is not one is refused. */
#include <sys/stat.h>
#include <criterion/criterion.h>
#include "testchat.h"

Test(draft, save_load_remove)
{
	const char *dir = t_scratch();
	char *path = t_store(dir, "s"), *file;
	gitchat_store *st = NULL;
	gitchat_buf b = GITCHAT_BUF_INIT;
	struct stat sb;

	t_lib_init();
	cr_assert_eq(gitchat_store_open(&st, path), 0);
	cr_assert_eq(gitchat_draft_load(&b, st, "general"), 0);
	cr_assert_eq(b.size, 0);
	cr_assert_eq(gitchat_draft_save(st, "general", "line 1\nline 2", 13), 0);
	cr_assert_eq(gitchat_draft_save(st, "other", "x", 1), 0);
	cr_assert_eq(gitchat_draft_load(&b, st, "general"), 0);
	cr_assert_eq(b.size, 13);
	cr_assert_eq(memcmp(b.ptr, "line 1\nline 2", 13), 0);
	file = t_fmt("%s/chat/drafts/general", path);
	cr_assert_eq(stat(file, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(gitchat_draft_save(st, "general", "", 0), 0);
	cr_assert(stat(file, &sb) < 0);
	cr_assert_eq(gitchat_draft_load(&b, st, "general"), 0);
	cr_assert_eq(b.size, 0);
	cr_assert_eq(gitchat_draft_load(&b, st, "other"), 0);
	cr_assert_eq(b.size, 1);
	cr_assert_lt(gitchat_draft_save(st, "../escape", "x", 1), 0);
	cr_assert_lt(gitchat_draft_load(&b, st, "../escape"), 0);
	gitchat_buf_dispose(&b);
	gitchat_store_free(st);
}
