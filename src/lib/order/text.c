#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "order/text.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/date.h"
#include "util/error.h"
#include "util/fs.h"

#define TEXT_MAGIC "GCTEXT02"
#define TEXT_HEADER 32
#define REC_FIXED 64           /* length .. text length */
#define FLUSH_AT (1u << 20)
#define RELEASE_AT (16u << 20)
#define SLOT_MAX UINT32_MAX
#define F_REPLY 1
#define F_TREE 2
#define F_TARGET 4
#define F_FILES 8
#define FILE_FIXED 10         /* u64 size, u16 name length */

/* 4b825dc642cb6eb9a060e54bf8d69288fbee4904, the empty tree */
static const git_oid empty_tree = { { 0x4b, 0x82, 0x5d, 0xc6, 0x42, 0xcb, 0x6e, 0xb9, 0xa0, 0x60,
                                      0xe5, 0x4b, 0xf8, 0xd6, 0x92, 0x88, 0xfb, 0xee, 0x49, 0x04 } };

/* SipHash under a fixed key: a check against damage, not a secret. */
static const unsigned char sum_key[crypto_shorthash_KEYBYTES] = "gitchat-text-v1";


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

static void writer_init(gitchat_text_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
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
	w->pos = TEXT_HEADER;
	return 0;
}

int gitchat_text_append(gitchat_text_writer *w, const char *prefix,
                        const unsigned char id[GITCHAT_TEXT_ID_SIZE])
{
	unsigned char h[TEXT_HEADER];
	gitchat_buf path = GITCHAT_BUF_INIT;
	struct stat st;

	writer_init(w);
	if (text_path(&path, prefix, id) < 0)
		return gitchat_error_oom();
	w->path = gitchat_buf_detach(&path);
	if (gitchat_fs_open_regular(&w->fd, NULL, w->path, O_RDWR | O_APPEND | O_NOFOLLOW, 0) < 0) {
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
	memcpy(w->id, id, GITCHAT_TEXT_ID_SIZE);
	w->pos = (uint64_t)st.st_size;
	if (w->pos % 8) {
		/* a torn record from a crash: start past it */
		static const unsigned char zero[8];
		size_t pad = 8 - w->pos % 8;
		if (gitchat_buf_put(&w->buf, zero, pad) < 0) {
			gitchat_text_abort(w);
			return GITCHAT_ENOMEM;
		}
		w->pos += pad;
	}
	return 0;
}

static int flush(gitchat_text_writer *w)
{
	size_t done = 0;

	while (done < w->buf.size) {
		ssize_t n = write(w->fd, w->buf.ptr + done, w->buf.size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return gitchat_error_set(GITCHAT_EIO, "cannot write the message cache '%s': %s",
			                         w->path, strerror(errno));
		done += (size_t)n;
	}
	gitchat_buf_clear(&w->buf);
	return 0;
}

uint32_t gitchat_text_add(gitchat_text_writer *w, const git_oid *id, const gitchat_commit *c)
{
	static const unsigned char zero[8];
	unsigned char fixed[REC_FIXED];
	size_t len, start = w->buf.size;
	unsigned flags = 0;
	uint64_t sum;
	uint32_t slot;

	size_t files_len = 0, i;

	if (w->failed || w->fd < 0)
		return 0;
	for (i = 0; i < c->file_count; i++) {
		if (c->files[i].name_len > GITCHAT_MAX_FILE_NAME)
			return 0;   /* not a valid message: no copy */
		files_len += FILE_FIXED + c->files[i].name_len;
	}
	flags |= c->has_reply ? F_REPLY : 0;
	flags |= memcmp(c->tree.id, empty_tree.id, GIT_OID_RAWSZ) == 0 ? 0 : F_TREE;
	flags |= c->kind != GITCHAT_MESSAGE_TEXT ? F_TARGET : 0;
	flags |= c->file_count ? F_FILES : 0;
	len = files_len + REC_FIXED + GIT_OID_RAWSZ * (size_t)(!!(flags & F_REPLY) + !!(flags & F_TREE) +
	                                           !!(flags & F_TARGET)) +
	      c->author.name_len + c->author.email_len + c->text_len;
	if (c->author.name_len > UINT16_MAX || c->author.email_len > UINT16_MAX ||
	    len > UINT32_MAX || w->pos / 8 >= SLOT_MAX)
		return 0;
	memset(fixed, 0, sizeof(fixed));
	gitchat_put_le32(fixed, (uint32_t)len);
	memcpy(fixed + 16, id->id, GIT_OID_RAWSZ);
	gitchat_put_le64(fixed + 36, (uint64_t)c->committer.time);
	gitchat_put_le32(fixed + 44, (uint32_t)c->author.tz);
	fixed[48] = (unsigned char)flags;
	fixed[49] = (unsigned char)c->kind;
	gitchat_put_le16(fixed + 50, (uint16_t)c->author.name_len);
	gitchat_put_le16(fixed + 52, (uint16_t)c->author.email_len);
	gitchat_put_le32(fixed + 56, (uint32_t)c->text_len);
	gitchat_put_le16(fixed + 60, (uint16_t)c->file_count);
	if (gitchat_buf_put(&w->buf, fixed, sizeof(fixed)) < 0 ||
	    ((flags & F_REPLY) && gitchat_buf_put(&w->buf, c->reply_to.id, GIT_OID_RAWSZ) < 0) ||
	    ((flags & F_TREE) && gitchat_buf_put(&w->buf, c->tree.id, GIT_OID_RAWSZ) < 0) ||
	    ((flags & F_TARGET) && gitchat_buf_put(&w->buf, c->target.id, GIT_OID_RAWSZ) < 0) ||
	    gitchat_buf_put(&w->buf, c->author.name, c->author.name_len) < 0 ||
	    gitchat_buf_put(&w->buf, c->author.email, c->author.email_len) < 0 ||
	    gitchat_buf_put(&w->buf, c->text, c->text_len) < 0)
		goto fail;
	for (i = 0; i < c->file_count; i++) {
		unsigned char ff[FILE_FIXED];
		gitchat_put_le64(ff, c->files[i].size);
		gitchat_put_le16(ff + 8, (uint16_t)c->files[i].name_len);
		if (gitchat_buf_put(&w->buf, ff, sizeof(ff)) < 0 ||
		    gitchat_buf_put(&w->buf, c->files[i].name, c->files[i].name_len) < 0)
			goto fail;
	}
	if (gitchat_buf_put(&w->buf, zero, (8 - len % 8) % 8) < 0)
		goto fail;
	crypto_shorthash((unsigned char *)&sum, (const unsigned char *)w->buf.ptr + start + 16,
	                 len - 16, sum_key);
	memcpy(w->buf.ptr + start + 8, &sum, 8);
	slot = (uint32_t)(w->pos / 8);
	w->pos += w->buf.size - start;
	if (w->buf.size >= FLUSH_AT && flush(w) < 0)
		goto fail;
	return slot;
fail:
	gitchat_error_clear();
	w->failed = 1;
	return 0;
}

int gitchat_text_finish(gitchat_text_writer *w)
{
	int error = 0;

	if (w->fd >= 0 && (error = flush(w)) == 0 && w->tmp) {
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
	writer_init(w);
}

void gitchat_text_open(gitchat_text_reader *r, const char *prefix,
                       const unsigned char id[GITCHAT_TEXT_ID_SIZE])
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	struct stat st;
	void *p;
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
	    (p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) != MAP_FAILED) {
		gitchat_text_open_bytes(r, p, (size_t)st.st_size, id);
		if (r->data)
			r->mapped = 1;
		else
			munmap(p, (size_t)st.st_size);
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
	}
}

void gitchat_text_close(gitchat_text_reader *r)
{
	if (r->data && r->mapped)
		munmap((void *)r->data, r->size);
	memset(r, 0, sizeof(*r));
}

/* The files section of a record: exactly `count` entries filling `len`
 * bytes, each name within the limit. */
static int files_check(const unsigned char *p, size_t len, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		size_t n;
		if (len < FILE_FIXED || (n = gitchat_le16(p + 8)) > GITCHAT_MAX_FILE_NAME ||
		    len - FILE_FIXED < n)
			return -1;
		p += FILE_FIXED + n;
		len -= FILE_FIXED + n;
	}
	return len == 0 ? 0 : -1;
}

/* The files of a record checked by files_check. */
static int files_read(gitchat_message *m, const unsigned char *p, unsigned count)
{
	if (count && !(m->files = calloc(count, sizeof(*m->files))))
		return GITCHAT_ENOMEM;
	for (unsigned i = 0; i < count; i++) {
		size_t n = gitchat_le16(p + 8);
		if (!(m->files[i].name = gitchat_memdup_str(p + FILE_FIXED, n)))
			return GITCHAT_ENOMEM;
		m->files[i].size = gitchat_le64(p);
		m->file_count = i + 1;
		p += FILE_FIXED + n;
	}
	return 0;
}

int gitchat_text_message(gitchat_message **out, gitchat_text_reader *r, uint32_t slot,
                         const git_oid *id, int64_t time, const gitchat_pubkey *key,
                         const char *room, const git_oid *parents, size_t nparents)
{
	const unsigned char *p, *v;
	uint64_t off = (uint64_t)slot * 8, sum;
	size_t len, need;
	unsigned flags;
	gitchat_message *m;

	*out = NULL;
	if (!r->data || !slot || off < TEXT_HEADER || off + REC_FIXED > r->size)
		return GITCHAT_ENOTFOUND;
	p = r->data + off;
	len = gitchat_le32(p);
	flags = p[48];
	need = REC_FIXED + GIT_OID_RAWSZ * (size_t)(!!(flags & F_REPLY) + !!(flags & F_TREE) +
	                                            !!(flags & F_TARGET)) +
	       gitchat_le16(p + 50) + gitchat_le16(p + 52) + (size_t)gitchat_le32(p + 56);
	if (len < need || len > r->size - off || memcmp(p + 16, id->id, GIT_OID_RAWSZ) != 0 ||
	    p[49] > GITCHAT_MESSAGE_REACT || !!(flags & F_FILES) != !!gitchat_le16(p + 60) ||
	    gitchat_le16(p + 60) > GITCHAT_MAX_FILES || files_check(p + need, len - need,
	                                                    gitchat_le16(p + 60)) < 0)
		return GITCHAT_ENOTFOUND;
	crypto_shorthash((unsigned char *)&sum, p + 16, len - 16, sum_key);
	if (memcmp(&sum, p + 8, 8) != 0)
		return GITCHAT_ENOTFOUND;
	/* Data on disk: what validity bounds is bounded here too (else git). */
	if (!GITCHAT_TIME_VALID((int64_t)gitchat_le64(p + 36)) ||
	    (int32_t)gitchat_le32(p + 44) < -GITCHAT_TZ_MAX ||
	    (int32_t)gitchat_le32(p + 44) > GITCHAT_TZ_MAX)
		return GITCHAT_ENOTFOUND;
	/* Sequential reads of a large room would keep the whole file resident:
	 * give the pages back now and then (they stay in the page cache). */
	if (r->mapped && (r->touched += len) >= RELEASE_AT) {
		madvise((void *)r->data, r->size, MADV_DONTNEED);
		r->touched = 0;
	}
	if (!(m = calloc(1, sizeof(*m))))
		return gitchat_error_oom();
	git_oid_cpy(&m->id, id);
	m->time = time;
	m->commit_time = (int64_t)gitchat_le64(p + 36);
	m->tz_offset = (int32_t)gitchat_le32(p + 44);
	m->kind = (gitchat_message_kind)p[49];
	m->key = *key;
	v = p + REC_FIXED;
	if (flags & F_REPLY) {
		m->has_reply = 1;
		git_oid_fromraw(&m->reply_to, v);
		v += GIT_OID_RAWSZ;
	}
	if (flags & F_TREE) {
		git_oid_fromraw(&m->tree, v);
		v += GIT_OID_RAWSZ;
	} else {
		m->tree = empty_tree;
	}
	if (flags & F_TARGET) {
		git_oid_fromraw(&m->target, v);
		v += GIT_OID_RAWSZ;
	}
	m->parent_count = nparents;
	if ((nparents && !(m->parents = malloc(nparents * sizeof(git_oid)))) ||
	    !(m->author_name = gitchat_memdup_str(v, gitchat_le16(p + 50))) ||
	    !(m->author_email = gitchat_memdup_str(v + gitchat_le16(p + 50), gitchat_le16(p + 52))) ||
	    !(m->text = gitchat_memdup_str(v + gitchat_le16(p + 50) + gitchat_le16(p + 52), gitchat_le32(p + 56))) ||
	    !(m->room = strdup(room))) {
		gitchat_message_free(m);
		return gitchat_error_oom();
	}
	if (nparents)
		memcpy(m->parents, parents, nparents * sizeof(git_oid));
	m->text_len = gitchat_le32(p + 56);
	if (files_read(m, p + need, gitchat_le16(p + 60)) < 0) {
		gitchat_message_free(m);
		return gitchat_error_oom();
	}
	*out = m;
	return 0;
}
