/* Internal to members/: one commit's membership headers, the membership
 * object itself, and its cache beside the order index (cache.c). */
#ifndef GITCHAT_MEMBERS_INTERNAL_H
#define GITCHAT_MEMBERS_INTERNAL_H

#include "gitchat/members.h"
#include "gitchat/persons.h"
#include "store/refs.h"
#include "util/oidmap.h"

typedef struct {
	git_oid tree;
	int has_genesis;
	unsigned char genesis[16];
	int has_dm;
	gitchat_pubkey dm;
	char epoch[GITCHAT_MEMBERS_MAX_EPOCH + 1];   /* "" when none */
	gitchat_member adds[GITCHAT_MEMBERS_MAX_CHANGES];
	gitchat_member removes[GITCHAT_MEMBERS_MAX_CHANGES];
	size_t nadds, nremoves, nchanges;
} gitchat_members_hdr;

/* Parses the header part of raw commit text (up to the blank line).
 * GITCHAT_EINVALID with the reason for a malformed membership header. */
int gitchat_members_hdr_parse(gitchat_members_hdr *h, const char *raw, size_t len);

/* Exactly 2*n lowercase hex digits into n bytes; -1 otherwise. */
int gitchat_members_hex(unsigned char *out, const char *s, size_t len, size_t n);

#define GITCHAT_MEMBERS_NONE UINT32_MAX

typedef struct {
	git_oid id;
	gitchat_pubkey key;
	int64_t time;
	uint32_t p0, np;        /* into m->parents */
	uint32_t ev;            /* index into m->ev, or NONE */
	uint32_t rank;          /* of the key among the room's keys */
	const char *epoch;      /* into m->strs, NULL when none */
	int member, removed;
	int known;              /* event taken from the cache: its causal verdict too */
} gitchat_mnode;

/* Why an event does not count: an index into gitchat_members_ignored. */
enum {
	GITCHAT_MEMBERS_OK = 0,
	GITCHAT_MEMBERS_MALFORMED,
	GITCHAT_MEMBERS_BAD_GENESIS,
	GITCHAT_MEMBERS_NOT_ADMIN,
	GITCHAT_MEMBERS_NOT_MEMBER,
	GITCHAT_MEMBERS_NREASONS
};
extern const char *const gitchat_members_ignored[GITCHAT_MEMBERS_NREASONS];

typedef struct {
	uint32_t node;
	int genesis, counted, epoch_file, has_dm;
	unsigned char nonce[16];
	unsigned ignored;       /* GITCHAT_MEMBERS_OK or the reason */
	int persons;            /* its verdict read the store's `_identity` room */
	gitchat_member *adds;
	size_t nadds;
	gitchat_pubkey *removes;
	size_t nremoves;
	gitchat_pubkey dm;
	gitchat_member *after;
	size_t nafter;
} gitchat_mevent;

typedef struct {
	gitchat_member *v;
	size_t n, cap;
} gitchat_mstate;

struct gitchat_members {
	char room[26];
	gitchat_mnode *nodes;
	size_t n;
	uint32_t *parents;
	size_t nparents, capparents;
	gitchat_mevent *ev;
	size_t nev;
	gitchat_mstate cur;
	int valid;
	int linear;             /* the counted events form one causal chain */
	int ranked;             /* nodes' key ranks computed */
	const char *send_epoch; /* into strs: what a send uses, NULL: none */
	char **strs;            /* every string the nodes point to */
	size_t nstrs, capstrs;
	gitchat_oidmap map;
	int mapped;             /* map holds every node */
	/* The people of the store's `_identity` room, read only when a
	 * member who is not an admin adds keys (their own devices?). */
	gitchat_store *store;
	gitchat_persons *persons;
	int persons_loaded;
	int persons_dep;        /* some event's verdict read them: not cached as is */
	/* Loaded from the cache: no nodes, each commit's record read in place
	 * from the file's bytes (rows; ids only when asked for), its id and
	 * key from the conversation (which must outlive it). */
	gitchat_buf file;
	const unsigned char *rows, *ids;
	const gitchat_conversation *conv;
	const char **epochs;    /* the rows' epoch numbers, 1-based */
	size_t nepochs;
	/* Found while the rows are checked (gitchat_members_messages_clean):
	 * every row that is no event is a member's, not removed, with an
	 * epoch; and the epochs such rows name. */
	int clean;
	const char **used;
	size_t nused;
};

gitchat_members *gitchat_members_new(const char *room, size_t n);
/* Keeps `s` (malloc'd) with m, which frees it: its pointer, or NULL. */
char *gitchat_members_keep(gitchat_members *m, char *s);

/* ---- the cache: <index>+members (cache.c; docs/private-rooms.md) ----
 *
 * Everything gitchat_members_load computed over a conversation, and the
 * tips that conversation was ordered from: a reader whose conversation has
 * exactly these tips takes it as it is; one whose refs moved takes each
 * commit's headers (and an event's verdict, which its causal past fixes)
 * from it instead of reading the commit again. Its head (tips, current
 * members, the epoch a send uses, whether the events are one chain) has
 * its own sum, so that a send reads only the head. Each file is checked
 * against the refs on its own: either may be older than the other. */

#define GITCHAT_MCACHE_HEAD_READ 65536

typedef struct {
	gitchat_tips tips;
	int valid, linear;
	int persons;            /* the state read `_identity`: a send loads the room */
	char epoch[GITCHAT_MEMBERS_MAX_EPOCH + 1];   /* "" when none */
	gitchat_member *cur;
	size_t ncur;
} gitchat_mcache_head;

void gitchat_mcache_head_dispose(gitchat_mcache_head *h);
/* Moves the head's state (validity, chain, members, send epoch) into m. */
int gitchat_mcache_head_take(gitchat_members *m, gitchat_mcache_head *h);
/* <index>+members, or with `head` <index>+members-head: a head alone (no
 * body), which a send rewrites when commits arrived since the head it
 * read, so that the next one reads only what is newer still. */
int gitchat_mcache_path(gitchat_buf *out, const char *index_path, int head);
/* The file's bytes for `m`, computed over a conversation of `tips`. */
int gitchat_mcache_encode(gitchat_buf *out, const gitchat_members *m, const gitchat_tips *tips);
/* A head alone: `m`'s state (no commits) valid for `tips`. */
int gitchat_mcache_encode_head(gitchat_buf *out, const gitchat_members *m,
                               const gitchat_tips *tips);
/* The head alone (its sum checked; `len` may stop after it). GITCHAT_EINVALID
 * with the reason when damaged, of another room or version; GITCHAT_EMODIFIED
 * when `len` is too short for the head (*need says how many bytes). */
int gitchat_mcache_decode_head(gitchat_mcache_head *out, size_t *need, const void *data,
                               size_t len, const char *room);
/* The file up to its ids (`ids`: and them): the members, in place over
 * `file` (which it takes), and the tips they were for. */
int gitchat_mcache_decode(gitchat_members **out, gitchat_tips *tips, gitchat_buf *file,
                          const char *room, int ids);
/* How many bytes of the file to read for decode without the ids (the
 * prelude says; `len` holds at least the prelude), or 0 when it is not one. */
size_t gitchat_mcache_size(const void *data, size_t len, int ids);
#define GITCHAT_MCACHE_PRELUDE 20

/* Row i of a cache-loaded `m`: its epoch (NULL: none), flags, event. */
void gitchat_mcache_row(const gitchat_members *m, size_t i, const char **epoch, int *member,
                        int *removed, uint32_t *ev);
/* Its id (only when loaded with ids). */
const git_oid *gitchat_mcache_id(const gitchat_members *m, size_t i);

#endif
