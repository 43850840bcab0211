/*
 * Internal: the message cache of a room, $GIT_DIR/chat/index/<room>.text-<id>.
 *
 * Reading a message from git costs an object lookup, a zlib inflate
 * (about 3.5 us for a 700-byte commit, more than everything else a reader
 * does) and a parse. The order index keeps, per message, where a copy of
 * what git would give lies in this file: written while the commits are
 * parsed for the index anyway, appended to when messages arrive.
 *
 * Layout: a 32-byte header ("GCTEXT02", a 16-byte random id the index
 * records, 8 zero bytes), then records at 8-byte boundaries, little endian:
 *
 *   u32 length, u32 0, u64 SipHash of the bytes after it, oid[20],
 *   i64 committer time, i32 author time zone (minutes), u8 flags (1: reply,
 *   2: non-empty tree, 4: target, 8: files), u8 kind, u16 name length, u16
 *   email length, u16 0, u32 text length, u16 file count, u16 0, [reply
 *   oid] [tree oid] [target oid], name, email, text, then per file (the
 *   chat-file headers) u64 size, u16 name length, name
 *
 * The id is random, named in the file name and its header and recorded by
 * the index: each index finds exactly its cache, even when two processes
 * rebuild at once. A cache is appended to (under an exclusive lock) while
 * indexes keep using it, and removed when an index with another replaces
 * the one that used it.
 *
 * The author time, key, room and parents come from the index. A record that
 * does not check out (outside the file, damaged, another commit's) is not
 * used: the message is read from git instead. Like the index, the file is
 * local state; it only holds copies of commits that were verified.
 */
#ifndef GITCHAT_ORDER_TEXT_H
#define GITCHAT_ORDER_TEXT_H

#include "gitchat/common.h"
#include "gitchat/message.h"
#include "message/commit.h"

#define GITCHAT_TEXT_ID_SIZE 16

typedef struct {
	unsigned char id[GITCHAT_TEXT_ID_SIZE];
	int fd;
	char *path, *tmp;
	uint64_t pos;              /* file offset of the next record */
	gitchat_buf buf;           /* records not yet written */
	int failed;                /* stop adding (and slots of 0) after any failure */
} gitchat_text_writer;

/* `prefix` is the index's path. A new, empty cache with a new id (written
 * to a temporary file until finished). */
int gitchat_text_create(gitchat_text_writer *w, const char *prefix);

/* Appends to the cache `id`: GITCHAT_ENOTFOUND or GITCHAT_EINVALID when it
 * is missing or damaged, GITCHAT_EMODIFIED when another writer holds it.
 * Holds an exclusive lock until finished, so concurrent appenders know
 * where their records land. */
int gitchat_text_append(gitchat_text_writer *w, const char *prefix,
                        const unsigned char id[GITCHAT_TEXT_ID_SIZE]);

void gitchat_text_remove(const char *prefix, const unsigned char id[GITCHAT_TEXT_ID_SIZE]);

/* Removes caches other than `keep`, and temporary files, last modified
 * before `older_than` (seconds since the epoch): what writers that lost a
 * race or died left. A writer that is still working touched its files
 * recently. */
void gitchat_text_sweep(const char *prefix, const unsigned char keep[GITCHAT_TEXT_ID_SIZE],
                        int64_t older_than);

/* Adds the message of a parsed commit; returns its slot (offset / 8), or
 * 0 when it could not be added (the message will be read from git). */
uint32_t gitchat_text_add(gitchat_text_writer *w, const git_oid *id, const gitchat_commit *c);

/* Writes what is pending and publishes a created file. */
int gitchat_text_finish(gitchat_text_writer *w);
void gitchat_text_abort(gitchat_text_writer *w);

typedef struct {
	const unsigned char *data;
	size_t size;
	size_t touched;            /* bytes read since the pages were last given back */
	int mapped;                /* data is the file, mapped (else the caller's) */
} gitchat_text_reader;

/* Maps the cache `id` if it is there and carries it; otherwise leaves the
 * reader empty (every message then comes from git). */
void gitchat_text_open(gitchat_text_reader *r, const char *prefix,
                       const unsigned char id[GITCHAT_TEXT_ID_SIZE]);
/* The same over the contents of a cache in memory, which the caller keeps
 * until the reader is closed: the one reader of the format, for the fuzzer
 * (tests/fuzz/fuzz_textcache.c). */
void gitchat_text_open_bytes(gitchat_text_reader *r, const void *data, size_t size,
                             const unsigned char id[GITCHAT_TEXT_ID_SIZE]);
void gitchat_text_close(gitchat_text_reader *r);

/* Builds message `id` from its record at `slot`; the caller gives what the
 * index knows. GITCHAT_ENOTFOUND when the record is missing or does not
 * check out (read it from git then). */
int gitchat_text_message(gitchat_message **out, gitchat_text_reader *r, uint32_t slot,
                         const git_oid *id, int64_t time, const gitchat_pubkey *key,
                         const char *room, const git_oid *parents, size_t nparents);

#endif
