#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verify/cache.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/oidmap.h"

#define CACHE_MAGIC "GCVRFY01"
#define CACHE_HEADER 32

typedef struct {
	char name[65];
	int loaded;
	gitchat_buf pending;   /* valid ids not yet appended to the file */
	gitchat_buf file;      /* the file as read: header, then records */
	size_t sorted;         /* records at the start of `file` in sorted order */
} cache_room;

/* Records that do not fit the sorted run go into the hash map; when they
 * become many, the file is rewritten sorted, so that loading a big room
 * stays a read and a binary search instead of 100,000 hash inserts. */
#define CACHE_RESORT_MIN 4096

typedef struct {
	git_oid cause;
	char *reason;
	uint32_t room;         /* invalid for this room; another may differ */
} cache_failure;

struct gitchat_verify_cache {
	char *dir;                 /* $GIT_DIR/chat/verified */
	gitchat_limits limits;
	gitchat_oidmap map;        /* valid: value = room index */
	/* Invalid results apart, per room: a commit that is valid in its own
	 * room but was also offered under another room's ref (bad data from a
	 * remote) must not turn invalid where it belongs. */
	gitchat_oidmap failed;     /* value: failure index */
	cache_room *rooms;
	size_t nrooms;
	cache_failure *failures;
	size_t nfailures;
};

int gitchat_verify_cache_open(gitchat_verify_cache **out, git_repository *repo,
                              const gitchat_limits *limits)
{
	gitchat_verify_cache *c = calloc(1, sizeof(*c));
	gitchat_buf dir = GITCHAT_BUF_INIT;

	*out = NULL;
	if (!c || gitchat_buf_printf(&dir, "%schat/verified", git_repository_path(repo)) < 0) {
		free(c);
		return gitchat_error_oom();
	}
	c->dir = gitchat_buf_detach(&dir);
	c->limits = *limits;
	*out = c;
	return 0;
}

static void header(unsigned char h[CACHE_HEADER], const gitchat_limits *l)
{
	uint32_t v[3] = { (uint32_t)l->max_text, (uint32_t)l->max_tree, (uint32_t)l->max_parents };
	memset(h, 0, CACHE_HEADER);
	memcpy(h, CACHE_MAGIC, 8);
	for (int i = 0; i < 3; i++) {
		h[8 + 4 * i] = v[i] >> 24;
		h[9 + 4 * i] = v[i] >> 16;
		h[10 + 4 * i] = v[i] >> 8;
		h[11 + 4 * i] = v[i];
	}
}

static int rec_cmp(const void *a, const void *b)
{
	return memcmp(a, b, GIT_OID_RAWSZ);
}

/* Sorts all records and writes the file anew (atomically). Losing a record
 * another process appended meanwhile only costs a later re-verification. */
static void room_resort(gitchat_verify_cache *c, cache_room *r, const char *path)
{
	size_t n = (r->file.size - CACHE_HEADER) / GIT_OID_RAWSZ, i, k;
	unsigned char *recs = (unsigned char *)r->file.ptr + CACHE_HEADER;

	qsort(recs, n, GIT_OID_RAWSZ, rec_cmp);
	for (i = k = 0; i < n; i++)   /* drop duplicates */
		if (!k || memcmp(recs + (k - 1) * GIT_OID_RAWSZ, recs + i * GIT_OID_RAWSZ,
		                 GIT_OID_RAWSZ) != 0)
			memmove(recs + k++ * GIT_OID_RAWSZ, recs + i * GIT_OID_RAWSZ, GIT_OID_RAWSZ);
	r->file.size = CACHE_HEADER + k * GIT_OID_RAWSZ;
	r->sorted = k;
	if (gitchat_fs_write_new(path, r->file.ptr, r->file.size, 0644, 1) < 0)
		gitchat_error_clear();
	(void)c;
}

static int room_load(gitchat_verify_cache *c, uint32_t idx)
{
	cache_room *r = &c->rooms[idx];
	gitchat_buf path = GITCHAT_BUF_INIT;
	unsigned char h[CACHE_HEADER];
	const unsigned char *recs;
	size_t off, n, i;
	int error = 0;

	r->loaded = 1;
	if (gitchat_buf_printf(&path, "%s/%s", c->dir, r->name) < 0)
		return GITCHAT_ENOMEM;
	if (gitchat_fs_read(&r->file, path.ptr, (size_t)1 << 34) < 0) {
		gitchat_error_clear();  /* absent or unreadable: start empty */
		gitchat_buf_clear(&r->file);
		goto done;
	}
	header(h, &c->limits);
	if (r->file.size < CACHE_HEADER || memcmp(r->file.ptr, h, CACHE_HEADER) != 0 ||
	    (r->file.size - CACHE_HEADER) % GIT_OID_RAWSZ != 0) {
		unlink(path.ptr);       /* stale limits or torn write: rebuild */
		gitchat_buf_clear(&r->file);
		goto done;
	}
	n = (r->file.size - CACHE_HEADER) / GIT_OID_RAWSZ;
	recs = (const unsigned char *)r->file.ptr + CACHE_HEADER;
	for (i = 1; i < n && memcmp(recs + (i - 1) * GIT_OID_RAWSZ, recs + i * GIT_OID_RAWSZ,
	                            GIT_OID_RAWSZ) < 0; i++)
		;
	r->sorted = n ? i : 0;
	if (n - r->sorted > CACHE_RESORT_MIN && n - r->sorted > n / 8) {
		room_resort(c, r, path.ptr);
		goto done;
	}
	if ((error = gitchat_oidmap_reserve(&c->map, c->map.size + n - r->sorted)) < 0)
		goto done;
	for (off = CACHE_HEADER + r->sorted * GIT_OID_RAWSZ; off < r->file.size;
	     off += GIT_OID_RAWSZ) {
		git_oid id;
		memcpy(id.id, r->file.ptr + off, GIT_OID_RAWSZ);
		if ((error = gitchat_oidmap_set(&c->map, &id, idx)) < 0)
			break;
	}
done:
	gitchat_buf_dispose(&path);
	return error;
}

static int room_sorted_has(const cache_room *r, const git_oid *id)
{
	const unsigned char *recs = (const unsigned char *)r->file.ptr + CACHE_HEADER;
	size_t lo = 0, hi = r->sorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = memcmp(recs + mid * GIT_OID_RAWSZ, id->id, GIT_OID_RAWSZ);
		if (d == 0)
			return 1;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int room_index(gitchat_verify_cache *c, const char *room, uint32_t *out)
{
	size_t i;
	cache_room *nr;

	for (i = 0; i < c->nrooms; i++)
		if (strcmp(c->rooms[i].name, room) == 0) {
			*out = (uint32_t)i;
			return 0;
		}
	if (strlen(room) > 64 || !(nr = realloc(c->rooms, (c->nrooms + 1) * sizeof(*nr))))
		return gitchat_error_oom();
	c->rooms = nr;
	memset(&nr[c->nrooms], 0, sizeof(*nr));
	strcpy(nr[c->nrooms].name, room);
	*out = (uint32_t)c->nrooms++;
	return room_load(c, *out);
}

gitchat_vstate gitchat_verify_cache_get(gitchat_verify_cache *c, const char *room,
                                        const git_oid *id, const char **reason,
                                        git_oid *cause)
{
	uint32_t idx, v;

	if (room_index(c, room, &idx) < 0)
		return GITCHAT_VSTATE_UNKNOWN;
	/* Valid for its own room only: a commit names exactly one chat-room. */
	if (gitchat_oidmap_get(&c->map, id, &v) && v == idx)
		return GITCHAT_VSTATE_VALID;
	if (room_sorted_has(&c->rooms[idx], id))
		return GITCHAT_VSTATE_VALID;
	if (gitchat_oidmap_get(&c->failed, id, &v) && c->failures[v].room == idx) {
		cache_failure *f = &c->failures[v];
		if (reason)
			*reason = f->reason;
		if (cause)
			*cause = f->cause;
		return GITCHAT_VSTATE_INVALID;
	}
	return GITCHAT_VSTATE_UNKNOWN;
}

int gitchat_verify_cache_set_valid(gitchat_verify_cache *c, const char *room, const git_oid *id)
{
	uint32_t idx;
	int error;

	if ((error = room_index(c, room, &idx)) < 0 ||
	    (error = gitchat_oidmap_set(&c->map, id, idx)) < 0)
		return error;
	return gitchat_buf_put(&c->rooms[idx].pending, id->id, GIT_OID_RAWSZ);
}

int gitchat_verify_cache_set_invalid(gitchat_verify_cache *c, const char *room,
                                     const git_oid *id, const git_oid *cause, const char *reason)
{
	cache_failure *nf;
	uint32_t idx;
	int error;

	if ((error = room_index(c, room, &idx)) < 0)
		return error;
	if (!(nf = realloc(c->failures, (c->nfailures + 1) * sizeof(*nf))))
		return gitchat_error_oom();
	c->failures = nf;
	nf[c->nfailures].cause = *cause;
	nf[c->nfailures].room = idx;
	if (!(nf[c->nfailures].reason = strdup(reason)))
		return gitchat_error_oom();
	return gitchat_oidmap_set(&c->failed, id, (uint32_t)c->nfailures++);
}

static void room_flush(gitchat_verify_cache *c, cache_room *r)
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	unsigned char h[CACHE_HEADER];
	struct stat st;
	int fd;

	if (!r->pending.size)
		return;
	if (gitchat_buf_printf(&path, "%s/%s", c->dir, r->name) < 0)
		goto done;
	/* The directory exists but for the first flush: mkdir only then. */
	fd = open(path.ptr, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ENOENT && gitchat_fs_mkdir_p(c->dir, 0755) == 0)
		fd = open(path.ptr, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		goto done;
	/* One write per flush: O_APPEND keeps concurrent writers' records whole. */
	if (fstat(fd, &st) == 0 && st.st_size == 0) {
		/* A new file starts sorted (see room_load). */
		qsort(r->pending.ptr, r->pending.size / GIT_OID_RAWSZ, GIT_OID_RAWSZ, rec_cmp);
		header(h, &c->limits);
		if (write(fd, h, CACHE_HEADER) != CACHE_HEADER) {
			close(fd);
			goto done;
		}
	}
	if (write(fd, r->pending.ptr, r->pending.size) < 0) { /* best effort */ }
	close(fd);
done:
	gitchat_error_clear();
	gitchat_buf_clear(&r->pending);
	gitchat_buf_dispose(&path);
}

void gitchat_verify_cache_flush(gitchat_verify_cache *c)
{
	for (size_t i = 0; c && i < c->nrooms; i++)
		room_flush(c, &c->rooms[i]);
}

void gitchat_verify_cache_free(gitchat_verify_cache *c)
{
	size_t i;

	if (!c)
		return;
	gitchat_verify_cache_flush(c);
	for (i = 0; i < c->nrooms; i++) {
		gitchat_buf_dispose(&c->rooms[i].pending);
		gitchat_buf_dispose(&c->rooms[i].file);
	}
	for (i = 0; i < c->nfailures; i++)
		free(c->failures[i].reason);
	free(c->failures);
	free(c->rooms);
	gitchat_oidmap_dispose(&c->map);
	gitchat_oidmap_dispose(&c->failed);
	free(c->dir);
	free(c);
}
