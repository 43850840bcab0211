/*
 * The store: a git repository (bare by default) whose refs/chat/ namespace
 * holds the logs. Nothing outside refs/chat/, refs/chat-remotes/,
 * refs/chat-read/ and the cache directory $GIT_DIR/chat/ is touched.
 */
#ifndef GITCHAT_STORE_H
#define GITCHAT_STORE_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gitchat_store gitchat_store;

/* Limits that make a message valid; git config chat.maxMessageBytes,
 * chat.maxFileBytes and chat.maxTreeBytes override the defaults (git's
 * suffixes k, m, g work: 8m). Every replica should use the same values,
 * or they will disagree on what is valid (docs/attachments.md). */
typedef struct {
	size_t max_text;          /* default 65536 */
	size_t max_tree;          /* all attachments of a message, default 16 MiB */
	size_t max_parents;       /* default 17: own head + 16 others */
	size_t max_file;          /* each attachment, default 8 MiB */
} gitchat_limits;

#define GITCHAT_DEFAULT_MAX_TEXT (64 * 1024)
#define GITCHAT_DEFAULT_MAX_TREE (16 * 1024 * 1024)
#define GITCHAT_DEFAULT_MAX_FILE (8 * 1024 * 1024)
#define GITCHAT_MAX_OTHER_PARENTS 16
/* Attachments of one message, fixed (not configurable): a bound on the
 * headers and tree entries every reader parses. */
#define GITCHAT_MAX_FILES 100
/* Bytes of an attachment's name (DESIGN.md "Attachments"). */
#define GITCHAT_MAX_FILE_NAME 255

/* Creates a bare store at `path` (or opens it when it already is a git
 * repository). Refuses a non-empty directory that is not a repository. */
GITCHAT_EXTERN(int) gitchat_store_init(gitchat_store **out, const char *path);

/* Opens the store at `path`; NULL finds it the way git does: $GIT_DIR,
 * else the repository around the current directory. */
GITCHAT_EXTERN(int) gitchat_store_open(gitchat_store **out, const char *path);

/* Wraps an already open repository (not owned by the store). */
GITCHAT_EXTERN(int) gitchat_store_wrap(gitchat_store **out, git_repository *repo);

GITCHAT_EXTERN(git_repository *) gitchat_store_repository(gitchat_store *store);
GITCHAT_EXTERN(const gitchat_limits *) gitchat_store_limits(gitchat_store *store);
GITCHAT_EXTERN(void) gitchat_store_free(gitchat_store *store);

/* A chat ref name: refs/chat/<room>/<key> (our verified copy of a log) or
 * refs/chat-remotes/<remote>/<room>/<key> (a remote's verified copy, kept
 * when it forks from ours). */
typedef struct {
	char remote[256];      /* "" for refs/chat/ */
	char room[65];
	gitchat_pubkey key;
} gitchat_chatref;

/* Parses a full ref name of either namespace; GITCHAT_EINVALID with a
 * reason when it is not of the form above (or its room name is invalid). */
GITCHAT_EXTERN(int) gitchat_chatref_parse(gitchat_chatref *out, const char *refname);

/* Validates a room name (DESIGN.md "Names"): 1-64 of a-z 0-9 . _ -,
 * starting with a letter or digit, no "..", not ending in ".lock" or ".";
 * or one of the special rooms ("Special rooms"): `_identity`, or `_` and
 * 24 lowercase hex digits (a private room). */
GITCHAT_EXTERN(int) gitchat_room_validate(const char *room);

/* What a room name names. The special rooms are made by git-chat, never
 * typed as new names by a user: a command that would start one from a
 * user's -r refuses (the caller checks: the library cannot tell a user's
 * name from its own). GITCHAT_ROOM_INVALID: a '_' name of neither form. */
typedef enum {
	GITCHAT_ROOM_PUBLIC = 0,
	GITCHAT_ROOM_IDENTITY,
	GITCHAT_ROOM_PRIVATE,
	GITCHAT_ROOM_INVALID
} gitchat_room_t;

GITCHAT_EXTERN(gitchat_room_t) gitchat_room_type(const char *room);

/* The room of profiles and device links (gitchat/persons.h). */
#define GITCHAT_IDENTITY_ROOM "_identity"

#ifdef __cplusplus
}
#endif
#endif
