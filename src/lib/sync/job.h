/*
 * Internal: what the fetch half (accept.h) and the push half (push.h) work
 * on: our store, the remote's stable name, the rooms asked for, where to
 * report, and the connection. sync.c fills it; the halves only read it.
 */
#ifndef GITCHAT_SYNC_JOB_H
#define GITCHAT_SYNC_JOB_H

#include "gitchat/store.h"
#include "sync/conn.h"
#include "sync/heads.h"
#include "sync/report.h"

typedef struct {
	gitchat_store *store;
	git_repository *repo;
	const char *name;              /* refs/chat-remotes/<name>/, quarantine */
	sync_rooms rooms;
	sync_report *report;
	sync_conn *conn;
} sync_job;

#endif
