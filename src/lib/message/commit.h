/*
 * Internal: the commit text of a message, written and parsed by us rather
 * than by libgit2, which cannot write chat-* headers and is lenient in
 * parsing. Layout (DESIGN.md):
 *
 *   tree <oid>\n  parent <oid>\n*  author ...\n  committer ...\n
 *   chat-room <room>\n  chat-*...\n  gpgsig <armored, continuation lines
 *   start with a space>\n  \n  text\n
 *
 * One encoding per signed commit (docs/decisions.md): gpgsig is the last
 * header, its armor is exactly ssh-keygen's, known headers appear once and
 * on one line.
 */
#ifndef GITCHAT_MESSAGE_COMMIT_H
#define GITCHAT_MESSAGE_COMMIT_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/message.h"
#include "gitchat/store.h"

typedef struct {
	const char *name; size_t name_len;
	const char *email; size_t email_len;
	int64_t time;
	int tz;                 /* minutes east of UTC */
} gitchat_ident;

/* A chat-file header: `chat-file <n> <size> <name>`; the name points into
 * the raw commit. */
typedef struct {
	const char *name; size_t name_len;
	uint64_t size;
} gitchat_commit_file;

typedef struct {
	git_oid tree;
	git_oid *parents;
	size_t parent_count;
	gitchat_ident author, committer;
	const char *room; size_t room_len;
	size_t room_count;
	int has_reply; git_oid reply_to;
	gitchat_message_kind kind; git_oid target;
	size_t kind_count;       /* how many of chat-edit/redact/react */
	size_t signature_count;  /* gpgsig and gpgsig-sha256 headers */
	int has_encoding;
	gitchat_commit_file *files;   /* chat-file 1..file_count, in that order */
	size_t file_count;
	const char *text; size_t text_len;  /* the whole message part */
	size_t body_len;         /* bytes after the blank line (text_len less a final \n) */
	gitchat_buf payload;     /* the commit without its gpgsig header */
	gitchat_buf signature;   /* the gpgsig value, unfolded */
} gitchat_commit;

/* Parses the raw commit; GITCHAT_EINVALID with a reason when malformed.
 * Pointers refer into `raw`, which must outlive the parse. */
int gitchat_commit_parse(gitchat_commit *out, const char *raw, size_t len);

/* The one reader of `chat-file <n> <size> <name>` (the value after
 * "chat-file "): appends it to c->files, GITCHAT_EINVALID when it is not
 * the next number with a size in decimal. A private room's inner message
 * uses it too. */
int gitchat_commit_file_parse(gitchat_commit *c, const char *val, size_t len);
/* The files of c->files on their own: valid names, each once, within the
 * limits, on ordinary messages only (GITCHAT_EVERIFY with the reason). */
int gitchat_commit_files_check(const gitchat_commit *c, const gitchat_limits *limits);
void gitchat_commit_dispose(gitchat_commit *c);

/* Checks a parsed commit on its own: one good SSHSIG signature, the room,
 * the limits. On success *signer is the key. The reason is in the error. */
int gitchat_commit_check(gitchat_pubkey *signer, const gitchat_commit *c,
                         git_repository *repo, const char *room,
                         const gitchat_limits *limits);

/* The key the commit's one signature names, read by the one SSHSIG reader
 * (gitchat_sshsig_signer) without checking the signature: for commits
 * verified before. GITCHAT_EVERIFY with the reason when there is none. */
int gitchat_commit_key(gitchat_pubkey *out, const gitchat_commit *c);

/* Checks message text given by a user or found in a commit. */
int gitchat_text_check(const char *text, size_t len, const gitchat_limits *limits);

/* Reads the raw commit object `id` into `raw` (GITCHAT_EINVALID if it is
 * not a commit). */
int gitchat_commit_read_raw(gitchat_buf *raw, git_repository *repo, const git_oid *id);
/* The same through libgit2's object cache (message/objects.h says when). */
int gitchat_commit_read_cached(gitchat_buf *raw, git_repository *repo, const git_oid *id);

/* Builds a gitchat_message from a checked commit. */
int gitchat_message_from_commit(gitchat_message **out, const git_oid *id,
                                const gitchat_commit *c, const gitchat_pubkey *signer);

/* Writes an identity line value "Name <email> time +hhmm". */
int gitchat_ident_format(gitchat_buf *out, const char *name, const char *email,
                         int64_t time, int tz);

#define GITCHAT_EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

/* What sealing a file of `n` bytes to one age recipient may add: a binary
 * header of at most 1 KiB (one X25519 stanza is about 200 bytes), the
 * 16-byte nonce and a 16-byte tag per 64 KiB chunk (at least one). The
 * bound on a private room's files/<n> seen from outside
 * (docs/attachments.md). */
#define GITCHAT_SEALED_FILE_OVERHEAD(n) \
	((uint64_t)1024 + 16 + 16 * ((uint64_t)(n) / 65536 + 1))

#endif
