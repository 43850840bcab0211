/*
 * The merger: the valid messages reachable from a room's refs (local and
 * remote copies), in the order DESIGN.md fixes:
 *
 *   e(c) = min(author time of c, e(d) for every child d)
 *   topological order, parents first; among the ready messages take the
 *   smallest (e(c), author time, key, oid).
 *
 * The order is a function of the set of messages alone, so every replica
 * that holds the same messages renders the same conversation.
 */
#ifndef GITCHAT_CONVERSATION_H
#define GITCHAT_CONVERSATION_H

#include "gitchat/common.h"
#include "gitchat/message.h"
#include "gitchat/store.h"
#include "gitchat/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gitchat_conversation gitchat_conversation;

typedef enum {
	/* Neither read nor write the index: order the room from its refs, in
	 * memory (what a replica computes from scratch). */
	GITCHAT_CONVERSATION_NO_INDEX = 1u << 0,
	/* Ignore the index and write a new one. */
	GITCHAT_CONVERSATION_REBUILD = 1u << 1,
	/* The new commits were just read through this store (a sync verified
	 * them): when they are appended to the index, read them through
	 * libgit2's object cache, where they still are, instead of inflating
	 * them from the packs again. A rebuild still reads past the cache, as
	 * without the flag: it reads every commit of the room once. */
	GITCHAT_CONVERSATION_NEW_CACHED = 1u << 2
} gitchat_conversation_flags;

typedef struct {
	unsigned int version;
	gitchat_problem_cb problem_cb;    /* may be NULL */
	void *payload;
	unsigned int flags;               /* gitchat_conversation_flags */
} gitchat_conversation_options;

#define GITCHAT_CONVERSATION_OPTIONS_VERSION 1
#define GITCHAT_CONVERSATION_OPTIONS_INIT { GITCHAT_CONVERSATION_OPTIONS_VERSION }

/* Fills `opts` with the defaults of GITCHAT_CONVERSATION_OPTIONS_INIT, for callers that
 * cannot use the macro (language bindings). GITCHAT_EINVALID when `version`
 * is not the one these headers define. */
GITCHAT_EXTERN(int) gitchat_conversation_options_init(gitchat_conversation_options *opts, unsigned int version);

/* Loads and orders `room` (`opts` may be NULL: no callback, the index
 * used). Commits that do not verify are left out and reported through
 * opts->problem_cb, as are refs whose head is not signed by the ref's key.
 *
 * The order is kept in an index, $GIT_DIR/chat/index/<room>: when the refs
 * have not moved since it was written, loading maps it and reads no commit;
 * when they have, only the new commits are read and verified. Beside it,
 * <room>.text keeps a copy of each message, so that reading the whole room
 * does not inflate every commit again. An index
 * that is corrupt, truncated or written under other limits is rebuilt from
 * the refs. The index is never trusted over the refs, and a store that
 * cannot be written is ordered in memory.
 *
 * Memory: building the order reads every commit of the room, touching
 * every page of its packs, and libgit2 maps packs in windows of up to 1 GiB,
 * up to 8 GiB at once, resident once read. Its only way to change that is
 * process-wide (git_libgit2_opts GIT_OPT_SET_MWINDOW_SIZE and
 * GIT_OPT_SET_MWINDOW_MAPPED_LIMIT), which the library leaves to the
 * program: a reader of large rooms sets small windows (git-chat uses 8 MiB
 * and 32 MiB: a million messages within a few dozen MiB of pack), and puts
 * libgit2's defaults back before a fetch (libgit2 1.5's pack writer fails on
 * large packs with small windows). */
GITCHAT_EXTERN(int) gitchat_conversation_load(gitchat_conversation **out, gitchat_store *store,
                                              const char *room,
                                              const gitchat_conversation_options *opts);

/* How the last load (or a later repair) went: for tests, benchmarks and
 * verbose output. */
typedef enum {
	GITCHAT_CONVERSATION_INDEX_NONE = 0,  /* ordered in memory, no index used */
	GITCHAT_CONVERSATION_INDEX_WARM,      /* the index matched the refs */
	GITCHAT_CONVERSATION_INDEX_UPDATED,   /* the refs had moved: new commits added */
	GITCHAT_CONVERSATION_INDEX_BUILT,     /* none, of another version or limits, or ignored */
	GITCHAT_CONVERSATION_INDEX_REBUILT,   /* it was corrupt: rebuilt */
	GITCHAT_CONVERSATION_INDEX_APPENDED   /* the refs had moved: new messages went after the
	                                         old ones and were appended (order-index.md) */
} gitchat_conversation_index_state;

typedef struct {
	gitchat_conversation_index_state index;
	int saved;                  /* 1 when the index file was written */
	size_t commits_read;        /* commits read and parsed */
	size_t invalid;             /* invalid commits reachable from the refs */
	size_t messages_cached;     /* messages given from the message cache */
	size_t messages_read;       /* messages read from git */
} gitchat_conversation_stats;

GITCHAT_EXTERN(void) gitchat_conversation_stats_get(gitchat_conversation_stats *out,
                                                    const gitchat_conversation *conv);

GITCHAT_EXTERN(size_t) gitchat_conversation_count(const gitchat_conversation *conv);

#define GITCHAT_NO_INDEX ((size_t)-1)

/* What is known of the i-th message without loading its text: enough to
 * page, filter by author and time, and attach edits, redactions,
 * reactions and replies to their targets. Pointers live as long as conv. */
typedef struct {
	const git_oid *id;
	int64_t time;                 /* author time */
	const gitchat_pubkey *key;    /* the signer */
	gitchat_message_kind kind;
	size_t target;                /* edit/redact/react: index of the target, or GITCHAT_NO_INDEX */
	size_t reply_to;              /* index of the message replied to, or GITCHAT_NO_INDEX */
} gitchat_conversation_entry;

/* 0, or GITCHAT_ENOTFOUND past the end (or, rarely, another error when
 * the index turned out corrupt and could not be rebuilt). */
GITCHAT_EXTERN(int) gitchat_conversation_entry_get(gitchat_conversation_entry *out,
                                                   const gitchat_conversation *conv, size_t i);

/* Loads the i-th message in order (caller frees with gitchat_message_free).
 * Messages are read on demand: a conversation holds 52 bytes per message,
 * mapped from the index, not the messages themselves. */
GITCHAT_EXTERN(int) gitchat_conversation_message_load(gitchat_message **out,
                                                      gitchat_conversation *conv, size_t i);

/* The edits, redactions and reactions whose target is message i, in
 * conversation order: up to `max` of their indices into `out`; *total says
 * how many there are. Lets a reader render a page without scanning the
 * whole conversation. */
GITCHAT_EXTERN(int) gitchat_conversation_related_get(size_t *total, const gitchat_conversation *conv,
                                                     size_t i, size_t *out, size_t max);

/* The index of message `id`, or GITCHAT_ENOTFOUND. */
GITCHAT_EXTERN(int) gitchat_conversation_find(size_t *out, const gitchat_conversation *conv,
                                              const git_oid *id);

/* The store and the room the conversation was loaded from. */
GITCHAT_EXTERN(gitchat_store *) gitchat_conversation_store(const gitchat_conversation *conv);
GITCHAT_EXTERN(const char *) gitchat_conversation_room(const gitchat_conversation *conv);

/* A layer above the merger that reads more into a room than its commits
 * say (private rooms decrypt: gitchat/private.h) rewrites each entry and
 * each message as it is handed out. `entry` may change kind, target and
 * reply_to (GITCHAT_MESSAGE_HIDDEN hides it); `message` may replace the
 * loaded message (freeing the one given). Either may be NULL. The filter
 * and its payload must outlive their use by the conversation; NULL
 * removes it. With a filter, gitchat_conversation_related_get scans. */
typedef struct {
	int (*entry)(gitchat_conversation_entry *e, size_t i, void *payload);
	int (*message)(gitchat_message **msg, size_t i, void *payload);
	void *payload;
} gitchat_conversation_filter;

GITCHAT_EXTERN(void) gitchat_conversation_filter_set(gitchat_conversation *conv,
                                                     const gitchat_conversation_filter *f);

/* The entry as the merger has it, without the filter (for the filter). */
GITCHAT_EXTERN(int) gitchat_conversation_entry_get_raw(gitchat_conversation_entry *out,
                                                       const gitchat_conversation *conv, size_t i);
/* Message i as stored, without the filter (for the filter). */
GITCHAT_EXTERN(int) gitchat_conversation_message_load_raw(gitchat_message **out,
                                                          gitchat_conversation *conv, size_t i);

GITCHAT_EXTERN(void) gitchat_conversation_free(gitchat_conversation *conv);

#ifdef __cplusplus
}
#endif
#endif
