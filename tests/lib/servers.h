/*
 * Real git servers on 127.0.0.1 for the tests: `git daemon`, smart HTTP
 * (lighttpd + git-http-backend as CGI), the same over HTTPS (mod_openssl,
 * with a throwaway CA made for the server) and sshd. Each one serves the bare
 * repositories under an absolute directory `root`, runs as a child of the
 * test process in its own process group, and lives in a t_scratch()
 * directory (config, keys, log). Servers still running when the test process
 * exits are stopped by an atexit handler; if the test process dies from a
 * signal they get SIGKILL from the kernel (PR_SET_PDEATHSIG).
 *
 * Debian packages needed: git, lighttpd, lighttpd-mod-openssl, openssl,
 * openssh-server, openssh-client, util-linux (unshare).
 *
 * Pushing with libgit2 (1.5.1 with libssh2 1.10; each point below is checked
 * by tests/cli/test_servers.c):
 * - git:// and http:// need no callbacks; pushes bigger than 1 MiB (chunked
 *   request bodies over http) work. A push a server hook declines returns 0
 *   from git_remote_push; the refusal comes through push_update_reference
 *   (status "pre-receive hook declined"), and the hook's stderr arrives
 *   through the sideband_progress callback, for all three kinds. Stock git
 *   prints it as "remote: ..." and exits non-zero.
 * - ssh://: libgit2 calls the `credentials` callback (allowed_types includes
 *   GIT_CREDENTIAL_SSH_KEY, username_from_url = "root");
 *   git_credential_ssh_key_new(out, "root", "<key>.pub", "<key>", NULL)
 *   works with t_server_ssh_client_key(). Host checking, either:
 *   (a) no certificate_check callback: libgit2 reads $HOME/.ssh/known_hosts
 *       ($HOME set before git_libgit2_init; t_scratch() sets it) and
 *       accepts a "[127.0.0.1]:PORT ssh-ed25519 ..." line
 *       (t_server_install_known_hosts() appends it); an unknown host fails
 *       the push with GIT_ECERTIFICATE (-17), "invalid or unknown remote ssh
 *       hostkey", before anything is sent;
 *   (b) a certificate_check callback: the cert is a git_cert_hostkey
 *       (cert_type GIT_CERT_HOSTKEY_LIBSSH2) with GIT_CERT_SSH_RAW set, raw_type
 *       GIT_CERT_SSH_RAW_TYPE_KEY_ED25519 and hostkey = the key blob (the
 *       base64-decoded 2nd field of the host public key line). Return 0 to
 *       accept, a negative code to refuse (the push fails), GIT_PASSTHROUGH to
 *       leave the decision to the known_hosts check of (a).
 *   t_server_credentials_cb / t_server_certificate_check_cb implement these
 *   with the t_server as payload.
 *
 * https (lighttpd with mod_openssl; HTTP/2 off, see servers.c): stock git
 * needs GIT_SSL_CAINFO (t_server_git_env has it); libgit2 needs
 * git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, t_server_ca_file(s),
 * NULL) after git_libgit2_init, and then works as over http (pushes over
 * 1 MiB, hooks' stderr through the sideband). Without the CA, libgit2
 * calls certificate_check with valid = 0 and a git_cert_x509; returning
 * GIT_PASSTHROUGH then fails the operation with GIT_ECERTIFICATE and
 * mbedTLS's reason ("The certificate is not correctly signed by the
 * trusted CA").
 *
 * Server hooks see: daemon = the test process's environment; http = CGI
 * variables plus GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL, GIT_CONFIG_NOSYSTEM=1,
 * and the test's HOME and PATH; ssh = the sshd session's environment plus
 * the test's PATH and HOME and GIT_CONFIG_NOSYSTEM=1. So configure a hook
 * through the served repository's git config or a wrapper script, not
 * through other environment variables.
 */
#ifndef GITCHAT_TEST_SERVERS_H
#define GITCHAT_TEST_SERVERS_H

#include <sys/types.h>
#include <git2.h>

typedef struct t_server t_server;
typedef enum { T_SERVER_DAEMON, T_SERVER_HTTP, T_SERVER_SSH, T_SERVER_HTTPS } t_server_kind;

/* What else a lighttpd server (HTTP or HTTPS) does; zero: nothing. */
typedef struct {
	/* HTTP basic authentication: `user` with `password` (an htpasswd file
	 * with an apr1 hash, made with `openssl passwd -apr1`). With the
	 * built-in git setup every request under /git needs them. */
	const char *user, *password;
	/* A lighttpd config file included instead of the built-in git setup
	 * (e.g. a hosting recipe). It sees var.git_chat_root (root),
	 * var.git_chat_backend (git-http-backend) and var.git_chat_users
	 * (the htpasswd file, when `user` is set). */
	const char *include;
} t_server_opts;

/* Starts a server on 127.0.0.1 on a free port serving the bare repositories
 * under `root` (an absolute directory path). Fails the current Criterion test
 * (cr_assert) with the tail of the server's log if it cannot start. Returns
 * once the server process itself listens on the port and accepts a
 * connection. */
t_server *t_server_start(t_server_kind kind, const char *root);
/* The same with options (HTTP and HTTPS only; opts may be NULL). */
t_server *t_server_start_opts(t_server_kind kind, const char *root, const t_server_opts *opts);

/* URL of repository `name` (a path relative to root, e.g. "room.git"):
 *   git://127.0.0.1:PORT/room.git
 *   http://127.0.0.1:PORT/git/room.git   (smart HTTP, push allowed)
 *   https://127.0.0.1:PORT/git/room.git  (the same over TLS)
 *   ssh://root@127.0.0.1:PORT/<root>/room.git  (absolute path)
 * malloc'd, caller frees. */
char *t_server_url(const t_server *s, const char *name);

/* SSH only (NULL otherwise): a private key file the server accepts (ed25519,
 * no passphrase; "<key>.pub" next to it), a known_hosts file holding
 * "[127.0.0.1]:PORT ssh-ed25519 ...", and the host public key line alone
 * ("ssh-ed25519 AAAA..."). */
const char *t_server_ssh_client_key(const t_server *s);
const char *t_server_known_hosts(const t_server *s);
const char *t_server_host_pubkey(const t_server *s);

/* HTTPS only (NULL otherwise): the PEM file of the throwaway CA that signed
 * the server's certificate (subjectAltName IP:127.0.0.1, DNS:127.0.0.1,
 * DNS:localhost;
 * an EC P-256 key). Nothing else trusts it. */
const char *t_server_ca_file(const t_server *s);

/* Appends the server's known_hosts line to $HOME/.ssh/known_hosts (SSH only),
 * which is what libgit2 checks when no certificate_check callback is set. */
void t_server_install_known_hosts(const t_server *s);

/* "NAME=value" entries, NULL-terminated, owned by s, that make stock git talk
 * to this server without prompting (ssh: GIT_SSH_COMMAND with the client key,
 * this known_hosts file and StrictHostKeyChecking=yes; https: GIT_SSL_CAINFO
 * = the test CA). For t_run_argv. */
const char *const *t_server_git_env(const t_server *s);

/* For tests that run a server of their own (a hosting recipe): a port on
 * 127.0.0.1 free at the time of the call, and whether something accepts
 * connections on one. */
int t_server_free_port(void);
int t_server_can_connect(int port);

pid_t t_server_pid(const t_server *s);  /* the server process itself */
int t_server_port(const t_server *s);
const char *t_server_log(const t_server *s); /* path of the server's log */

/* For the tests of these helpers: starts a server that is expected not to
 * start, and returns why it did not (what t_server_start would fail the
 * test with), or NULL when it did start. */
char *t_server_start_error(t_server_kind kind, const char *root);

/* Kills the server (SIGTERM to its process group, SIGKILL after 5 s), reaps
 * it and frees s. Safe after the process was killed through t_server_pid. */
void t_server_stop(t_server *s);

/* Kills the server and starts it again on the same port, same root and same
 * keys (URLs and known_hosts stay valid): a remote that went away and came
 * back. Fails the test if the port cannot be had again. */
void t_server_restart(t_server *s);

/* Creates the bare repository `name` under root (parents too), ready to be
 * served by any kind: http.receivepack=true and git-daemon-export-ok.
 * Returns its path (malloc'd). */
char *t_server_new_repo(const t_server *s, const char *name);

/* libgit2 callbacks; payload is the t_server. credentials: the client key
 * for ssh. certificate_check: accepts exactly the server's host key. */
int t_server_credentials_cb(git_credential **out, const char *url,
                            const char *username_from_url,
                            unsigned int allowed_types, void *payload);
int t_server_certificate_check_cb(git_cert *cert, int valid, const char *host,
                                  void *payload);
/* Sets both callbacks and payload = s. */
void t_server_remote_callbacks(const t_server *s, git_remote_callbacks *cbs);

#endif
