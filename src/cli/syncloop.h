/*
 * The engine `follow` and `tui` share: a sync with every configured remote
 * each interval, that says once what goes wrong (a remote down, a log a
 * remote's copy keeps from being pushed) and once when it is right again,
 * and a cheap test of whether a room's refs moved.
 */
#ifndef GITCHAT_CLI_SYNCLOOP_H
#define GITCHAT_CLI_SYNCLOOP_H

#include <time.h>
#include "cli.h"

/* What a round has to say: a warning (a remote down, a log not pushed) or
 * a note (a remote reachable again). `text` is the remote's or the
 * library's words: untrusted, the caller escapes it for a terminal. */
typedef void (*cli_syncloop_say)(void *payload, int warning, const char *text);

typedef struct {
	char *name, *reason;
} cli_syncloop_down;

typedef struct {
	char *key, *said;    /* "remote\nrefname", and the line said about it */
} cli_syncloop_np;

typedef struct {
	double interval;
	cli_syncloop_say say;
	void *payload;
	/* What the last rounds left: remotes down (with why), logs not
	 * pushed, forks seen in the last round, when it ended. */
	cli_syncloop_down *down;
	size_t ndown;
	cli_syncloop_np *np;
	size_t nnp;
	size_t forks, received;
	time_t last;
	int remotes;         /* remotes configured at the last round */
} cli_syncloop;

void cli_syncloop_init(cli_syncloop *s, double interval, cli_syncloop_say say, void *payload);
void cli_syncloop_dispose(cli_syncloop *s);

/* One sync of `rooms` (n of them; n 0: every room) with every configured
 * remote: 0 when there is none (the local store is all there is), 1 after
 * a round (failures are said, never returned). */
int cli_syncloop_round(cli_syncloop *s, gitchat_store *store, const char **rooms, size_t n);

/* An interval in seconds, 0.05 to 86400, fractions allowed: 0 or -1. */
int cli_syncloop_interval(double *out, const char *s);

/* The refs of `room` (NULL: every room) and their targets, local and
 * remote copies, as text: equal texts, nothing moved. */
int cli_refs_signature(gitchat_buf *out, git_repository *repo, const char *room);

#endif
