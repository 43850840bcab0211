/*
 * Internal: the network connection (ssh, http(s), git://) over libgit2's
 * transports, with our credentials (creds.h), host key checks
 * (knownhosts.h) and CA settings (tls.h).
 */
#ifndef GITCHAT_SYNC_TRANSPORT_H
#define GITCHAT_SYNC_TRANSPORT_H

#include "sync/conn.h"
#include "sync/remote.h"
#include "sync/report.h"

/* `target` and `report` must outlive the connection. */
int sync_transport_new(sync_conn **out, git_repository *repo, const sync_target *target,
                       sync_report *report);

#endif
