/*
 * A message: one signed commit, parsed. A gitchat_message only exists for a
 * commit whose signature verified (see verify.h for the full validity rule).
 */
#ifndef GITCHAT_MESSAGE_H
#define GITCHAT_MESSAGE_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	GITCHAT_MESSAGE_TEXT = 0,   /* an ordinary message */
	GITCHAT_MESSAGE_EDIT,       /* chat-edit <oid>: new text for the target */
	GITCHAT_MESSAGE_REDACT,     /* chat-redact <oid>: hide the target's text */
	GITCHAT_MESSAGE_REACT,      /* chat-react <oid>: text is the reaction */
	/* Never shown and applies to nothing: a private room's events
	 * (genesis, epochs, membership, titles) and what its reading rules
	 * refuse (gitchat/private.h). Only a conversation filter gives it. */
	GITCHAT_MESSAGE_HIDDEN
} gitchat_message_kind;

/* An attachment (DESIGN.md "Attachments"): the commit's `chat-file <n>
 * <size> <name>` header, its bytes the blob `files/<n>` of the tree. The
 * name is valid (gitchat_file_name_check) but untrusted: escape it when
 * shown, and use gitchat_file_save to write it, never the name as a path. */
typedef struct {
	char *name;            /* UTF-8, 1..255 bytes, no '/', no control characters */
	uint64_t size;         /* bytes, equal to the blob's (in a private room,
	                        * to the decrypted blob's) */
} gitchat_file;

struct gitchat_message;

/* Where a message's files come from when its blobs are not the files
 * themselves: a private room's reader (gitchat/private.h) sets it on the
 * messages it decrypts, `decode` turning the blob files/<index+1> (an age
 * file) into the file's bytes in `out` (a buffer wiped when disposed).
 * It lives as long as that reader. NULL for a public message. */
typedef struct {
	int (*decode)(gitchat_buf *out, const struct gitchat_message *msg, size_t index,
	              const void *blob, size_t blob_len, void *payload);
	void *payload;
} gitchat_file_source;

typedef struct gitchat_message {
	git_oid id;
	git_oid tree;
	git_oid *parents;
	size_t parent_count;
	char *author_name;     /* claims; the key is the identity */
	char *author_email;
	int64_t time;          /* author time, seconds since the epoch */
	int tz_offset;         /* author time zone, minutes east of UTC */
	int64_t commit_time;
	char *room;
	gitchat_pubkey key;    /* the signer */
	int has_reply;
	git_oid reply_to;
	gitchat_message_kind kind;
	git_oid target;        /* for edit, redact, react */
	char *text;            /* UTF-8, without the final newline; "" for files alone */
	size_t text_len;
	gitchat_file *files;   /* files[i] is files/<i+1> of the tree */
	size_t file_count;
	const gitchat_file_source *file_source;   /* NULL: the blobs are the files */
} gitchat_message;

/* Reads commit `id`, checks its own validity (signature, chat-room `room`
 * when not NULL, limits) but not its parents', and parses it. */
struct gitchat_store;
GITCHAT_EXTERN(int) gitchat_message_read(gitchat_message **out, struct gitchat_store *store,
                                         const git_oid *id, const char *room);
/* The signer of a commit whose signature parses, read as verification
 * reads it, but not checked: for commits verified before. */
GITCHAT_EXTERN(int) gitchat_commit_signer(gitchat_pubkey *out, struct gitchat_store *store,
                                          const git_oid *id);
/* 0 when `name` (len bytes) is a valid attachment name: 1..255 bytes of
 * UTF-8, no '/', not "." or "..", no control character (C0, DEL, C1), no
 * bidirectional control and no line or paragraph separator. Otherwise
 * GITCHAT_EINVALID, the reason naming the name escaped. */
GITCHAT_EXTERN(int) gitchat_file_name_check(const char *name, size_t len);

/* Appends `name` escaped for a message or a log line: printable UTF-8 as
 * it is, control bytes and bytes that are not UTF-8 as \\xNN, bidirectional
 * controls and separators as \\u{XXXX}, a backslash doubled; cut after 64
 * bytes with "...". */
GITCHAT_EXTERN(int) gitchat_file_name_quote(gitchat_buf *out, const char *name);

/* The name file `name` gets when saved in a directory: what is not
 * printable UTF-8 and '/' '\\' become '_', a leading '.' or '-' too, cut to
 * 255 bytes; with k > 0 the k-th variant "stem-k.ext" (for a name taken).
 * Appended to `out`. */
GITCHAT_EXTERN(int) gitchat_file_safe_name(gitchat_buf *out, const char *name, unsigned k);

/* Writes attachment `index` (0-based) of `msg` into directory `dir` (NULL:
 * the current directory), never outside it and never over anything: the
 * file is created with O_EXCL|O_NOFOLLOW under gitchat_file_safe_name of
 * its name, or the first free variant of it. Appends the path written to
 * `path` (dir/name). The blob is read from the store (through
 * msg->file_source when set) and its size checked against the header
 * before anything is created. A partly written file is removed on error. */
GITCHAT_EXTERN(int) gitchat_file_save(gitchat_buf *path, struct gitchat_store *store,
                                      const gitchat_message *msg, size_t index,
                                      const char *dir);

GITCHAT_EXTERN(int) gitchat_message_dup(gitchat_message **out, const gitchat_message *msg);
GITCHAT_EXTERN(void) gitchat_message_free(gitchat_message *msg);

#ifdef __cplusplus
}
#endif
#endif
