#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verify/cache.h"
#include "util/buf.h"
#include "util/array.h"
#include "util/error.h"
#include "util/bytes.h"
#include "util/fs.h"
#include "util/oidmap.h"

/* Bumped whenever the rules of validity change: a verdict is only as good
 * as the rules it was reached under. 03: identities as git fsck takes
 * them, times within 1970..9999. Older files are rebuilt. */
#define CACHE_MAGIC "GCVRFY04"
#define CACHE_HEADER 32
#define REC GIT_OID_RAWSZ
#define INVALID_BIT 0x80000000u
#define VALID_VALUE 0u
/* An appended tail this long is worth rewriting the file sorted. */
#define COMPACT_AT 4096

typedef struct {
	char name[65];
	const unsigned char *sorted;   /* valid ids in ascending order */
	size_t nsorted;
	void *map;                     /* the file, mapped */
	size_t maplen;
	unsigned char *owned;          /* sorted ids merged in memory */
	size_t ntail;                  /* records after the sorted part of the file */
	gitchat_oidmap mem;            /* the file's tail and this process's results */
	gitchat_buf pending;           /* valid ids not yet appended to the file */
} cache_room;

typedef struct {
	git_oid cause;
	char *reason;
} cache_failure;

struct gitchat_verify_cache {
	char *dir;                 /* $GIT_DIR/chat/verified; NULL: memory only */
	gitchat_limits limits;
	cache_room *rooms;
	size_t nrooms;
	cache_failure *failures;
	size_t nfailures, cfailures;   /* doubling: a room may hold 200,000 */
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

int gitchat_verify_cache_open_memory(gitchat_verify_cache **out, const gitchat_limits *limits)
{
	gitchat_verify_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return gitchat_error_oom();
	c->limits = *limits;
	*out = c;
	return 0;
}

static void header(unsigned char h[CACHE_HEADER], const gitchat_limits *l, const char *magic,
                   uint32_t nsorted)
{
	memset(h, 0, CACHE_HEADER);
	memcpy(h, magic, 8);
	gitchat_put_be32(h + 8, (uint32_t)l->max_text);
	gitchat_put_be32(h + 12, (uint32_t)l->max_tree);
	gitchat_put_be32(h + 16, (uint32_t)l->max_parents);
	if (!strcmp(magic, CACHE_MAGIC)) {
		gitchat_put_be32(h + 20, nsorted);
		gitchat_put_be32(h + 24, (uint32_t)l->max_file);
	}
}

static int rec_cmp(const void *a, const void *b)
{
	return memcmp(a, b, REC);
}

/* Sorts 20-byte ids: bucketed by their first two bytes (they are hash
 * output, so buckets are even), then each small bucket sorted. */
static int sort_ids(unsigned char *ids, size_t n)
{
	uint32_t *start;
	unsigned char *tmp;
	size_t i;

	if (n < 1024) {
		qsort(ids, n, REC, rec_cmp);
		return 0;
	}
	start = calloc(65536 + 1, sizeof(uint32_t));
	tmp = malloc(n * REC);
	if (!start || !tmp) {
		free(start);
		free(tmp);
		return gitchat_error_oom();
	}
	for (i = 0; i < n; i++)
		start[((unsigned)ids[i * REC] << 8 | ids[i * REC + 1]) + 1]++;
	for (i = 0; i < 65536; i++)
		start[i + 1] += start[i];
	for (i = 0; i < n; i++) {
		unsigned b = (unsigned)ids[i * REC] << 8 | ids[i * REC + 1];
		memcpy(tmp + (size_t)start[b]++ * REC, ids + i * REC, REC);
	}
	for (i = 0; i < 65536; i++) {
		uint32_t b = i ? start[i - 1] : 0;
		if (start[i] - b > 1)
			qsort(tmp + (size_t)b * REC, start[i] - b, REC, rec_cmp);
	}
	memcpy(ids, tmp, n * REC);
	free(start);
	free(tmp);
	return 0;
}

static int room_path(gitchat_buf *out, gitchat_verify_cache *c, const cache_room *r)
{
	return gitchat_buf_printf(out, "%s/%s", c->dir, r->name);
}

/* What stays in memory once the valid ids are all in the sorted part:
 * the invalid verdicts (never written to the file). */
static int keep_invalid(cache_room *r)
{
	gitchat_oidmap kept = GITCHAT_OIDMAP_INIT;
	size_t i;

	for (i = 0; i < r->mem.cap; i++)
		if (r->mem.used[i] && (r->mem.values[i] & INVALID_BIT) &&
		    gitchat_oidmap_set(&kept, &r->mem.keys[i], r->mem.values[i]) < 0) {
			gitchat_oidmap_dispose(&kept);
			return GITCHAT_ENOMEM;
		}
	gitchat_oidmap_dispose(&r->mem);
	r->mem = kept;
	return 0;
}

/* Merges the sorted part and the tail into one sorted array and rewrites
 * the file with it. Failing to write only means doing this again later. */
static int compact(gitchat_verify_cache *c, cache_room *r, const unsigned char *tail, size_t ntail)
{
	unsigned char *t = malloc(ntail * REC + 1), *all, h[CACHE_HEADER];
	gitchat_buf path = GITCHAT_BUF_INIT, data = GITCHAT_BUF_INIT;
	size_t i = 0, j = 0, n = 0;

	if (!t || keep_invalid(r) < 0) {
		free(t);
		return gitchat_error_oom();
	}
	memcpy(t, tail, ntail * REC);
	if (sort_ids(t, ntail) < 0 || !(all = malloc((r->nsorted + ntail) * REC + 1))) {
		free(t);
		return gitchat_error_oom();
	}
	while (i < r->nsorted || j < ntail) {
		const unsigned char *next;
		if (j == ntail || (i < r->nsorted && memcmp(r->sorted + i * REC, t + j * REC, REC) <= 0))
			next = r->sorted + i++ * REC;
		else
			next = t + j++ * REC;
		if (n && memcmp(all + (n - 1) * REC, next, REC) == 0)
			continue;
		memcpy(all + n++ * REC, next, REC);
	}
	free(t);
	if (r->map)
		munmap(r->map, r->maplen);
	r->map = NULL;
	free(r->owned);
	r->owned = all;
	r->sorted = all;
	r->nsorted = n;
	r->ntail = 0;                      /* the tail is in `all` now */

	header(h, &c->limits, CACHE_MAGIC, (uint32_t)n);
	if (c->dir && n < UINT32_MAX && room_path(&path, c, r) == 0 &&
	    gitchat_buf_put(&data, h, CACHE_HEADER) == 0 && gitchat_buf_put(&data, all, n * REC) == 0)
		gitchat_fs_write_new(path.ptr, data.ptr, data.size, 0644, 1);
	gitchat_error_clear();
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&data);
	return 0;
}

/* Reads a room file mapped at `map` (taking the mapping): the sorted part
 * is used where it lies, the tail goes to memory. 1 when the file is not
 * for these rules and limits (or damaged): the caller drops it. */
static int room_get(cache_room **out, gitchat_verify_cache *c, const char *room);

static int room_parse(gitchat_verify_cache *c, cache_room *r, void *map, size_t maplen)
{
	unsigned char h1[CACHE_HEADER];
	const unsigned char *d = map;
	size_t nrec, nsorted, i;
	int error = 0;

	r->map = map;
	r->maplen = maplen;
	nrec = (maplen - CACHE_HEADER) / REC;   /* a torn last record is ignored */
	header(h1, &c->limits, CACHE_MAGIC, 0);
	nsorted = gitchat_be32(d + 20);
	if (memcmp(d, h1, 20) != 0 || memcmp(d + 24, h1 + 24, 4) != 0 || nsorted > nrec) {
		munmap(r->map, r->maplen);
		r->map = NULL;
		return 1;
	}
	r->sorted = d + CACHE_HEADER;
	r->nsorted = nsorted;
	if (nrec - nsorted >= COMPACT_AT)
		return compact(c, r, d + CACHE_HEADER + nsorted * REC, nrec - nsorted);
	r->ntail = nrec - nsorted;
	for (i = nsorted; i < nrec; i++) {
		git_oid id;
		git_oid_fromraw(&id, d + CACHE_HEADER + i * REC);
		if ((error = gitchat_oidmap_set(&r->mem, &id, VALID_VALUE)) < 0)
			break;
	}
	return error;
}

static int room_load(gitchat_verify_cache *c, cache_room *r)
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	struct stat st;
	int fd = -1, error = 0;
	void *map;

	if (!c->dir)
		return 0;
	if (room_path(&path, c, r) < 0)
		return GITCHAT_ENOMEM;
	if (gitchat_fs_open_regular(&fd, &st, path.ptr, O_RDONLY | O_NOFOLLOW, 0) < 0 ||
	    st.st_size < CACHE_HEADER) {
		gitchat_error_clear();
		goto done;              /* absent, unreadable or no file: start empty */
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		goto done;
	if ((error = room_parse(c, r, map, (size_t)st.st_size)) == 1) {
		error = 0;
		unlink(path.ptr);       /* other rules, other limits or damaged: rebuild */
	}
done:
	if (fd >= 0)
		close(fd);
	gitchat_buf_dispose(&path);
	return error;
}

int gitchat_verify_cache_open_bytes(gitchat_verify_cache **out, const gitchat_limits *limits,
                                    const char *room, const void *data, size_t len)
{
	cache_room *r;
	void *map;
	int error;

	if ((error = gitchat_verify_cache_open_memory(out, limits)) < 0 ||
	    (error = room_get(&r, *out, room)) < 0)
		goto fail;
	if (len < CACHE_HEADER)
		return 0;
	/* A mapping of its own, as room_load's, which the room then owns. */
	if ((map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) ==
	    MAP_FAILED) {
		error = gitchat_error_oom();
		goto fail;
	}
	memcpy(map, data, len);
	if ((error = room_parse(*out, r, map, len)) < 0)
		goto fail;
	return 0;
fail:
	gitchat_verify_cache_free(*out);
	*out = NULL;
	return error;
}

static int room_get(cache_room **out, gitchat_verify_cache *c, const char *room)
{
	size_t i;
	cache_room *nr;
	int error;

	for (i = 0; i < c->nrooms; i++)
		if (strcmp(c->rooms[i].name, room) == 0) {
			*out = &c->rooms[i];
			return 0;
		}
	if (strlen(room) > 64 || !(nr = realloc(c->rooms, (c->nrooms + 1) * sizeof(*nr))))
		return gitchat_error_oom();
	c->rooms = nr;
	memset(&nr[c->nrooms], 0, sizeof(*nr));
	strcpy(nr[c->nrooms].name, room);
	*out = &nr[c->nrooms++];
	if ((error = room_load(c, *out)) < 0)
		return error;
	return 0;
}

static int in_sorted(const cache_room *r, const git_oid *id)
{
	size_t lo = 0, hi = r->nsorted;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = memcmp(r->sorted + mid * REC, id->id, REC);
		if (cmp == 0)
			return 1;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

gitchat_vstate gitchat_verify_cache_get(gitchat_verify_cache *c, const char *room,
                                        const git_oid *id, const char **reason,
                                        git_oid *cause)
{
	cache_room *r;
	uint32_t v;

	if (room_get(&r, c, room) < 0) {
		gitchat_error_clear();
		return GITCHAT_VSTATE_UNKNOWN;
	}
	if (gitchat_oidmap_get(&r->mem, id, &v)) {
		if (v & INVALID_BIT) {
			cache_failure *f = &c->failures[v & ~INVALID_BIT];
			if (reason)
				*reason = f->reason;
			if (cause)
				*cause = f->cause;
			return GITCHAT_VSTATE_INVALID;
		}
		return GITCHAT_VSTATE_VALID;
	}
	return in_sorted(r, id) ? GITCHAT_VSTATE_VALID : GITCHAT_VSTATE_UNKNOWN;
}

int gitchat_verify_cache_set_valid(gitchat_verify_cache *c, const char *room, const git_oid *id)
{
	cache_room *r;
	uint32_t v;
	int error;

	if ((error = room_get(&r, c, room)) < 0)
		return error;
	if ((gitchat_oidmap_get(&r->mem, id, &v) && v == VALID_VALUE) || in_sorted(r, id))
		return 0;
	if ((error = gitchat_oidmap_set(&r->mem, id, VALID_VALUE)) < 0)
		return error;
	return gitchat_buf_put(&r->pending, id->id, REC);
}

int gitchat_verify_cache_set_invalid(gitchat_verify_cache *c, const char *room,
                                     const git_oid *id, const git_oid *cause, const char *reason)
{
	cache_failure *nf;
	cache_room *r;
	int error;

	if ((error = room_get(&r, c, room)) < 0)
		return error;
	if (c->nfailures >= INVALID_BIT - 1 ||
	    gitchat_array_grow(&c->failures, &c->cfailures, c->nfailures + 1, sizeof(*c->failures),
	                       64) < 0)
		return gitchat_error_oom();
	nf = c->failures;
	nf[c->nfailures].cause = *cause;
	if (!(nf[c->nfailures].reason = strdup(reason)))
		return gitchat_error_oom();
	return gitchat_oidmap_set(&r->mem, id, INVALID_BIT | (uint32_t)c->nfailures++);
}

/* A flush that would leave COMPACT_AT records or more after the sorted
 * part rewrites the file sorted instead, so that the process that wrote
 * them pays for the sort, not every reader after it (`verify` of a whole
 * room, or a first sync, leaves a sorted file). The file's tail, mapped,
 * and the pending ids are merged; a failure leaves the appending to
 * room_flush. 1 when done. */
static int flush_sorted(gitchat_verify_cache *c, cache_room *r)
{
	size_t npending = r->pending.size / REC, i;
	unsigned char *tail;
	int error;

	if (!c->dir || r->ntail + npending < COMPACT_AT || (r->ntail && !r->map) ||
	    !(tail = malloc((r->ntail + npending) * REC + 1)))
		return 0;
	if (r->ntail)
		memcpy(tail, r->sorted + r->nsorted * REC, r->ntail * REC);
	for (i = 0; i < npending; i++)
		memcpy(tail + (r->ntail + i) * REC, r->pending.ptr + i * REC, REC);
	(void)gitchat_fs_mkdir_p(c->dir, 0755);
	error = compact(c, r, tail, r->ntail + npending);
	free(tail);
	gitchat_error_clear();
	return error == 0;
}

static void room_flush(gitchat_verify_cache *c, cache_room *r)
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	unsigned char h[CACHE_HEADER];
	int fd, error;

	if (!r->pending.size)
		return;
	if (!c->dir || flush_sorted(c, r) || room_path(&path, c, r) < 0)
		goto done;
	error = gitchat_fs_open_regular(&fd, NULL, path.ptr, O_WRONLY | O_APPEND | O_NOFOLLOW, 0);
	if (error == GITCHAT_ENOTFOUND || error == GITCHAT_EINVALID) {
		/* The first flush: create the directory, and the file whole, header
		 * included, so that no reader sees a file without one (losing that
		 * race to another writer is fine). What is not a regular file (a
		 * FIFO, a link) is replaced: the cache is ours to rebuild. */
		header(h, &c->limits, CACHE_MAGIC, 0);
		if (gitchat_fs_mkdir_p(c->dir, 0755) == 0)
			gitchat_fs_write_new(path.ptr, h, CACHE_HEADER, 0644, error == GITCHAT_EINVALID);
		gitchat_fs_open_regular(&fd, NULL, path.ptr, O_WRONLY | O_APPEND | O_NOFOLLOW, 0);
	}
	if (fd < 0)
		goto done;
	/* One write per flush: O_APPEND keeps concurrent writers' records whole. */
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

void gitchat_verify_cache_flush_some(gitchat_verify_cache *c, size_t min)
{
	for (size_t i = 0; c && i < c->nrooms; i++)
		if (c->rooms[i].pending.size >= min * REC)
			room_flush(c, &c->rooms[i]);
}

void gitchat_verify_cache_free(gitchat_verify_cache *c)
{
	size_t i;

	if (!c)
		return;
	gitchat_verify_cache_flush(c);
	for (i = 0; i < c->nrooms; i++) {
		cache_room *r = &c->rooms[i];
		gitchat_buf_dispose(&r->pending);
		gitchat_oidmap_dispose(&r->mem);
		if (r->map)
			munmap(r->map, r->maplen);
		free(r->owned);
	}
	for (i = 0; i < c->nfailures; i++)
		free(c->failures[i].reason);
	free(c->failures);
	free(c->rooms);
	free(c->dir);
	free(c);
}
