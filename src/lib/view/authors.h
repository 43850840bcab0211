/* Internal to view/: every message of a room (or of all rooms) with its
 * signer and claimed name, for the readers of authors (signers.c, keys.c). */
#ifndef GITCHAT_VIEW_AUTHORS_H
#define GITCHAT_VIEW_AUTHORS_H

#include "gitchat/message.h"
#include "gitchat/store.h"

/* Calls `cb` for every valid message of `room` (NULL: every room), each
 * room once, in conversation order. A non-zero return of `cb` stops the
 * walk and is returned. */
typedef int (*gitchat_authors_cb)(const gitchat_message *m, void *payload);
int gitchat_authors_walk(gitchat_store *store, const char *room, gitchat_authors_cb cb,
                         void *payload);

#endif
