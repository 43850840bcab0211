/*
 * Credentials for libgit2's transports.
 *
 * ssh: the ssh-agent first (when SSH_AUTH_SOCK is set), then key files:
 * the option's key, git config chat.sshKey, ~/.ssh/id_ed25519, id_ecdsa,
 * id_rsa; each is offered once per connection, and when the server took
 * none the error says what was tried.
 *
 * http(s): git's own credential helpers, run as `git credential fill`,
 * `approve` (after the operation worked) and `reject` (when the server
 * refused the password), so that a token that works for `git push` works
 * here too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "sync/creds.h"
#include "sync/url.h"
#include "util/error.h"

static int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *local_user(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u && *u)
		return u;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "git";
}

static int set_failure(sync_creds *r, const char *msg)
{
	gitchat_buf_clear(r->failure);
	gitchat_buf_puts(r->failure, msg);
	git_error_set_str(GIT_ERROR_NET, msg);
	return GIT_EAUTH;
}

/* The n-th key file candidate (0-based), or NULL past the end. */
static int key_candidate(gitchat_buf *out, sync_creds *r, unsigned int n)
{
	static const char *defaults[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
	const char *home = getenv("HOME");
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;

	gitchat_buf_clear(out);
	if (n == 0) {
		if (r->opts->ssh_key)
			gitchat_buf_puts(out, r->opts->ssh_key);
		return 0;
	}
	if (n == 1) {
		if (git_repository_config_snapshot(&cfg, r->repo) == 0 &&
		    git_config_get_path(&v, cfg, "chat.sshKey") == 0)
			gitchat_buf_puts(out, v.ptr);
		git_error_clear();
		git_buf_dispose(&v);
		git_config_free(cfg);
		return 0;
	}
	if (n - 2 >= sizeof(defaults) / sizeof(*defaults))
		return -1;
	if (home)
		gitchat_buf_printf(out, "%s/.ssh/%s", home, defaults[n - 2]);
	return 0;
}

static int ssh_key_cred(git_credential **out, sync_creds *r, const char *user)
{
	gitchat_buf path = GITCHAT_BUF_INIT, pub = GITCHAT_BUF_INIT;
	int error = 1;

	/* stage 0: the agent; stages 1..: key files */
	while (error == 1) {
		unsigned int stage = r->ssh_stage++;
		if (stage == 0) {
			const char *sock = getenv("SSH_AUTH_SOCK");
			if (!sock || !*sock)
				continue;
			gitchat_buf_puts(&r->ssh_tried, "the ssh-agent");
			error = git_credential_ssh_key_from_agent(out, user);
			break;
		}
		if (key_candidate(&path, r, stage - 1) < 0) {
			error = -1;
			break;
		}
		if (!path.size || !file_exists(path.ptr))
			continue;
		/* Offer each file once even if it is named twice. */
		if (r->ssh_tried.size && strstr(r->ssh_tried.ptr, path.ptr))
			continue;
		if (r->ssh_tried.size)
			gitchat_buf_puts(&r->ssh_tried, ", ");
		gitchat_buf_puts(&r->ssh_tried, path.ptr);
		gitchat_buf_clear(&pub);
		gitchat_buf_printf(&pub, "%s.pub", path.ptr);
		error = git_credential_ssh_key_new(out, user, file_exists(pub.ptr) ? pub.ptr : NULL,
		                                   path.ptr, NULL);
	}
	if (error == -1 && !*r->cancelled) {
		gitchat_buf msg = GITCHAT_BUF_INIT;
		gitchat_buf_printf(&msg, "the ssh server took none of your keys for user '%s' "
			"(tried: %s); add your public key to ~/.ssh/authorized_keys on the server, "
			"load it into ssh-agent, or name its file with 'git config chat.sshKey PATH'",
			user, r->ssh_tried.size ? r->ssh_tried.ptr :
			"nothing: no ssh-agent and no ~/.ssh/id_ed25519");
		error = set_failure(r, msg.ptr ? msg.ptr : "no ssh key");
		gitchat_buf_dispose(&msg);
	}
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&pub);
	return error;
}

/* --- git credential helpers ------------------------------------------ */

/* Runs `git credential <action>` with `input`; collects stdout in `out`
 * (may be NULL). 0 when git exits 0. */
static int run_git_credential(sync_creds *r, const char *action, const char *input,
                              gitchat_buf *out)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status = 0, error = -1;
	size_t len = strlen(input), written = 0;
	pid_t pid;
	char chunk[4096];

	/* git's standard input is a socket, not a pipe: git may exit before
	 * reading it, and send(MSG_NOSIGNAL) then fails with EPIPE where a
	 * write to a pipe would raise SIGPIPE, whose disposition belongs to the
	 * program, not to this library. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
	    pipe2(outp, O_CLOEXEC) < 0)
		goto done;
	if ((pid = fork()) < 0)
		goto done;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		setenv("GIT_DIR", git_repository_path(r->repo), 1);
		if (r->opts->flags & GITCHAT_SYNC_NO_PROMPT)
			setenv("GIT_TERMINAL_PROMPT", "0", 1);
		execlp("git", "git", "credential", action, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	while (written < len) {
		ssize_t w = send(in[1], input + written, len - written, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		written += (size_t)w;
	}
	close(in[1]);
	in[1] = -1;
	for (;;) {
		ssize_t n = read(outp[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out && gitchat_buf_put(out, chunk, (size_t)n) < 0)
			break;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	error = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
done:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	sodium_memzero(chunk, sizeof(chunk));
	return error;
}

/* "protocol=..\nhost=..\npath=..\n[username=..\n][password=..\n]\n" */
static int credential_input(gitchat_buf *in, const char *url, const char *user,
                            const char *pass)
{
	sync_url u;
	int error;

	if ((error = sync_url_parse(&u, url)) < 0)
		return error;
	gitchat_buf_printf(in, "protocol=%s\nhost=%s", u.scheme, u.host);
	if ((!strcmp(u.scheme, "http") && u.port != 80) || (!strcmp(u.scheme, "https") && u.port != 443))
		gitchat_buf_printf(in, ":%d", u.port);
	gitchat_buf_printf(in, "\npath=%s\n", u.path[0] == '/' ? u.path + 1 : u.path);
	if (user)
		gitchat_buf_printf(in, "username=%s\n", user);
	if (pass)
		gitchat_buf_printf(in, "password=%s\n", pass);
	error = gitchat_buf_putc(in, '\n');
	sync_url_dispose(&u);
	return error;
}

static char *secure_dup(const char *s, size_t n)
{
	char *d = sodium_malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void creds_clear_http(sync_creds *c)
{
	free(c->http_user);
	if (c->http_pass) {
		sodium_memzero(c->http_pass, strlen(c->http_pass));
		sodium_free(c->http_pass);
	}
	c->http_user = c->http_pass = NULL;
	c->http_filled = 0;
}

static int http_fill(sync_creds *r, const char *url, const char *user)
{
	gitchat_buf in = GITCHAT_BUF_INIT, out = GITCHAT_BUF_INIT;
	char *line, *save = NULL;
	int error;

	if ((error = credential_input(&in, url, user, NULL)) < 0)
		goto done;
	if (run_git_credential(r, "fill", in.ptr, &out) < 0 || !out.ptr) {
		error = -1;
		goto done;
	}
	for (line = strtok_r(out.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "username=", 9)) {
			free(r->http_user);
			r->http_user = strdup(line + 9);
		} else if (!strncmp(line, "password=", 9)) {
			if (r->http_pass)
				sodium_free(r->http_pass);
			r->http_pass = secure_dup(line + 9, strlen(line + 9));
		}
	}
	error = r->http_user && r->http_pass ? 0 : -1;
	r->http_filled = error == 0;
done:
	gitchat_buf_dispose_secure(&in);
	gitchat_buf_dispose_secure(&out);
	return error;
}

static void http_report(sync_creds *r, const char *action)
{
	gitchat_buf in = GITCHAT_BUF_INIT;

	if (credential_input(&in, r->url, r->http_user, r->http_pass) == 0)
		run_git_credential(r, action, in.ptr, NULL);
	gitchat_buf_dispose_secure(&in);
	gitchat_error_clear();
}

void sync_creds_finish(sync_creds *r, int ok)
{
	/* Only a refusal by the server (handled in the callback) rejects: a
	 * network failure says nothing about the password. */
	if (ok && r->http_filled && !r->http_rejected)
		http_report(r, "approve");
	creds_clear_http(r);
	r->http_rejected = 0;
	r->ssh_stage = 0;
	gitchat_buf_clear(&r->ssh_tried);
}

void sync_creds_dispose(sync_creds *c)
{
	creds_clear_http(c);
	gitchat_buf_dispose(&c->ssh_tried);
}

void sync_creds_init(sync_creds *c, git_repository *repo, const gitchat_sync_options *opts,
                     const char *url, gitchat_buf *failure, const int *cancelled)
{
	memset(c, 0, sizeof(*c));
	c->repo = repo;
	c->opts = opts;
	c->url = url;
	c->failure = failure;
	c->cancelled = cancelled;
}

int sync_creds_acquire(git_credential **out, sync_creds *r, const char *url,
                       const char *username_from_url, unsigned int allowed_types)
{
	gitchat_buf msg = GITCHAT_BUF_INIT;
	int error;

	if (r->opts->credentials_cb) {
		error = r->opts->credentials_cb(out, url, username_from_url, allowed_types,
		                                r->opts->payload);
		if (error != GIT_PASSTHROUGH)
			return error;
	}
	if (allowed_types & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, username_from_url ? username_from_url :
		                                        local_user());
	if (allowed_types & GIT_CREDENTIAL_SSH_KEY)
		return ssh_key_cred(out, r, username_from_url ? username_from_url : local_user());
	if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	    (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8))) {
		if (r->http_filled) {
			/* Asked again: the server refused what the helpers gave. */
			http_report(r, "reject");
			r->http_rejected = 1;
			gitchat_buf_printf(&msg, "the server refused the user name and password that "
				"git's credential helpers gave for '%s'; they were rejected (forgotten), "
				"run 'git chat sync' again to be asked anew", url);
			error = set_failure(r, msg.ptr ? msg.ptr : "authentication failed");
			goto done;
		}
		if (http_fill(r, url, username_from_url) < 0) {
			gitchat_buf_printf(&msg, "'%s' needs a user name and password and git's credential "
				"helpers have none; store one with 'git credential approve' or configure "
				"credential.helper, as for 'git push'", url);
			error = set_failure(r, msg.ptr ? msg.ptr : "authentication required");
			goto done;
		}
		error = git_credential_userpass_plaintext_new(out, r->http_user,
		                                              r->http_pass);
		goto done;
	}
	gitchat_buf_printf(&msg, "'%s' asks for a kind of authentication git-chat does not "
		"offer (only ssh keys, and passwords from git's credential helpers over http)", url);
	error = set_failure(r, msg.ptr ? msg.ptr : "authentication not supported");
done:
	gitchat_buf_dispose(&msg);
	return error;
}
