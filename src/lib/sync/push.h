/*
 * Internal: the push half of a sync: which logs to push, pushing them
 * (one by one when a server declines a batch), and telling the ones that
 * cannot be pushed (blocked.h).
 */
#ifndef GITCHAT_SYNC_PUSH_H
#define GITCHAT_SYNC_PUSH_H

#include "sync/job.h"

/* `have_heads`: job->conn->heads is fresh from the fetch half. */
int sync_push_logs(sync_job *job, int have_heads);

#endif
