/*
 * Internal: the message cache of a room, $GIT_DIR/chat/index/<room>.text-<id>.
 *
 * Reading a message from git costs an object lookup, a zlib inflate
 * (about 3.5 us for a 700-byte commit, more than everything else a reader
 * does) and a parse. The order index keeps, per message, where a copy of
 * what git would give lies in this file: written while the commits are
 * parsed for the index anyway, appended to when messages arrive.
 *
 * Layout (GCTEXT03): a 32-byte header ("GCTEXT03", a 16-byte random id the
 * index records, 8 zero bytes), then blocks at 8-byte boundaries, little
 * endian: u64 SipHash of the rest of the block (a check against damage),
 * u32 compressed length, u32 raw length, u32 first record, u32 record
 * count, then the records compressed (zlib), zero-padded to 8 bytes. A
 * record's slot is its number (from 1), counted through the blocks. A raw
 * record holds what rendering needs and the index does not:
 *
 *   the first 4 bytes of the commit id (the index names the commit: this
 *   only checks that the slot and the record agree), u8 flags (1: reply,
 *   2: non-empty tree, 4: target, 8: files), u8 kind,
 *   varints: author time zone (minutes, zigzag), committer time minus
 *   author time (zigzag), name, email and text lengths, [file count];
 *   [reply oid] [tree oid] [target oid], name, email, text, then per file
 *   (the chat-file headers) varint size, varint name length, name
 *
 * Records are compressed in blocks of about 64 KiB: a latest page inflates
 * the last block or two, a full read each block once. An append rewrites
 * the last block in place while it is not full (readers check the header
 * and sum of what they copied), so that one message a send does not leave
 * a block a message.
 *
 * The id is random, named in the file name and its header and recorded by
 * the index: each index finds exactly its cache, even when two processes
 * rebuild at once. A cache is appended to (under an exclusive lock) while
 * indexes keep using it, and removed when an index with another replaces
 * the one that used it.
 *
 * The commit id, author time, key, room and parents come from the index. A
 * record that does not check out (outside the file, in a damaged block) is
 * not used: the message is read from git instead. Like the index, the file is
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
	uint64_t off;              /* file offset where `buf` goes */
	uint64_t end;              /* an append's file size: a last block written
	                              again shorter leaves no bytes behind it */
	gitchat_buf buf;           /* blocks not yet written */
	gitchat_buf raw;           /* records of the block being filled */
	uint32_t next;             /* slot of the next record */
	uint32_t first, count;     /* the block being filled */
	int added;                 /* records added since opened */
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

/* Whether the cache keeps the bodies of `room`'s messages. A private
 * room's bodies are age files that only the private layer opens (and keeps
 * opened in its sealed cache): a copy here would only be inflated to be
 * replaced. Its records keep everything else, with an empty text; a reader
 * that needs the body reads it from git. */
int gitchat_text_keeps_body(const char *room, size_t len);

/* Adds the message of a parsed commit; returns its slot (record number), or
 * 0 when it could not be added (the message will be read from git). */
uint32_t gitchat_text_add(gitchat_text_writer *w, const git_oid *id, const gitchat_commit *c);

/* Writes what is pending and publishes a created file. */
int gitchat_text_finish(gitchat_text_writer *w);
void gitchat_text_abort(gitchat_text_writer *w);

typedef struct {
	uint64_t off;
	uint32_t first, count, zlen, rawlen;
	int bad;                   /* failed its checks once: read from git */
} gitchat_text_block;

/* Blocks kept inflated: the cache's records are in the order the index
 * build parsed the commits (breadth first from the tips), which follows
 * the conversation's order only within some blocks. */
#define GITCHAT_TEXT_KEEP 16

typedef struct {
	size_t block;              /* which (nblocks: none) */
	uint64_t used;             /* when last asked for */
	unsigned char *raw;        /* its records */
	size_t rawcap;
	uint32_t *recs;            /* offsets of its records in raw, and their end */
	size_t recscap;
} gitchat_text_inflated;

typedef struct {
	const unsigned char *data; /* the caller's bytes, or NULL: read `fd` */
	int fd, has_fd;            /* the file, read with pread: its pages stay out
	                              of the process (a block is copied anyway) */
	int open;                  /* a cache of this id is there */
	size_t size;
	int scanned;               /* blocks listed (on the first message asked for) */
	gitchat_text_block *blocks;
	size_t nblocks;
	unsigned char *z;          /* a copy of the block being inflated */
	size_t zcap;
	gitchat_text_inflated kept[GITCHAT_TEXT_KEEP];
	size_t last;               /* the entry of kept last used */
	uint64_t clock;
} gitchat_text_reader;

/* Opens the cache `id` if it is there and carries it; otherwise leaves the
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
