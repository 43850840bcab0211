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
#define INVALID_BIT 0x80000000u

typedef struct {
	char name[65];
	int loaded;
	gitchat_buf pending;   /* valid ids not yet appended to the file */
} cache_room;

typedef struct {
	git_oid cause;
	char *reason;
	uint32_t room;         /* invalid for this room; another may differ */
} cache_failure;

struct gitchat_verify_cache {
	char *dir;                 /* $GIT_DIR/chat/verified; NULL: memory only */
	gitchat_limits limits;
	gitchat_oidmap map;        /* value: room index, | INVALID_BIT + failure index */
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

static int room_load(gitchat_verify_cache *c, uint32_t idx)
{
	cache_room *r = &c->rooms[idx];
	gitchat_buf path = GITCHAT_BUF_INIT, data = GITCHAT_BUF_INIT;
	unsigned char h[CACHE_HEADER];
	size_t off;
	int error = 0;

	r->loaded = 1;
	if (!c->dir)
		return 0;
	if (gitchat_buf_printf(&path, "%s/%s", c->dir, r->name) < 0)
		return GITCHAT_ENOMEM;
	if (gitchat_fs_read(&data, path.ptr, (size_t)1 << 34) < 0) {
		gitchat_error_clear();  /* absent or unreadable: start empty */
		goto done;
	}
	header(h, &c->limits);
	if (data.size < CACHE_HEADER || memcmp(data.ptr, h, CACHE_HEADER) != 0 ||
	    (data.size - CACHE_HEADER) % GIT_OID_RAWSZ != 0) {
		unlink(path.ptr);       /* stale limits or torn write: rebuild */
		goto done;
	}
	for (off = CACHE_HEADER; off < data.size; off += GIT_OID_RAWSZ) {
		git_oid id;
		git_oid_fromraw(&id, (const unsigned char *)data.ptr + off);
		if ((error = gitchat_oidmap_set(&c->map, &id, idx)) < 0)
			break;
	}
done:
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&data);
	return error;
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

	if (room_index(c, room, &idx) < 0 || !gitchat_oidmap_get(&c->map, id, &v))
		return GITCHAT_VSTATE_UNKNOWN;
	if (v & INVALID_BIT) {
		cache_failure *f = &c->failures[v & ~INVALID_BIT];
		/* A commit names one room: invalid for R says nothing of room S
		 * (a message of S pointed to by a ref of R is still valid in S). */
		if (f->room != idx)
			return GITCHAT_VSTATE_UNKNOWN;
		if (reason)
			*reason = f->reason;
		if (cause)
			*cause = f->cause;
		return GITCHAT_VSTATE_INVALID;
	}
	/* Valid for its own room only: a commit names exactly one chat-room. */
	return v == idx ? GITCHAT_VSTATE_VALID : GITCHAT_VSTATE_UNKNOWN;
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
	return gitchat_oidmap_set(&c->map, id, INVALID_BIT | (uint32_t)c->nfailures++);
}

static void room_flush(gitchat_verify_cache *c, cache_room *r)
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	unsigned char h[CACHE_HEADER];
	struct stat st;
	int fd;

	if (!r->pending.size)
		return;
	if (!c->dir)
		goto done;
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
	for (i = 0; i < c->nrooms; i++)
		gitchat_buf_dispose(&c->rooms[i].pending);
	for (i = 0; i < c->nfailures; i++)
		free(c->failures[i].reason);
	free(c->failures);
	free(c->rooms);
	gitchat_oidmap_dispose(&c->map);
	free(c->dir);
	free(c);
}
