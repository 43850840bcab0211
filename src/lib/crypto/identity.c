#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gitchat/identity.h"
#include "util/buf.h"
#include "util/error.h"

int gitchat_key_path_find(gitchat_buf *out, git_repository *repo, const char *given)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	const char *env, *home;
	int error;

	gitchat_buf_clear(out);
	if (given && *given)
		return gitchat_buf_puts(out, given);
	if ((env = getenv("GIT_CHAT_KEY")) && *env)
		return gitchat_buf_puts(out, env);
	error = repo ? git_repository_config_snapshot(&cfg, repo) : git_config_open_default(&cfg);
	if (error == 0 && git_config_get_path(&v, cfg, "chat.key") == 0 && v.size) {
		error = gitchat_buf_puts(out, v.ptr);
		goto done;
	}
	if ((env = getenv("XDG_CONFIG_HOME")) && *env)
		error = gitchat_buf_printf(out, "%s/git-chat/id_ed25519", env);
	else if ((home = getenv("HOME")) && *home)
		error = gitchat_buf_printf(out, "%s/.config/git-chat/id_ed25519", home);
	else
		error = gitchat_error_set(GITCHAT_ENOTFOUND,
			"cannot find a key: neither HOME nor XDG_CONFIG_HOME is set; use --key PATH");
done:
	git_buf_dispose(&v);
	git_config_free(cfg);
	return error;
}
