/*
 * Helpers shared by the reading commands (log, follow, rooms, export) and
 * the commands that act on a message (edit, redact, react).
 */
#ifndef GITCHAT_CLI_READER_H
#define GITCHAT_CLI_READER_H

#include "cli.h"

/* --color=auto|always|never: colour only on a terminal (auto), and never
 * when NO_COLOR is set to anything non-empty, whatever the option says.
 * Returns 0, or -1 for an unknown mode. */
int reader_color(int *out, const char *mode);

/* The terminal width: $COLUMNS, else the terminal's (stdout), else 80. */
unsigned reader_width(void);

/* The public key of the user's identity, when one can be found: 1 and
 * *out, or 0 (no key is not an error for a reader). */
int reader_my_key(gitchat_pubkey *out, git_repository *repo, const char *keypath);

/* Problem callback that warns about skipped commits on stderr. */
int reader_report_skipped(const gitchat_problem *p, void *payload);

/* Output of messages as text or JSON lines. */
typedef struct {
	int json;
	gitchat_text_renderer *text;
	gitchat_buf out;
} reader_printer;

int reader_printer_init(reader_printer *p, int json, int color, unsigned width);
void reader_printer_dispose(reader_printer *p);
/* Tells the text renderer the authors of the entries idx[0..n) of `view`
 * (one message loaded at a time), so that names shared by keys show. */
int reader_printer_note(reader_printer *p, gitchat_view *view, const size_t *idx, size_t n);
/* Renders and writes; 0, -1 when stdout is gone (a closed pipe), or
 * CLI_EXIT_FATAL after printing the error. */
int reader_print(reader_printer *p, gitchat_view_item *it);
int reader_print_rule(reader_printer *p, const char *label);

/* A message of the store named by a (possibly abbreviated) id, verified,
 * with its room: what edit, redact and react act on. Prints the error and
 * returns CLI_EXIT_FATAL when it is not a valid message. */
int reader_target(gitchat_message **out, gitchat_store *store, const char *spec,
                  const char *room_arg);



/* Sends an edit, redaction or reaction of message `spec` with `text`:
 * checks that the target is an ordinary message of the room and, when
 * `own_only`, that it is signed by the user's key. Prints the new id. */
int reader_send_modifier(gitchat_message_kind kind, const char *spec, const char *room_arg,
                         const char *keypath, const char *text, size_t len, int own_only);
#endif
