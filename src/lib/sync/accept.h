/*
 * Internal: the fetch half of a sync: list the remote's logs, fetch the new
 * ones into quarantine, verify, fast-forward or record forks.
 */
#ifndef GITCHAT_SYNC_ACCEPT_H
#define GITCHAT_SYNC_ACCEPT_H

#include "sync/job.h"

/* Leaves job->conn closed, and its heads as listed. */
int sync_accept_fetch(sync_job *job);

#endif
