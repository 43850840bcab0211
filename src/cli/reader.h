/*
 * Helpers shared by the reading commands (log, follow, rooms, export,
 * verify, allowed-signers; sync for its room check) and the commands that
 * act on a message (edit, redact, react).
 */
#ifndef GITCHAT_CLI_READER_H
#define GITCHAT_CLI_READER_H

#include "cli.h"

/*
 * The options the reading commands (log, follow, rooms, export) and the
 * commands that act on a message (edit, redact, react) share. Each command
 * lists in its getopt table the ones it takes (the READER_OPT_* entries),
 * hands every option to reader_opt() first, then checks the values with
 * reader_opts_finish().
 */
typedef struct {
	const char *room_arg;     /* -r, --room */
	const char *keypath;      /* --key */
	const char *format;       /* --format: "text" or "json" */
	const char *color_mode;   /* --color, --colour */
	int mark;                 /* --mark-read 1, --no-mark-read 0, else -1 */
	/* Set by reader_opts_finish(): */
	int json, color;
} reader_opts;

#define READER_OPTS_INIT { NULL, NULL, "text", "auto", -1, 0, 0 }

/* The table entries of the shared options; each command says in its own
 * words what -r and --key mean for it. */
#define READER_OPT_ROOM(help) { 'r', 'r', "room", "ROOM", help, "@room" }
#define READER_OPT_KEY(help) { 'k', 0, "key", "PATH", help, "@file" }
/* The options of edit, redact and react. */
#define READER_OPTS_MODIFIER \
	READER_OPT_ROOM("check that ID is in ROOM (default: ID's own room)"), \
	READER_OPT_KEY("your identity key")

/* 1 when option `c` is one of the shared ones (now recorded in `o`), 0 when
 * it is the command's own. */
int reader_opt(reader_opts *o, int c, const char *arg);

/* After the options: no operand is left, the format and the colour mode
 * are known. Sets o->json, o->color (never with json) and o->mark (when not
 * given: only for text on a terminal). 0, or the exit code of the usage
 * error it printed. */
int reader_opts_finish(reader_opts *o, const cli_parser *p);

/* --format: 0 and *json, or the exit code of the usage error it printed. */
int reader_format(int *json, const char *format, const cli_usage *usage);

/* Whether `room` has a log in the store (refs/chat/ or refs/chat-remotes/):
 * 1 or 0, and then, when `list` is not NULL, the rooms that do ("a, b";
 * empty when there are none). Negative on a library error. */
int reader_room_exists(gitchat_store *store, const char *room, gitchat_buf *list);

/* For commands that read a room: 0 when it exists, else prints (like git
 * for an unknown revision) what rooms there are and returns CLI_EXIT_FATAL. */
int reader_require_room(gitchat_store *store, const char *room);

/* --color=auto|always|never: colour only on a terminal (auto), and never
 * when NO_COLOR is set to anything non-empty, whatever the option says.
 * Returns 0, or -1 for an unknown mode. */
int reader_color(int *out, const char *mode);

/* The terminal width: $COLUMNS, else the terminal's (stdout), else 80. */
unsigned reader_width(void);

/* The public key of the user's identity, when one can be found: 1 and
 * *out, or 0 (no key is not an error for a reader). */
int reader_my_key(gitchat_pubkey *out, git_repository *repo, const char *keypath);

/* Problem callback that warns about skipped commits on stderr: `payload`
 * is a size_t counting them, NULL to warn about every one. */
int reader_report_skipped(const gitchat_problem *p, void *payload);
/* Loads a room for a reader, warning about the commits it skips. */
int reader_load(gitchat_conversation **out, gitchat_store *store, const char *room);
/* Private rooms: reader_load decrypts them with the key --key names
 * (reader_private_keypath), else the default key; the room as read, for
 * its title and members (NULL for a public room). */
extern const char *reader_private_keypath;
gitchat_private *reader_private(const gitchat_conversation *conv);
const gitchat_key *reader_private_key(gitchat_store *store);

/* A room loaded as the readers load it: a private room (*priv, else NULL)
 * read through gitchat_private_open with `key` (NULL: nothing decrypts),
 * its refusals reported to `cb` with `payload` (which must live as long
 * as the conversation: a body that does not decrypt is found when first
 * used). The caller frees both. */
int reader_room_load(gitchat_conversation **conv, gitchat_private **priv, gitchat_store *store,
                     const char *room, const gitchat_conversation_options *opts,
                     const gitchat_key *key, gitchat_problem_cb cb, void *payload);
/* A private room's label, as 'rooms' shows it: its decrypted title, or for
 * a direct message "dm with" the other person's fingerprint (seen from
 * `me`, may be NULL); `brief` (the client's narrow room list): "dm" and
 * the fingerprint's first 8 characters, as the renderer shows authors.
 * *out is NULL for a public room (p NULL) or a room with neither; else
 * the caller frees it. -1 when out of memory. */
int reader_private_label(char **out, gitchat_private *p, const gitchat_pubkey *me, int brief);

/* Loads a room for a reader, warning about its first few invalid commits
 * and summing up the rest (a room can hold thousands). */
int reader_load(gitchat_conversation **out, gitchat_store *store, const char *room);

/* Output of messages as text or JSON lines. */
typedef struct {
	int json;
	gitchat_text_renderer *text;
	gitchat_buf out;
} reader_printer;

/* devices: text shows the signing device beside a person's fingerprint. */
int reader_printer_init(reader_printer *p, int json, int color, unsigned width, int devices);
void reader_printer_dispose(reader_printer *p);
/* Tells the text renderer the authors of the entries idx[0..n) of `view`
 * (one message loaded at a time), so that names shared by keys show. */
int reader_printer_note(reader_printer *p, gitchat_view *view, const size_t *idx, size_t n);
/* Renders and writes; 0, -1 when stdout is gone (a closed pipe), or
 * CLI_EXIT_FATAL after printing the error. */
int reader_print(reader_printer *p, gitchat_view_item *it);
/* What follow prints: in JSON an "update" field (true when the message was
 * shown before and is shown again because of an edit, redaction or
 * reaction), in text a leading "(updated) " on the header line of such a
 * message. */
int reader_print_follow(reader_printer *p, gitchat_view_item *it, int update);
int reader_print_rule(reader_printer *p, const char *label);

/* A message of the store named by a (possibly abbreviated) id, verified,
 * with its room: what edit, redact and react act on. Prints the error and
 * returns CLI_EXIT_FATAL when it is not a valid message. */
int reader_target(gitchat_message **out, gitchat_store *store, const char *spec,
                  const char *room_arg);

/* 0 when `target` is not redacted in its room as 'log' shows it; else
 * prints why `kind` cannot act on it (GITCHAT_MESSAGE_TEXT: save) and
 * returns CLI_EXIT_FATAL. */
int reader_check_not_redacted(gitchat_store *store, const gitchat_message *target,
                              gitchat_message_kind kind);

/* Sends an edit, redaction or reaction of message `spec` with `text`:
 * checks that the target is an ordinary message of the room and, when
 * `own_only`, that it is signed by the user's key. Prints the new id. */
int reader_send_modifier(gitchat_message_kind kind, const char *spec, const char *room_arg,
                         const char *keypath, const char *text, size_t len, int own_only);

/* Parses the options of redact and react (-r, --key, --help) into `o`:
 * -1 to go on with the operands in p->args, else the exit code to return
 * (0 after --help). */
int reader_modifier_args(reader_opts *o, cli_parser *p, int argc, char **argv,
                         const cli_usage *usage);

/* The arguments of verify and allowed-signers (-r ROOM, --help, no operand;
 * the room validated), then the store: -1 to go on with *store open and
 * *room (NULL: every room), else the exit code to return. */
int reader_store_args(gitchat_store **store, const char **room, int argc, char **argv,
                      const cli_usage *usage);
#endif
