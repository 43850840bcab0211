/*
 * Internal: where every part of a sync tells what happened to one remote:
 * the caller's event and progress callbacks, the cancellation they ask
 * for, and the counters of the remote's result. The bottom of sync/: it
 * calls nothing else there, and every other part may call it.
 */
#ifndef GITCHAT_SYNC_REPORT_H
#define GITCHAT_SYNC_REPORT_H

#include "gitchat/sync.h"

/* One remote's entry in a gitchat_sync_result. */
typedef struct {
	gitchat_sync_remote_result pub;
	char *name, *url, *error;
	gitchat_sync_room_count *rooms;
	char **room_names;
	size_t nrooms;
	size_t blocked_invalid;        /* NOT_PUSHED with BLOCKED_INVALID: problems */
} sync_result_entry;

typedef struct {
	const gitchat_sync_options *opts;
	const char *remote;            /* the events' remote and url (the argument */
	const char *url;               /* until it is resolved) */
	int cancelled;                 /* a callback asked to stop */
	sync_result_entry *res;
} sync_report;

/* Events and progress to the caller's callbacks. Non-zero from the
 * callback marks the remote cancelled; then both return negative (emit
 * with the error set). */
int sync_report_emit(sync_report *rep, gitchat_sync_event *ev);
int sync_report_progress(sync_report *rep, gitchat_sync_progress *p);
/* The error for a run the caller cancelled. */
int sync_report_cancelled_error(void);
/* Adds `count` new commits of `room`, kinds[] by gitchat_message_kind. */
void sync_report_count_room(sync_report *rep, const char *room, size_t count,
                            const size_t kinds[4]);
void sync_result_entry_dispose(sync_result_entry *e);

#endif
