#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_usage_error(const cli_usage *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage_print_synopsis(stderr, usage);
	return CLI_EXIT_USAGE;
}

int cli_fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FATAL;
}

int cli_fatal_lib(void)
{
	return cli_fatal("%s", gitchat_error_last()->message);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_open_store(gitchat_store **out)
{
	return gitchat_store_open(out, NULL) < 0 ? cli_fatal_lib() : 0;
}

void cli_warn_key_mode(const char *path, const gitchat_key *key)
{
	struct stat st;

	/* ssh refuses a private key others can read; we only warn, because a
	 * key from a checkout or a copied test fixture is often 0644. */
	if (!gitchat_key_agent_signs(key) && stat(path, &st) == 0 && (st.st_mode & 077))
		cli_warn("the private key '%s' is open to other users (mode %04o), and ssh "
		         "refuses such a key; to fix it: chmod 600 '%s'", path,
		         (unsigned)(st.st_mode & 07777), path);
}

int cli_load_key(gitchat_key **out, git_repository *repo, const char *given)
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	int error;

	if ((error = gitchat_key_path_find(&path, repo, given)) == 0 &&
	    (error = gitchat_key_open(out, path.ptr)) == 0 &&
	    (error = gitchat_key_agent_check(*out)) < 0) {
		/* Said before any work: the agent is asked again when signing. */
		gitchat_key_free(*out);
		*out = NULL;
	}
	if (error == 0)
		cli_warn_key_mode(path.ptr, *out);
	gitchat_buf_dispose(&path);
	return error < 0 ? cli_fatal_lib() : 0;
}

int cli_room(char **out, git_repository *repo, const char *given)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	const char *room = given;

	if (!room && repo && git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&v, cfg, "chat.room") == 0)
		room = v.ptr;
	if (!room)
		room = "general";
	if (gitchat_room_validate(room) < 0) {
		git_buf_dispose(&v);
		git_config_free(cfg);
		return cli_fatal_lib();
	}
	*out = strdup(room);
	git_buf_dispose(&v);
	git_config_free(cfg);
	return *out ? 0 : cli_fatal("out of memory");
}

int cli_read_fd(gitchat_buf *out, int fd, size_t max, const char *what)
{
	char chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cli_fatal("cannot read %s: %s", what, strerror(errno));
		if (n == 0)
			return 0;
		/* Reading stops just past the limit; the caller's own check then
		 * says how large the text is and what the limit is. */
		if (out->size + (size_t)n > max) {
			n = (ssize_t)(max - out->size);
			if (gitchat_buf_put(out, chunk, (size_t)n) < 0)
				return cli_fatal("out of memory");
			return 0;
		}
		if (gitchat_buf_put(out, chunk, (size_t)n) < 0)
			return cli_fatal("out of memory");
	}
}

int cli_write_out(const char *data, size_t len)
{
	return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

int cli_resolve_oid(git_oid *out, git_repository *repo, const char *spec)
{
	git_object *obj = NULL;
	size_t n = strlen(spec), i;

	for (i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", spec[i]))
			break;
	if (n < 4 || n > GIT_OID_HEXSZ || i != n)
		return cli_fatal("'%s' is not a commit id (4 to 40 hex digits)", spec);
	if (git_revparse_single(&obj, repo, spec) < 0 ||
	    git_object_type(obj) != GIT_OBJECT_COMMIT) {
		git_object_free(obj);
		return cli_fatal("no message '%s' in this store; check the id with "
		                 "'git chat log --format=json'", spec);
	}
	git_oid_cpy(out, git_object_id(obj));
	git_object_free(obj);
	return 0;
}

int cli_send_id(git_oid *out, gitchat_store *store, const gitchat_key *key,
                const gitchat_send_options *o)
{
	/* A private room encrypts (gitchat/private.h). */
	return gitchat_room_type(o->room) == GITCHAT_ROOM_PRIVATE ?
	       gitchat_private_send(out, store, key, o) : gitchat_send(out, store, key, o);
}

int cli_send(gitchat_store *store, gitchat_key *key, const gitchat_send_options *o)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;

	if (cli_send_id(&id, store, key, o) < 0)
		return cli_fatal_lib();
	printf("%s\n", git_oid_tostr(hex, sizeof(hex), &id));
	return 0;
}

int cli_resolve_pubkey(gitchat_pubkey *out, gitchat_store *store, const char *spec)
{
	if (gitchat_pubkey_resolve(out, store, spec) < 0)
		return cli_fatal_lib();
	return 0;
}
