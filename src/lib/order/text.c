#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <zlib.h>

#include "gitchat/store.h"
#include "order/text.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/date.h"
#include "util/array.h"
#include "util/error.h"
#include "util/fs.h"

#define TEXT_MAGIC "GCTEXT03"
#define TEXT_HEADER 32
#define BLOCK_HEADER 24        /* sum, zlen, raw length, first, count */
#define BLOCK_RAW (64u << 10)  /* a block is sealed once its records reach this */
#define REC_MAX (1u << 20)     /* a larger message is read from git */
#define RAW_MAX (BLOCK_RAW + REC_MAX)
#define REC_MIN 11             /* id prefix, flags, kind and five one-byte varints */
#define ID_CHECK 4             /* bytes of the commit id a record starts with */
#define LEVEL 6                /* zlib: 17% smaller than level 1 here, inflates as fast */
#define FLUSH_AT (1u << 20)
#define F_REPLY 1
#define F_TREE 2
#define F_TARGET 4
#define F_FILES 8

/* 4b825dc642cb6eb9a060e54bf8d69288fbee4904, the empty tree */
static const git_oid empty_tree = { { 0x4b, 0x82, 0x5d, 0xc6, 0x42, 0xcb, 0x6e, 0xb9, 0xa0, 0x60,
                                      0xe5, 0x4b, 0xf8, 0xd6, 0x92, 0x88, 0xfb, 0xee, 0x49, 0x04 } };

/* SipHash under a fixed key: a check against damage, not a secret. */
static const unsigned char sum_key[crypto_shorthash_KEYBYTES] = "gitchat-text-v3";


static int text_path(gitchat_buf *out, const char *prefix,
                     const unsigned char id[GITCHAT_TEXT_ID_SIZE])
{
	char hex[2 * GITCHAT_TEXT_ID_SIZE + 1];
	sodium_bin2hex(hex, sizeof(hex), id, GITCHAT_TEXT_ID_SIZE);
	return gitchat_buf_printf(out, "%s.text-%s", prefix, hex);
}

void gitchat_text_remove(const char *prefix, const unsigned char id[GITCHAT_TEXT_ID_SIZE])
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	if (text_path(&path, prefix, id) == 0)
		unlink(path.ptr);
	gitchat_buf_dispose(&path);
}

void gitchat_text_sweep(const char *prefix, const unsigned char keep[GITCHAT_TEXT_ID_SIZE],
                        int64_t older_than)
{
	gitchat_buf dir = GITCHAT_BUF_INIT, mine = GITCHAT_BUF_INIT, p = GITCHAT_BUF_INIT;
	const char *base, *slash = strrchr(prefix, '/');
	struct dirent *e;
	struct stat st;
	size_t blen;
	DIR *d;

	if (!slash || gitchat_buf_put(&dir, prefix, (size_t)(slash - prefix)) < 0 ||
	    text_path(&mine, slash + 1, keep) < 0 || !(d = opendir(dir.ptr)))
		goto done;
	base = slash + 1;
	blen = strlen(base);
	while ((e = readdir(d))) {
		/* <room>.text-<id>[.tmp] and <room>.tmp-<x> (the index's own
		 * temporary files), left by writers that lost a race or died */
		int ours = strncmp(e->d_name, base, blen) == 0 &&
		           (strncmp(e->d_name + blen, ".text-", 6) == 0 ||
		            strncmp(e->d_name + blen, ".tmp-", 5) == 0);
		if (!ours || strcmp(e->d_name, mine.ptr) == 0)
			continue;
		gitchat_buf_clear(&p);
		if (gitchat_buf_printf(&p, "%s/%s", dir.ptr, e->d_name) < 0)
			break;
		if (lstat(p.ptr, &st) == 0 && S_ISREG(st.st_mode) && (int64_t)st.st_mtime < older_than)
			unlink(p.ptr);
	}
	closedir(d);
done:
	gitchat_buf_dispose(&dir);
	gitchat_buf_dispose(&mine);
	gitchat_buf_dispose(&p);
}

/* ---- blocks ---- */

/* The checks a block header passes before its bytes are looked at: sizes
 * within bounds and inside `size`, and its records following the ones
 * before (`first`). */
static int block_ok(gitchat_text_block *b, const unsigned char *h, uint64_t off, uint64_t size,
                    uint32_t first)
{
	b->off = off;
	b->zlen = gitchat_le32(h + 8);
	b->rawlen = gitchat_le32(h + 12);
	b->first = gitchat_le32(h + 16);
	b->count = gitchat_le32(h + 20);
	b->bad = 0;
	return b->zlen && b->zlen <= compressBound(RAW_MAX) && b->rawlen >= REC_MIN &&
	       b->rawlen <= RAW_MAX && b->count && b->count <= b->rawlen / REC_MIN &&
	       b->first == first && b->count < UINT32_MAX - first &&
	       off + BLOCK_HEADER + b->zlen <= size ? 0 : -1;
}

static uint64_t block_end(const gitchat_text_block *b)
{
	return b->off + ((BLOCK_HEADER + (uint64_t)b->zlen + 7) & ~(uint64_t)7);
}

/* SipHash of what follows the sum: the header's fields and the
 * compressed bytes. */
static void block_digest(unsigned char out[8], const unsigned char *block, size_t zlen)
{
	crypto_shorthash(out, block + 8, BLOCK_HEADER - 8 + zlen, sum_key);
}

/* ---- records ---- */

static int put_varint(gitchat_buf *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;
	do {
		t[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return gitchat_buf_put(b, t, n);
}

static int get_varint(uint64_t *out, const unsigned char **p, const unsigned char *end)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static uint64_t zigzag(int64_t v) { return v < 0 ? ((uint64_t)-(v + 1) << 1) | 1 : (uint64_t)v << 1; }
static int64_t unzigzag(uint64_t v) { return v & 1 ? -(int64_t)(v >> 1) - 1 : (int64_t)(v >> 1); }

/* A record, its fields pointing into the raw block. */
typedef struct {
	const unsigned char *id;   /* its first ID_CHECK bytes */
	unsigned flags, kind;
	int64_t tz, dtime;
	const unsigned char *reply, *tree, *target, *name, *email, *text, *files;
	const unsigned char *end;
	size_t name_len, email_len, text_len, nfiles;
} rec;

/* Reads the record at *p, every field bounded; *p moves past it. */
static int rec_parse(rec *r, const unsigned char **p, const unsigned char *end)
{
	uint64_t tz, dt, nl, el, tl, nf = 0;
	const unsigned char *v = *p;

	if (end - v < ID_CHECK + 2)
		return -1;
	r->id = v;
	r->flags = v[ID_CHECK];
	r->kind = v[ID_CHECK + 1];
	v += ID_CHECK + 2;
	if (r->flags > 15 || r->kind > GITCHAT_MESSAGE_REACT ||
	    get_varint(&tz, &v, end) < 0 || get_varint(&dt, &v, end) < 0 ||
	    get_varint(&nl, &v, end) < 0 || get_varint(&el, &v, end) < 0 ||
	    get_varint(&tl, &v, end) < 0 ||
	    ((r->flags & F_FILES) && (get_varint(&nf, &v, end) < 0 || !nf)))
		return -1;
	r->tz = unzigzag(tz);
	r->dtime = unzigzag(dt);
	if (r->tz < -GITCHAT_TZ_MAX || r->tz > GITCHAT_TZ_MAX || r->dtime < -GITCHAT_TIME_MAX ||
	    r->dtime > GITCHAT_TIME_MAX || nf > GITCHAT_MAX_FILES || nl > UINT16_MAX ||
	    el > UINT16_MAX || tl > REC_MAX)
		return -1;
	r->reply = r->tree = r->target = NULL;
	for (unsigned f = F_REPLY; f <= F_TARGET; f <<= 1) {
		if (!(r->flags & f))
			continue;
		if ((size_t)(end - v) < GIT_OID_RAWSZ)
			return -1;
		*(f == F_REPLY ? &r->reply : f == F_TREE ? &r->tree : &r->target) = v;
		v += GIT_OID_RAWSZ;
	}
	if ((size_t)(end - v) < nl + el + tl)
		return -1;
	r->name = v;
	r->name_len = nl;
	r->email = v + nl;
	r->email_len = el;
	r->text = v + nl + el;
	r->text_len = tl;
	v += nl + el + tl;
	r->files = v;
	r->nfiles = nf;
	for (uint64_t i = 0; i < nf; i++) {
		uint64_t size, n;
		if (get_varint(&size, &v, end) < 0 || get_varint(&n, &v, end) < 0 ||
		    n > GITCHAT_MAX_FILE_NAME || (uint64_t)(end - v) < n)
			return -1;
		v += n;
	}
	r->end = *p = v;
	return 0;
}

static int rec_put(gitchat_buf *b, const git_oid *id, const gitchat_commit *c)
{
	unsigned flags = 0;
	size_t i;
	int error = 0;

	flags |= c->has_reply ? F_REPLY : 0;
	flags |= memcmp(c->tree.id, empty_tree.id, GIT_OID_RAWSZ) == 0 ? 0 : F_TREE;
	flags |= c->kind != GITCHAT_MESSAGE_TEXT ? F_TARGET : 0;
	flags |= c->file_count ? F_FILES : 0;
	error |= gitchat_buf_put(b, id->id, ID_CHECK);
	error |= gitchat_buf_putc(b, (char)flags);
	error |= gitchat_buf_putc(b, (char)c->kind);
	error |= put_varint(b, zigzag(c->author.tz));
	error |= put_varint(b, zigzag(c->committer.time - c->author.time));
	error |= put_varint(b, c->author.name_len);
	error |= put_varint(b, c->author.email_len);
	error |= put_varint(b, c->text_len);
	if (flags & F_FILES)
		error |= put_varint(b, c->file_count);
	if (flags & F_REPLY)
		error |= gitchat_buf_put(b, c->reply_to.id, GIT_OID_RAWSZ);
	if (flags & F_TREE)
		error |= gitchat_buf_put(b, c->tree.id, GIT_OID_RAWSZ);
	if (flags & F_TARGET)
		error |= gitchat_buf_put(b, c->target.id, GIT_OID_RAWSZ);
	error |= gitchat_buf_put(b, c->author.name, c->author.name_len);
	error |= gitchat_buf_put(b, c->author.email, c->author.email_len);
	error |= gitchat_buf_put(b, c->text, c->text_len);
	for (i = 0; i < c->file_count; i++) {
		error |= put_varint(b, c->files[i].size);
		error |= put_varint(b, c->files[i].name_len);
		error |= gitchat_buf_put(b, c->files[i].name, c->files[i].name_len);
	}
	return error ? GITCHAT_ENOMEM : 0;
}

/* ---- writing ---- */

static void writer_init(gitchat_text_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

static int flush(gitchat_text_writer *w)
{
	size_t done = 0;

	while (done < w->buf.size) {
		ssize_t n = pwrite(w->fd, w->buf.ptr + done, w->buf.size - done,
		                   (off_t)(w->off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return gitchat_error_set(GITCHAT_EIO, "cannot write the message cache '%s': %s",
			                         w->path, strerror(errno));
		done += (size_t)n;
	}
	w->off += done;
	gitchat_buf_clear(&w->buf);
	return 0;
}

/* Compresses the records of the block being filled into `buf`. */
static int seal(gitchat_text_writer *w)
{
	size_t start = w->buf.size, pad;
	uLongf zlen = compressBound((uLong)w->raw.size);
	unsigned char *h;

	if (!w->count)
		return 0;
	if (gitchat_buf_grow(&w->buf, BLOCK_HEADER + zlen + 8) < 0)
		return GITCHAT_ENOMEM;
	h = (unsigned char *)w->buf.ptr + start;
	if (compress2(h + BLOCK_HEADER, &zlen, (const Bytef *)w->raw.ptr, (uLong)w->raw.size,
	              LEVEL) != Z_OK)
		return gitchat_error_set(GITCHAT_ENOMEM, "cannot compress the message cache");
	gitchat_put_le32(h + 8, (uint32_t)zlen);
	gitchat_put_le32(h + 12, (uint32_t)w->raw.size);
	gitchat_put_le32(h + 16, w->first);
	gitchat_put_le32(h + 20, w->count);
	block_digest(h, h, zlen);
	pad = (8 - (BLOCK_HEADER + zlen) % 8) % 8;
	memset(h + BLOCK_HEADER + zlen, 0, pad);
	w->buf.size = start + BLOCK_HEADER + zlen + pad;
	w->buf.ptr[w->buf.size] = '\0';
	w->first = w->next;
	w->count = 0;
	gitchat_buf_clear(&w->raw);
	return w->buf.size >= FLUSH_AT ? flush(w) : 0;
}

int gitchat_text_create(gitchat_text_writer *w, const char *prefix)
{
	unsigned char h[TEXT_HEADER] = { 0 };
	gitchat_buf tmp = GITCHAT_BUF_INIT, path = GITCHAT_BUF_INIT;

	writer_init(w);
	randombytes_buf(w->id, sizeof(w->id));
	if (text_path(&path, prefix, w->id) < 0 || gitchat_buf_printf(&tmp, "%s.tmp", path.ptr) < 0) {
		gitchat_buf_dispose(&path);
		gitchat_buf_dispose(&tmp);
		gitchat_text_abort(w);
		return gitchat_error_oom();
	}
	w->path = gitchat_buf_detach(&path);
	w->tmp = gitchat_buf_detach(&tmp);
	{
		char *dir = strdup(w->path), *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash) {
			*slash = '\0';
			gitchat_fs_mkdir_p(dir, 0755);
		}
		free(dir);
	}
	if ((w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
		int error = gitchat_error_set(GITCHAT_EIO, "cannot create '%s': %s", w->tmp, strerror(errno));
		free(w->tmp);
		w->tmp = NULL;
		gitchat_text_abort(w);
		return error;
	}
	memcpy(h, TEXT_MAGIC, 8);
	memcpy(h + 8, w->id, GITCHAT_TEXT_ID_SIZE);
	if (gitchat_buf_put(&w->buf, h, sizeof(h)) < 0) {
		gitchat_text_abort(w);
		return GITCHAT_ENOMEM;
	}
	w->next = w->first = 1;
	return 0;
}

/* Takes the records of the last block back into `raw` when it is not
 * full and checks out, so that it is written again with the new ones. */
static void reopen_last(gitchat_text_writer *w, const gitchat_text_block *b)
{
	unsigned char *z = NULL, sum[8];
	uLongf rawlen = b->rawlen;

	if (b->rawlen >= BLOCK_RAW || !(z = malloc(BLOCK_HEADER + b->zlen)) ||
	    pread(w->fd, z, BLOCK_HEADER + b->zlen, (off_t)b->off) != (ssize_t)(BLOCK_HEADER + b->zlen))
		goto done;
	block_digest(sum, z, b->zlen);
	if (memcmp(sum, z, 8) != 0 || gitchat_buf_grow(&w->raw, b->rawlen) < 0 ||
	    uncompress((Bytef *)w->raw.ptr, &rawlen, z + BLOCK_HEADER, b->zlen) != Z_OK ||
	    rawlen != b->rawlen) {
		gitchat_buf_clear(&w->raw);
		goto done;
	}
	w->raw.size = rawlen;
	w->off = b->off;
	w->first = b->first;
	w->count = b->count;
done:
	free(z);
}

int gitchat_text_append(gitchat_text_writer *w, const char *prefix,
                        const unsigned char id[GITCHAT_TEXT_ID_SIZE])
{
	unsigned char h[TEXT_HEADER];
	gitchat_buf path = GITCHAT_BUF_INIT;
	gitchat_text_block b, last = { 0 };
	struct stat st;
	uint64_t off = TEXT_HEADER;
	uint32_t next = 1;

	writer_init(w);
	if (text_path(&path, prefix, id) < 0)
		return gitchat_error_oom();
	w->path = gitchat_buf_detach(&path);
	if (gitchat_fs_open_regular(&w->fd, NULL, w->path, O_RDWR | O_NOFOLLOW, 0) < 0) {
		int error = gitchat_error_last()->code;
		gitchat_text_abort(w);
		return error;
	}
	/* Locked, the end of the file is ours: records land where we count.
	 * Another writer holding it may be verifying many commits: rather than
	 * wait, go without (the new messages are then read from git). */
	if (flock(w->fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		gitchat_text_abort(w);
		return gitchat_error_set(GITCHAT_EMODIFIED, "the message cache is being written");
	}
	if (fstat(w->fd, &st) < 0 ||
	    pread(w->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, TEXT_MAGIC, 8) != 0 ||
	    memcmp(h + 8, id, GITCHAT_TEXT_ID_SIZE) != 0) {
		int error = gitchat_error_set(GITCHAT_EINVALID, "the message cache '%s' is damaged",
		                              w->path);
		gitchat_text_abort(w);
		return error;
	}
	/* The blocks in order, by their headers. */
	for (;;) {
		unsigned char bh[BLOCK_HEADER];
		if (pread(w->fd, bh, sizeof(bh), (off_t)off) != (ssize_t)sizeof(bh) ||
		    block_ok(&b, bh, off, (uint64_t)st.st_size, next) < 0)
			break;
		last = b;
		next = b.first + b.count;
		off = block_end(&b);
	}
	/* Cut short or torn by a crash: records the index names may be lost,
	 * and numbering past what is left would hand their slots to others. */
	if (off != (uint64_t)st.st_size) {
		int error = gitchat_error_set(GITCHAT_EINVALID, "the message cache '%s' is damaged",
		                              w->path);
		gitchat_text_abort(w);
		return error;
	}
	memcpy(w->id, id, GITCHAT_TEXT_ID_SIZE);
	w->end = w->off = off;
	w->next = w->first = next;
	if (last.count)
		reopen_last(w, &last);
	return 0;
}

int gitchat_text_keeps_body(const char *room, size_t len)
{
	char name[32];   /* a private room's name is 25 bytes */

	if (!len || room[0] != '_' || len >= sizeof(name))
		return 1;
	memcpy(name, room, len);
	name[len] = '\0';
	return gitchat_room_type(name) != GITCHAT_ROOM_PRIVATE;
}

uint32_t gitchat_text_add(gitchat_text_writer *w, const git_oid *id, const gitchat_commit *full)
{
	size_t i, start = w->raw.size;
	gitchat_commit bodiless;
	const gitchat_commit *c = full;

	if (!gitchat_text_keeps_body(full->room, full->room_len)) {
		bodiless = *full;
		bodiless.text = "";
		bodiless.text_len = bodiless.body_len = 0;
		c = &bodiless;
	}

	if (w->failed || w->fd < 0 || w->next == UINT32_MAX)
		return 0;
	if (c->text_len > REC_MAX || c->author.name_len > UINT16_MAX ||
	    c->author.email_len > UINT16_MAX || c->file_count > GITCHAT_MAX_FILES)
		return 0;
	for (i = 0; i < c->file_count; i++)
		if (c->files[i].name_len > GITCHAT_MAX_FILE_NAME)
			return 0;   /* not a valid message: no copy */
	if (rec_put(&w->raw, id, c) < 0) {
		w->raw.size = start;
		goto fail;
	}
	w->count++;
	w->added = 1;
	if (w->raw.size >= BLOCK_RAW) {
		w->next++;
		if (seal(w) < 0)
			goto fail;
		return w->next - 1;
	}
	return w->next++;
fail:
	gitchat_error_clear();
	w->failed = 1;
	return 0;
}

int gitchat_text_finish(gitchat_text_writer *w)
{
	int error = 0;

	if (w->fd < 0) {
		gitchat_text_abort(w);
		return 0;
	}
	if (w->added)
		error = seal(w);
	if (error == 0)
		error = flush(w);   /* a created file's header at least */
	/* the last block written again came out shorter: nothing after it */
	if (error == 0 && w->added && w->off < w->end && ftruncate(w->fd, (off_t)w->off) < 0)
		error = gitchat_error_set(GITCHAT_EIO, "cannot truncate '%s': %s", w->path,
		                          strerror(errno));
	if (error == 0 && w->tmp) {
		if (rename(w->tmp, w->path) < 0)
			error = gitchat_error_set(GITCHAT_EIO, "cannot replace '%s': %s", w->path,
			                          strerror(errno));
		else {
			free(w->tmp);
			w->tmp = NULL;
		}
	}
	gitchat_text_abort(w);
	return error;
}

void gitchat_text_abort(gitchat_text_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);   /* drops the lock too */
	if (w->tmp)
		unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	gitchat_buf_dispose(&w->buf);
	gitchat_buf_dispose(&w->raw);
	writer_init(w);
}

/* ---- reading ---- */

void gitchat_text_open(gitchat_text_reader *r, const char *prefix,
                       const unsigned char id[GITCHAT_TEXT_ID_SIZE])
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	unsigned char h[TEXT_HEADER];
	struct stat st;
	int fd;

	memset(r, 0, sizeof(*r));
	if (text_path(&path, prefix, id) < 0)
		return;
	/* Anything but a regular file is no cache: read from git instead. */
	if (gitchat_fs_open_regular(&fd, NULL, path.ptr, O_RDONLY | O_NOFOLLOW, 0) < 0)
		fd = -1;
	gitchat_error_clear();
	gitchat_buf_dispose(&path);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size >= TEXT_HEADER &&
	    pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) && memcmp(h, TEXT_MAGIC, 8) == 0 &&
	    memcmp(h + 8, id, GITCHAT_TEXT_ID_SIZE) == 0) {
		r->fd = fd;
		r->has_fd = r->open = 1;
		r->size = (size_t)st.st_size;
		return;
	}
	close(fd);
}

void gitchat_text_open_bytes(gitchat_text_reader *r, const void *data, size_t size,
                             const unsigned char id[GITCHAT_TEXT_ID_SIZE])
{
	memset(r, 0, sizeof(*r));
	if (size >= TEXT_HEADER && memcmp(data, TEXT_MAGIC, 8) == 0 &&
	    memcmp((const unsigned char *)data + 8, id, GITCHAT_TEXT_ID_SIZE) == 0) {
		r->data = data;
		r->size = size;
		r->open = 1;
	}
}

void gitchat_text_close(gitchat_text_reader *r)
{
	if (r->has_fd)
		close(r->fd);
	free(r->blocks);
	free(r->z);
	for (size_t k = 0; k < GITCHAT_TEXT_KEEP; k++) {
		free(r->kept[k].raw);
		free(r->kept[k].recs);
	}
	memset(r, 0, sizeof(*r));
}

/* n bytes at off (within r->size) into buf. */
static int read_at(gitchat_text_reader *r, uint64_t off, unsigned char *buf, size_t n)
{
	size_t done = 0;

	if (!r->has_fd) {
		memcpy(buf, r->data + off, n);
		return 0;
	}
	while (done < n) {
		ssize_t got = pread(r->fd, buf + done, n - done, (off_t)(off + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;   /* cut short since opened */
		done += (size_t)got;
	}
	return 0;
}

/* Lists the blocks (headers only) up to the first that does not follow. */
static int scan(gitchat_text_reader *r)
{
	uint64_t off = TEXT_HEADER;
	uint32_t next = 1;
	size_t cap = 0;
	gitchat_text_block b;

	r->scanned = 1;
	unsigned char bh[BLOCK_HEADER];

	while (off + BLOCK_HEADER <= r->size && read_at(r, off, bh, sizeof(bh)) == 0 &&
	       block_ok(&b, bh, off, r->size, next) == 0) {
		if (gitchat_array_grow(&r->blocks, &cap, r->nblocks + 1, sizeof(*r->blocks), 64) < 0)
			return GITCHAT_ENOMEM;
		r->blocks[r->nblocks++] = b;
		next = b.first + b.count;
		off = block_end(&b);
	}
	for (size_t k = 0; k < GITCHAT_TEXT_KEEP; k++)
		r->kept[k].block = r->nblocks;
	return 0;
}

static int grow(void *pp, size_t *cap, size_t need, size_t each)
{
	void *n;
	if (need <= *cap)
		return 0;
	if (!(n = realloc(*(void **)pp, need * each)))
		return -1;
	*(void **)pp = n;
	*cap = need;
	return 0;
}

/* Inflates block `i` into entry `e` of r->kept and lists its records; a
 * block that fails a check is marked and its messages read from git. The
 * block is read into a copy first: a writer may be rewriting the last block
 * in place. */
static int load(gitchat_text_reader *r, gitchat_text_inflated *e, size_t i)
{
	gitchat_text_block *b = &r->blocks[i], now;
	size_t n = BLOCK_HEADER + b->zlen;
	unsigned char sum[8];
	uLongf rawlen = b->rawlen;
	const unsigned char *p, *end;

	e->block = r->nblocks;
	if (grow(&r->z, &r->zcap, n, 1) < 0 || grow(&e->raw, &e->rawcap, b->rawlen, 1) < 0 ||
	    grow(&e->recs, &e->recscap, (size_t)b->count + 1, sizeof(uint32_t)) < 0)
		return gitchat_error_oom();
	if (read_at(r, b->off, r->z, n) < 0 || block_ok(&now, r->z, b->off, r->size, b->first) < 0 || now.zlen != b->zlen ||
	    now.rawlen != b->rawlen || now.count != b->count)
		goto bad;
	block_digest(sum, r->z, b->zlen);
	if (memcmp(sum, r->z, 8) != 0 ||
	    uncompress(e->raw, &rawlen, r->z + BLOCK_HEADER, b->zlen) != Z_OK ||
	    rawlen != b->rawlen)
		goto bad;
	p = e->raw;
	end = e->raw + rawlen;
	for (uint32_t k = 0; k < b->count; k++) {
		rec x;
		e->recs[k] = (uint32_t)(p - e->raw);
		if (rec_parse(&x, &p, end) < 0)
			goto bad;
	}
	if (p != end)
		goto bad;
	e->recs[b->count] = (uint32_t)rawlen;
	e->block = i;
	return 0;
bad:
	b->bad = 1;
	return GITCHAT_ENOTFOUND;
}

/* The entry of r->kept that holds block `i`, inflating it in place of
 * the least recently used when none does. */
static int inflated(gitchat_text_inflated **out, gitchat_text_reader *r, size_t i)
{
	size_t k, lru = 0;
	int error;

	for (k = 0; k < GITCHAT_TEXT_KEEP; k++) {
		if (r->kept[k].block == i)
			break;
		if (r->kept[k].used < r->kept[lru].used)
			lru = k;
	}
	if (k == GITCHAT_TEXT_KEEP && (error = load(r, &r->kept[k = lru], i)) < 0)
		return error;
	r->kept[k].used = ++r->clock;
	r->last = k;
	*out = &r->kept[k];
	return 0;
}

/* The record numbered `slot`. */
static int find(rec *x, gitchat_text_reader *r, uint32_t slot)
{
	gitchat_text_inflated *e = &r->kept[r->last];
	const gitchat_text_block *b;
	const unsigned char *p;
	size_t lo = 0, hi;
	int error;

	if (!r->open || !slot)
		return GITCHAT_ENOTFOUND;
	if (!r->scanned && (error = scan(r)) < 0)
		return error;
	if (e->block >= r->nblocks || slot - r->blocks[e->block].first >= r->blocks[e->block].count) {
		hi = r->nblocks;
		while (lo < hi) {   /* the last block whose first is <= slot */
			size_t mid = lo + (hi - lo) / 2;
			if (r->blocks[mid].first <= slot)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!lo || slot - r->blocks[lo - 1].first >= r->blocks[lo - 1].count ||
		    r->blocks[lo - 1].bad)
			return GITCHAT_ENOTFOUND;
		if ((error = inflated(&e, r, lo - 1)) < 0)
			return error;
	}
	b = &r->blocks[e->block];
	p = e->raw + e->recs[slot - b->first];
	return rec_parse(x, &p, e->raw + e->recs[slot - b->first + 1]) < 0 ? GITCHAT_ENOTFOUND : 0;
}

static int files_read(gitchat_message *m, const rec *x)
{
	const unsigned char *p = x->files;

	if (x->nfiles && !(m->files = calloc(x->nfiles, sizeof(*m->files))))
		return GITCHAT_ENOMEM;
	for (size_t i = 0; i < x->nfiles; i++) {
		uint64_t size, n;
		/* checked by rec_parse */
		if (get_varint(&size, &p, x->end) < 0 || get_varint(&n, &p, x->end) < 0)
			return GITCHAT_ENOMEM;   /* not reached */
		if (!(m->files[i].name = gitchat_memdup_str(p, (size_t)n)))
			return GITCHAT_ENOMEM;
		m->files[i].size = size;
		m->file_count = i + 1;
		p += n;
	}
	return 0;
}

int gitchat_text_message(gitchat_message **out, gitchat_text_reader *r, uint32_t slot,
                         const git_oid *id, int64_t time, const gitchat_pubkey *key,
                         const char *room, const git_oid *parents, size_t nparents)
{
	gitchat_message *m;
	rec x;
	int error;

	*out = NULL;
	if ((error = find(&x, r, slot)) < 0)
		return error;
	/* The index names the commit; a record of another is not used (an
	 * index damaged under right sums is caught when its commit is read). */
	if (memcmp(x.id, id->id, ID_CHECK) != 0)
		return GITCHAT_ENOTFOUND;
	/* Data on disk: what validity bounds is bounded here too (else git). */
	if (!GITCHAT_TIME_VALID(time) || !GITCHAT_TIME_VALID(time + x.dtime))
		return GITCHAT_ENOTFOUND;
	if (!(m = calloc(1, sizeof(*m))))
		return gitchat_error_oom();
	git_oid_cpy(&m->id, id);
	m->time = time;
	m->commit_time = time + x.dtime;
	m->tz_offset = (int32_t)x.tz;
	m->kind = (gitchat_message_kind)x.kind;
	m->key = *key;
	if (x.reply) {
		m->has_reply = 1;
		git_oid_fromraw(&m->reply_to, x.reply);
	}
	if (x.tree)
		git_oid_fromraw(&m->tree, x.tree);
	else
		m->tree = empty_tree;
	if (x.target)
		git_oid_fromraw(&m->target, x.target);
	m->parent_count = nparents;
	if ((nparents && !(m->parents = malloc(nparents * sizeof(git_oid)))) ||
	    !(m->author_name = gitchat_memdup_str(x.name, x.name_len)) ||
	    !(m->author_email = gitchat_memdup_str(x.email, x.email_len)) ||
	    !(m->text = gitchat_memdup_str(x.text, x.text_len)) || !(m->room = strdup(room)) ||
	    files_read(m, &x) < 0) {
		gitchat_message_free(m);
		return gitchat_error_oom();
	}
	if (nparents)
		memcpy(m->parents, parents, nparents * sizeof(git_oid));
	m->text_len = x.text_len;
	*out = m;
	return 0;
}
