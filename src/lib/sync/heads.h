/*
 * Internal: the small shared vocabulary of sync/: the refs/chat/ heads a
 * remote advertises, the rooms asked for, and whether an object is here.
 */
#ifndef GITCHAT_SYNC_HEADS_H
#define GITCHAT_SYNC_HEADS_H

#include <git2.h>

/* A ref the remote advertises under refs/chat/ (names not yet checked). */
typedef struct {
	char *refname;
	git_oid id;
} sync_head;

typedef struct {
	sync_head *v;
	size_t n, cap;
} sync_heads;

/* Appends a copy of `refname`; sync_heads_sort before sync_heads_find. */
int sync_heads_add(sync_heads *h, const char *refname, const git_oid *id);
void sync_heads_sort(sync_heads *h);
const sync_head *sync_heads_find(const sync_heads *h, const char *refname);
void sync_heads_dispose(sync_heads *h);

/* The rooms to sync: NULL v for every room. */
typedef struct {
	const char *const *v;
	size_t n;
} sync_rooms;

int sync_rooms_wanted(const sync_rooms *rooms, const char *room);

/* 1 when the object database holds `id` (a head named by a remote may not
 * have been fetched). */
int sync_odb_has(git_repository *repo, const git_oid *id);

#endif
