/* Where the user's key is (DESIGN.md "Identity"): the first rule that
 * names one wins. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

#include "gitchat/identity.h"
#include "util/buf.h"
#include "util/error.h"

const char *gitchat_key_source_name(gitchat_key_source source)
{
	switch (source) {
	case GITCHAT_KEY_SOURCE_OPTION: return "--key";
	case GITCHAT_KEY_SOURCE_ENV: return "GIT_CHAT_KEY";
	case GITCHAT_KEY_SOURCE_CHAT_KEY: return "git config chat.key";
	case GITCHAT_KEY_SOURCE_SIGNING_KEY: return "git config user.signingKey";
	case GITCHAT_KEY_SOURCE_DEFAULT: return "the default place";
	}
	return "?";
}

/* git's user.signingKey with gpg.format=ssh: a path (git expands "~/"), a
 * "key::" literal, or a bare "ssh-..." line, which git reads as a literal
 * too (a form it keeps for old configs). */
static int signing_key(gitchat_buf *out, git_config *cfg)
{
	git_buf fmt = GIT_BUF_INIT, v = GIT_BUF_INIT;
	int found = 0, error = 0;

	if (git_config_get_string_buf(&fmt, cfg, "gpg.format") != 0 ||
	    strcasecmp(fmt.ptr, "ssh") != 0)
		goto done;
	if (git_config_get_string_buf(&v, cfg, "user.signingkey") != 0 || !v.size)
		goto done;
	if (!strncmp(v.ptr, "key::", 5))
		error = gitchat_buf_puts(out, v.ptr);
	else if (!strncmp(v.ptr, "ssh-", 4))
		error = gitchat_buf_printf(out, "key::%s", v.ptr);
	else {
		git_buf_dispose(&v);
		if (git_config_get_path(&v, cfg, "user.signingkey") != 0) {
			error = gitchat_error_set(GITCHAT_EINVALID,
				"git config user.signingKey is not a path git-chat can expand; "
				"write it as an absolute path, '~/PATH' or 'key::ssh-ed25519 ...'");
			goto done;
		}
		error = gitchat_buf_puts(out, v.ptr);
	}
	found = 1;
done:
	git_buf_dispose(&fmt);
	git_buf_dispose(&v);
	git_error_clear();
	return error < 0 ? error : found;
}

int gitchat_key_locate(gitchat_buf *out, gitchat_key_source *source, git_repository *repo,
                       const char *given)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	gitchat_key_source src;
	const char *env, *home;
	int error;

	gitchat_buf_clear(out);
	if (given && *given) {
		src = GITCHAT_KEY_SOURCE_OPTION;
		error = gitchat_buf_puts(out, given);
		goto done;
	}
	if ((env = getenv("GIT_CHAT_KEY")) && *env) {
		src = GITCHAT_KEY_SOURCE_ENV;
		error = gitchat_buf_puts(out, env);
		goto done;
	}
	error = repo ? git_repository_config_snapshot(&cfg, repo) : git_config_open_default(&cfg);
	if (error == 0 && git_config_get_path(&v, cfg, "chat.key") == 0 && v.size) {
		src = GITCHAT_KEY_SOURCE_CHAT_KEY;
		error = gitchat_buf_puts(out, v.ptr);
		goto done;
	}
	git_error_clear();
	if (cfg && (error = signing_key(out, cfg)) != 0) {
		src = GITCHAT_KEY_SOURCE_SIGNING_KEY;
		error = error > 0 ? 0 : error;
		goto done;
	}
	src = GITCHAT_KEY_SOURCE_DEFAULT;
	if ((env = getenv("XDG_CONFIG_HOME")) && *env)
		error = gitchat_buf_printf(out, "%s/git-chat/id_ed25519", env);
	else if ((home = getenv("HOME")) && *home)
		error = gitchat_buf_printf(out, "%s/.config/git-chat/id_ed25519", home);
	else
		error = gitchat_error_set(GITCHAT_ENOTFOUND,
			"cannot find a key: neither HOME nor XDG_CONFIG_HOME is set; use --key PATH");
done:
	if (error == 0 && source)
		*source = src;
	if (error < 0)
		gitchat_buf_clear(out);
	git_buf_dispose(&v);
	git_config_free(cfg);
	return error;
}

int gitchat_key_path_find(gitchat_buf *out, git_repository *repo, const char *given)
{
	return gitchat_key_locate(out, NULL, repo, given);
}

int gitchat_key_public_read(gitchat_pubkey *out, const char *location)
{
	gitchat_key *key = NULL;
	int error;

	/* A key file's .pub first: readers never open a private key. */
	if (strncmp(location, "key::", 5) != 0 && gitchat_pubkey_load(out, location) == 0)
		return 0;
	gitchat_error_clear();
	if ((error = gitchat_key_open(&key, location)) == 0)
		*out = *gitchat_key_public(key);
	gitchat_key_free(key);
	return error;
}
