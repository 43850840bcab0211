/*
 * The git-chat command: one file per subcommand (cmd_*.c), sharing these
 * helpers. Data goes to stdout, chatter and errors to stderr. Exit codes:
 * 0 success, 1 "checked and found a problem", 128 fatal error, 129 usage.
 */
#ifndef GITCHAT_CLI_H
#define GITCHAT_CLI_H

#include <stdio.h>
#include <gitchat.h>

#include "options.h"

#define CLI_EXIT_PROBLEM 1
#define CLI_EXIT_FATAL 128
#define CLI_EXIT_USAGE 129

typedef struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	int network; /* talks to remotes: needs the CA certificates, libssh2 */
	const cli_usage *usage;
	int hidden;  /* not listed (completion's helper) */
} cli_command;

/* The dispatch table (main.c), ending with a NULL name. */
extern const cli_command cli_commands[];

/* Each subcommand's entry point. */
int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_follow(int argc, char **argv);
int cmd_rooms(int argc, char **argv);
int cmd_edit(int argc, char **argv);
int cmd_redact(int argc, char **argv);
int cmd_react(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_allowed_signers(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_remote(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_tui(int argc, char **argv);
int cmd_room(int argc, char **argv);
int cmd_member(int argc, char **argv);
int cmd_dm(int argc, char **argv);

/* Each subcommand's table (options and usage text). */
extern const cli_usage usage_init, usage_keygen, usage_whoami, usage_send, usage_log,
	usage_follow, usage_rooms, usage_edit, usage_redact, usage_react, usage_export,
	usage_verify, usage_save, usage_sync, usage_remote, usage_allowed_signers, usage_hook,
	usage_completion, usage_device, usage_profile, usage_tui, usage_room, usage_member,
	usage_dm;

/* The network libraries (CA certificates, libssh2), set up only by the
 * commands that use the network (netlibs.c says why): defer around
 * gitchat_init, then load on demand. */
void cli_net_defer_begin(void);
void cli_net_defer_end(void);
/* What every network command needs at once: timeouts on its connections. */
void cli_net_load(void);
/* What a connection to `url` needs, the first time it needs it: the CA
 * certificates for http(s) (a bundle that cannot be loaded is a warning:
 * only https needs it), libssh2 for ssh. Any thread. */
void cli_net_prepare(const char *url);

/* Small libgit2 pack windows (1) or libgit2's defaults (0), for the whole
 * process (packwin.c says why): set by main for the commands that do not
 * fetch. */
void cli_object_cache_small(void);
void cli_pack_windows_small(int small);

/* "error: <message>" and the usage's synopsis on stderr, like git;
 * returns 129. */
int cli_usage_error(const cli_usage *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "fatal: <message>" on stderr; returns 128. */
int cli_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "fatal: <gitchat_error_last()>"; returns 128. */
int cli_fatal_lib(void);
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The pager (pager.c): 'git chat --no-pager' sets NEVER. */
enum { CLI_PAGER_AUTO, CLI_PAGER_NEVER };
void cli_pager_set_mode(int mode);
/* Sends stdout (and stderr, when it is a terminal) through the user's
 * pager when stdout is a terminal: GIT_PAGER, core.pager of `repo`, PAGER,
 * else less with LESS=FRX; "cat" or "" is none. A pager that cannot run is
 * warned about and the output goes to stdout as it is. */
void cli_pager_start(git_repository *repo);
int cli_pager_active(void);
/* Flushes, ends the pager's input and waits for the pager to exit. */
void cli_pager_finish(void);
/* Whether stdout ends on a terminal: it is one, or it is a pager's (ours,
 * or git's: GIT_PAGER_IN_USE). What --color=auto and the defaults that
 * depend on a terminal go by. */
int cli_stdout_is_tty(void);

/* The store: $GIT_DIR or the repository around the current directory. */
int cli_open_store(gitchat_store **out);
/* The user's key by DESIGN.md's search order. */
int cli_load_key(gitchat_key **out, git_repository *repo, const char *given);
/* The passphrase callback for gitchat_key_unlock: the terminal, or
 * SSH_ASKPASS as ssh chooses (src/cli/passphrase.c). */
int cli_passphrase(char *buf, size_t size, const char *prompt, void *payload);
/* Warns when the private key file `path` (of `key`) is open to others. */
void cli_warn_key_mode(const char *path, const gitchat_key *key);
/* The room from -r, else git config chat.room, else "general"; validated. */
int cli_room(char **out, git_repository *repo, const char *given);
/* Reads `fd` to its end, keeping at most `max` bytes (more is not an
 * error here: read one byte past a limit and let the caller's check say so). */
int cli_read_fd(gitchat_buf *out, int fd, size_t max, const char *what);
/* Writes a buffer to stdout; 0 or -1 (EPIPE etc.). */
int cli_write_out(const char *data, size_t len);
/* Appends the message `o` describes to the user's log and prints its id
 * on stdout (what send, edit, redact and react print). 0 or 128. */
int cli_send(gitchat_store *store, gitchat_key *key, const gitchat_send_options *o);
/* The writer cli_send uses, printing nothing: gitchat_private_send in a
 * private room, else gitchat_send. 0 or the library's error. */
int cli_send_id(git_oid *out, gitchat_store *store, const gitchat_key *key,
                const gitchat_send_options *o);
/* A member's key from KEY as a user gives it (gitchat_pubkey_resolve:
 * hex, an ssh-ed25519 line, a .pub file, a SHA256: fingerprint or a name
 * seen in the store). 0 or 128 (printed). */
int cli_resolve_pubkey(gitchat_pubkey *out, gitchat_store *store, const char *spec);
/* The direct-message room of the key's owner and `other`, found or made
 * (cmd_dm.c). 0 or 128 (printed). */
int cli_dm_room(char room[26], gitchat_store *store, gitchat_key *key, const gitchat_pubkey *other);
/* A full or abbreviated commit id in the store. */
int cli_resolve_oid(git_oid *out, git_repository *repo, const char *spec);

#endif
