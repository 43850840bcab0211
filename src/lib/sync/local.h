/*
 * Internal: the connection to a repository on a local path (a USB stick, a
 * shared disk): objects copied as one pack (pack.h), refs moved with a
 * compare-and-swap. A missing or empty directory becomes a new bare
 * repository.
 */
#ifndef GITCHAT_SYNC_LOCAL_H
#define GITCHAT_SYNC_LOCAL_H

#include "sync/conn.h"
#include "sync/report.h"

/* `path` and `report` must outlive the connection. */
int sync_local_new(sync_conn **out, git_repository *repo, const char *path,
                   sync_report *report);

#endif
