/*
 * gitchat_send called directly: what it leaves on a repository the caller
 * owns (gitchat_store_wrap), and its refusals as return codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

Test(send_lib, wrapped_repository_keeps_its_ident)
{
	const char *dir = t_scratch();
	char *path = t_fmt("%s/work", dir);
	git_repository *repo = NULL;
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	const char *name = NULL, *email = NULL;
	git_oid id;

	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(git_repository_init(&repo, path, 0), 0);
	cr_assert_eq(git_repository_set_ident(repo, "Caller", "caller@example.org"), 0);
	cr_assert_eq(gitchat_store_wrap(&store, repo), 0);
	cr_assert_eq(gitchat_key_generate(&key, "k"), 0);
	o.room = "general";
	o.text = "hello";
	o.text_len = 5;
	o.author_name = "Author";
	o.author_email = "author@example.org";
	/* Reflogs for every ref: the entry names the message's author. */
	free(t_git(t_fmt("%s/.git", path), "config core.logAllRefUpdates always"));
	cr_assert_eq(gitchat_send(&id, store, key, &o), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(git_repository_ident(&name, &email, repo), 0);
	cr_assert_str_eq(name, "Caller");
	cr_assert_str_eq(email, "caller@example.org");
	char hex[GITCHAT_PUBKEY_HEXSIZE];
	gitchat_pubkey_hex(hex, gitchat_key_public(key));
	char *log = t_git(t_fmt("%s/.git", path), "reflog show --format='%%gn <%%ge> %%gs' "
	                  "refs/chat/general/%s", hex);
	cr_assert_str_eq(log, "Author <author@example.org> git-chat: send");

	/* Without an ident of its own the repository has none afterwards. */
	cr_assert_eq(git_repository_set_ident(repo, NULL, NULL), 0);
	o.text = "again";
	o.text_len = 5;
	cr_assert_eq(gitchat_send(&id, store, key, &o), 0);
	cr_assert_eq(git_repository_ident(&name, &email, repo), 0);
	cr_assert_null(name);
	cr_assert_null(email);

	/* Refusals are return codes with a message, and write nothing. */
	char *before = t_snapshot(t_fmt("%s/.git", path));
	o.room = "Bad";
	cr_assert_eq(gitchat_send(&id, store, key, &o), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "room");
	o.room = "general";
	o.text = " \n";
	o.text_len = 2;
	cr_assert_eq(gitchat_send(&id, store, key, &o), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "empty");
	o.text = "x";
	o.text_len = 1;
	o.version = 99;
	cr_assert_eq(gitchat_send(&id, store, key, &o), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "version");
	cr_assert_str_eq(t_snapshot(t_fmt("%s/.git", path)), before);

	gitchat_key_free(key);
	gitchat_store_free(store);
	git_repository_free(repo);
}
