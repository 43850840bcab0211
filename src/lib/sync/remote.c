#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "gitchat/sync.h"
#include "sync/remote.h"
#include "util/buf.h"
#include "sync/url.h"
#include "util/error.h"

/* An absolute path with symlinks, "." and ".." resolved; for a path that
 * does not exist yet, its parent's real path and the last component. */
static int absolute_path(char **out, const char *path)
{
	char real[PATH_MAX], *copy = NULL, *slash;
	gitchat_buf buf = GITCHAT_BUF_INIT;
	const char *base;
	int error = 0;

	*out = NULL;
	if (realpath(path, real)) {
		*out = strdup(real);
		return *out ? 0 : gitchat_error_oom();
	}
	if (!(copy = strdup(path)))
		return gitchat_error_oom();
	while ((slash = strrchr(copy, '/')) && slash[1] == '\0' && slash != copy)
		*slash = '\0';          /* "dir/" -> "dir" */
	slash = strrchr(copy, '/');
	if (slash) {
		*slash = '\0';
		base = slash + 1;
		if (!realpath(*copy ? copy : "/", real)) {
			error = gitchat_error_set(GITCHAT_ENOTFOUND,
				"'%s' does not exist (is the disk mounted?); cannot use '%s'",
				*copy ? copy : "/", path);
			goto done;
		}
	} else {
		base = copy;
		if (!getcwd(real, sizeof(real))) {
			error = gitchat_error_set(GITCHAT_EIO, "cannot read the current directory: %s",
			                          strerror(errno));
			goto done;
		}
	}
	if (!strcmp(base, ".") || !strcmp(base, "..") || !*base) {
		error = gitchat_error_set(GITCHAT_EINVALID, "cannot use '%s' as a repository path", path);
		goto done;
	}
	if (gitchat_buf_printf(&buf, "%s%s%s", real, strcmp(real, "/") ? "/" : "", base) < 0) {
		error = GITCHAT_ENOMEM;
		goto done;
	}
	*out = gitchat_buf_detach(&buf);
done:
	free(copy);
	gitchat_buf_dispose(&buf);
	return error;
}

static int is_file_url(const char *url)
{
	return strncmp(url, "file://", 7) == 0;
}

static int is_local(const char *url)
{
	return is_file_url(url) || !sync_url_is_remote(url);
}

/* The canonical spelling of a URL or path, for naming and comparing. */
static int canonical(char **out, const char *url)
{
	size_t n;

	if (is_file_url(url))
		return absolute_path(out, url + 7);
	if (!sync_url_is_remote(url))
		return absolute_path(out, url);
	n = strlen(url);
	while (n > 1 && url[n - 1] == '/')
		n--;
	if (!(*out = strndup(url, n)))
		return gitchat_error_oom();
	return 0;
}

static int hashed_name(char **out, const char *canon)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	gitchat_buf buf = GITCHAT_BUF_INIT;

	crypto_hash_sha256(h, (const unsigned char *)canon, strlen(canon));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if (gitchat_buf_printf(&buf, "url-%.16s", hex) < 0)
		return GITCHAT_ENOMEM;
	*out = gitchat_buf_detach(&buf);
	return 0;
}

/* The configured remote whose URL is `canon`, if any. */
static int find_configured(char **out, git_repository *repo, const char *canon)
{
	git_strarray names = { 0 };
	size_t i;
	int error;

	*out = NULL;
	if ((error = sync_remote_list_configured(&names, repo)) < 0)
		return error;
	for (i = 0; i < names.count && !*out; i++) {
		git_remote *rem = NULL;
		char *c = NULL;
		if (git_remote_lookup(&rem, repo, names.strings[i]) < 0) {
			git_error_clear();
			continue;
		}
		if (git_remote_url(rem) && canonical(&c, git_remote_url(rem)) == 0 &&
		    !strcmp(c, canon) && !(*out = strdup(names.strings[i]))) {
			error = gitchat_error_oom();
		}
		gitchat_error_clear();
		free(c);
		git_remote_free(rem);
	}
	git_strarray_dispose(&names);
	return error < 0 ? error : 0;
}

static int fill_host(sync_target *r)
{
	sync_url u;
	int error;

	if (r->local)
		return 0;
	if ((error = sync_url_parse(&u, r->url)) < 0)
		return error;
	r->host = u.host;
	r->port = u.port;
	u.host = NULL;
	sync_url_dispose(&u);
	return 0;
}

static int unknown_remote(git_repository *repo, const char *arg)
{
	git_strarray names = { 0 };
	gitchat_buf list = GITCHAT_BUF_INIT;
	size_t i;
	int error;

	if ((error = sync_remote_list_configured(&names, repo)) < 0)
		return error;
	for (i = 0; i < names.count; i++)
		if (gitchat_buf_printf(&list, "%s'%s'", i ? ", " : "", names.strings[i]) < 0)
			break;
	error = gitchat_error_set(GITCHAT_ENOTFOUND,
		"no remote named '%s' (%s%s); to create a new repository at that path, "
		"write it as './%s'", arg, names.count ? "remotes: " : "no remotes configured",
		list.ptr ? list.ptr : "", arg);
	gitchat_buf_dispose(&list);
	git_strarray_dispose(&names);
	return error;
}

int sync_target_resolve(sync_target *r, git_repository *repo, const char *arg)
{
	git_remote *rem = NULL;
	char *canon = NULL;
	int error, valid = 0;

	if (!arg || !*arg)
		return gitchat_error_set(GITCHAT_EINVALID, "an empty remote name");
	if (!strstr(arg, "://") && git_remote_name_is_valid(&valid, arg) == 0 && valid &&
	    git_remote_lookup(&rem, repo, arg) == 0) {
		const char *url = git_remote_url(rem);
		if (!url || !*url) {
			error = gitchat_error_set(GITCHAT_EINVALID,
				"the remote '%s' has no URL; set one with 'git remote set-url %s URL'",
				arg, arg);
			goto done;
		}
		r->local = is_local(url);
		if (!(r->name = strdup(arg)))
			goto oom;
		if (r->local) {
			if ((error = canonical(&r->url, url)) < 0)
				goto done;
		} else if (!(r->url = strdup(url)) ||
		           (git_remote_pushurl(rem) && !(r->pushurl = strdup(git_remote_pushurl(rem))))) {
			goto oom;
		}
		error = fill_host(r);
		goto done;
	}
	git_error_clear();
	/* A bare word that names neither a remote nor an existing path is a
	 * typo far more often than a wish for a new repository here. */
	if (!strchr(arg, '/') && !strchr(arg, ':') && access(arg, F_OK) != 0) {
		error = unknown_remote(repo, arg);
		goto done;
	}
	if ((error = canonical(&canon, arg)) < 0)
		goto done;
	r->local = is_local(arg);
	r->url = canon;
	canon = NULL;
	if ((error = find_configured(&r->name, repo, r->url)) < 0 ||
	    (!r->name && (error = hashed_name(&r->name, r->url)) < 0))
		goto done;
	error = fill_host(r);
	goto done;
oom:
	error = gitchat_error_oom();
done:
	free(canon);
	git_remote_free(rem);
	return error;
}

/* The names of the configured remotes (remote.<name>.url), in config
 * order. Read by hand: git_remote_list() goes through libgit2's regex
 * matching, whose PCRE2 match data libgit2 1.5 leaks on every call, and a
 * `follow` loop calls this again and again. */
int sync_remote_list_configured(git_strarray *out, git_repository *repo)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	char **names = NULL, **nn;
	size_t n = 0, i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = git_repository_config_snapshot(&cfg, repo)) < 0 ||
	    (error = git_config_iterator_new(&it, cfg)) < 0) {
		error = gitchat_error_from_git(error, "cannot read the remotes from the git config");
		goto done;
	}
	while ((error = git_config_next(&e, it)) == 0) {
		size_t len = strlen(e->name);
		char *name;
		if (len <= 11 || strncmp(e->name, "remote.", 7) || strcmp(e->name + len - 4, ".url"))
			continue;
		if (!(name = strndup(e->name + 7, len - 11))) {
			error = gitchat_error_oom();
			goto done;
		}
		for (i = 0; i < n && strcmp(names[i], name); i++)
			;
		if (i < n) {
			free(name);
			continue;
		}
		if (!(nn = realloc(names, (n + 1) * sizeof(*nn)))) {
			free(name);
			error = gitchat_error_oom();
			goto done;
		}
		names = nn;
		names[n++] = name;
	}
	if (error != GIT_ITEROVER) {
		error = gitchat_error_from_git(error, "cannot read the remotes from the git config");
		goto done;
	}
	out->strings = names;
	out->count = n;
	names = NULL;
	error = 0;
done:
	if (names) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	git_config_iterator_free(it);
	git_config_free(cfg);
	return error;
}

void sync_target_dispose(sync_target *t)
{
	free(t->name);
	free(t->url);
	free(t->pushurl);
	free(t->host);
	memset(t, 0, sizeof(*t));
}

int gitchat_sync_remotes(git_strarray *out, gitchat_store *store)
{
	return sync_remote_list_configured(out, gitchat_store_repository(store));
}

int gitchat_sync_remote_name(gitchat_buf *out, gitchat_store *store, const char *remote)
{
	sync_target t;
	int error;

	memset(&t, 0, sizeof(t));
	if ((error = sync_target_resolve(&t, gitchat_store_repository(store), remote)) == 0)
		error = gitchat_buf_puts(out, t.name);
	sync_target_dispose(&t);
	return error;
}
