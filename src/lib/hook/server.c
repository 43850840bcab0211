/*
 * A bare repository set up to host rooms: the pre-receive hook, and git's
 * own receive.* guards as a second line (they also stop a forced push or a
 * deletion when the hook cannot run).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "gitchat/hook.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/options.h"

/* 0 when the hook can be written or is already ours, else why not. */
static int hook_state(int *present, const char *path)
{
	gitchat_buf have = GITCHAT_BUF_INIT;
	const char *want = gitchat_hook_script();
	struct stat st;
	int error = 0;

	*present = 0;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return gitchat_error_set(GITCHAT_EIO, "cannot read '%s': %s", path, strerror(errno));
	}
	if (S_ISREG(st.st_mode) && gitchat_fs_read(&have, path, 1 << 20) == 0 &&
	    have.size == strlen(want) && memcmp(have.ptr, want, have.size) == 0) {
		*present = 1;
		if ((st.st_mode & 0111) == 0 && chmod(path, 0755) < 0)
			error = gitchat_error_set(GITCHAT_EIO, "cannot make '%s' executable: %s",
			                          path, strerror(errno));
	} else {
		gitchat_error_clear();
		error = gitchat_error_set(GITCHAT_EEXISTS,
			"'%s' exists and is not git-chat's hook; move it away, or merge the two "
			"by hand (git-chat's hook is hooks/pre-receive in its sources: it runs "
			"'git-chat hook pre-receive' with the same stdin)", path);
	}
	gitchat_buf_dispose(&have);
	return error;
}

static int refuse_hooks_path(git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	int error;

	if ((error = git_repository_config_snapshot(&cfg, repo)) < 0)
		return gitchat_error_from_git(error, "cannot read the git config");
	if (git_config_get_string_buf(&v, cfg, "core.hooksPath") == 0)
		error = gitchat_error_set(GITCHAT_EINVALID,
			"git config core.hooksPath is '%s', so git would not run the hook in '%shooks'; "
			"unset it, or copy git-chat's hooks/pre-receive into that directory by hand",
			v.ptr, git_repository_path(repo));
	git_error_clear();
	git_buf_dispose(&v);
	git_config_free(cfg);
	return error;
}

static int set_config(git_repository *repo, const gitchat_server_options *o)
{
	git_config *cfg = NULL;
	int error;

	if ((error = git_repository_config(&cfg, repo)) < 0)
		return gitchat_error_from_git(error, "cannot open the git config of the repository");
	if ((error = git_config_set_bool(cfg, "receive.denyNonFastForwards", 1)) < 0 ||
	    (error = git_config_set_bool(cfg, "receive.denyDeletes", 1)) < 0 ||
	    (error = git_config_set_bool(cfg, "receive.fsckObjects", 1)) < 0 ||
	    (o->http_receive_pack && (error = git_config_set_bool(cfg, "http.receivepack", 1)) < 0) ||
	    (o->chat_only && (error = git_config_set_string(cfg, "chat.hook.otherRefs", "deny")) < 0) ||
	    (o->private_members &&
	     (error = git_config_set_bool(cfg, "chat.hook.privateMembers", 1)) < 0) ||
	    (o->program && (error = git_config_set_string(cfg, "chat.hook.program", o->program)) < 0))
		error = gitchat_error_from_git(error, "cannot write the git config of the repository");
	git_config_free(cfg);
	return error;
}

int gitchat_server_init(gitchat_store **out, const char *path, const gitchat_server_options *opts)
{
	gitchat_server_options o = GITCHAT_SERVER_OPTIONS_INIT;
	gitchat_store *store = NULL;
	gitchat_buf hooks = GITCHAT_BUF_INIT, hook = GITCHAT_BUF_INIT;
	const char *script = gitchat_hook_script();
	int present, error;

	if (out)
		*out = NULL;
	if (opts) {
		if (opts->version != GITCHAT_SERVER_OPTIONS_VERSION)
			return gitchat_error_set(GITCHAT_EINVALID,
				"unknown gitchat_server_options version %u", opts->version);
		o = *opts;
	}
	if (o.program && (!*o.program || strchr(o.program, '\n')))
		return gitchat_error_set(GITCHAT_EINVALID,
			"the hook's program '%s' is empty or holds a newline", o.program);
	if ((error = gitchat_store_init(&store, path)) < 0)
		return error;
	if (!git_repository_is_bare(gitchat_store_repository(store))) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"'%s' is a repository with a working tree; a server repository must be bare: "
			"choose a new path for 'git chat init --server'", path);
		goto done;
	}
	if ((error = refuse_hooks_path(gitchat_store_repository(store))) < 0)
		goto done;
	if (gitchat_buf_printf(&hooks, "%shooks",
	                       git_repository_path(gitchat_store_repository(store))) < 0 ||
	    gitchat_buf_printf(&hook, "%s/pre-receive", hooks.ptr) < 0) {
		error = gitchat_error_oom();
		goto done;
	}
	/* Everything that can refuse comes before the first write. */
	if ((error = hook_state(&present, hook.ptr)) < 0)
		goto done;
	if ((error = set_config(gitchat_store_repository(store), &o)) < 0)
		goto done;
	if (!present &&
	    ((error = gitchat_fs_mkdir_p(hooks.ptr, 0755)) < 0 ||
	     (error = gitchat_fs_write_new(hook.ptr, script, strlen(script), 0755, 0)) < 0))
		goto done;
done:
	gitchat_buf_dispose(&hooks);
	gitchat_buf_dispose(&hook);
	if (error < 0 || !out)
		gitchat_store_free(store);
	else
		*out = store;
	return error;
}

GITCHAT_OPTIONS_INIT_FUNCTION(gitchat_server_options_init, gitchat_server_options, GITCHAT_SERVER_OPTIONS_INIT, GITCHAT_SERVER_OPTIONS_VERSION)
