#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/refs.h"
#include "util/buf.h"
#include "util/error.h"

int gitchat_chatref_parse(gitchat_chatref *out, const char *refname)
{
	const char *rest, *slash, *last;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (strncmp(refname, GITCHAT_REFS_PREFIX, strlen(GITCHAT_REFS_PREFIX)) == 0) {
		rest = refname + strlen(GITCHAT_REFS_PREFIX);
	} else if (strncmp(refname, GITCHAT_REMOTES_PREFIX, strlen(GITCHAT_REMOTES_PREFIX)) == 0) {
		rest = refname + strlen(GITCHAT_REMOTES_PREFIX);
		if (!(last = strrchr(rest, '/')) || last == rest)
			goto bad;
		/* remote may contain '/', room and key may not: split from the end */
		for (slash = last - 1; slash > rest && *slash != '/'; slash--)
			;
		if (slash <= rest || (size_t)(slash - rest) >= sizeof(out->remote))
			goto bad;
		memcpy(out->remote, rest, (size_t)(slash - rest));
		rest = slash + 1;
	} else {
		goto bad;
	}
	if (!(slash = strchr(rest, '/')) || strchr(slash + 1, '/'))
		goto bad;
	n = (size_t)(slash - rest);
	if (n == 0 || n >= sizeof(out->room))
		goto bad;
	memcpy(out->room, rest, n);
	out->room[n] = '\0';
	if (gitchat_room_validate(out->room) < 0)
		return gitchat_error_set(GITCHAT_EINVALID, "ref '%s' names an invalid room: %s",
		                         refname, gitchat_error_last()->message);
	if (gitchat_pubkey_from_hex(&out->key, slash + 1) < 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"ref '%s' does not end in a key of 64 lowercase hex digits", refname);
	return 0;
bad:
	return gitchat_error_set(GITCHAT_EINVALID,
		"ref '%s' is not of the form refs/chat/<room>/<key>", refname);
}

int gitchat_chatref_format(gitchat_buf *out, const char *remote, const char *room,
                           const gitchat_pubkey *key)
{
	char hex[GITCHAT_PUBKEY_HEXSIZE];

	gitchat_pubkey_hex(hex, key);
	if (remote && *remote)
		return gitchat_buf_printf(out, GITCHAT_REMOTES_PREFIX "%s/%s/%s", remote, room, hex);
	return gitchat_buf_printf(out, GITCHAT_REFS_PREFIX "%s/%s", room, hex);
}

static int tips_push(gitchat_tips *t, const char *name, const git_oid *id,
                     const gitchat_chatref *ref)
{
	gitchat_tip *nt = realloc(t->tips, (t->count + 1) * sizeof(*nt));
	if (!nt)
		return gitchat_error_oom();
	t->tips = nt;
	memset(&nt[t->count], 0, sizeof(*nt));
	if (!(nt[t->count].refname = strdup(name)))
		return gitchat_error_oom();
	git_oid_cpy(&nt[t->count].id, id);
	if (ref)
		nt[t->count].ref = *ref;
	t->count++;
	return 0;
}

static int tip_cmp(const void *a, const void *b)
{
	return strcmp(((const gitchat_tip *)a)->refname, ((const gitchat_tip *)b)->refname);
}

static int list_glob(gitchat_tips *out, gitchat_tips *bad, git_repository *repo,
                     const char *glob, const char *room)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	gitchat_chatref parsed;
	int error;

	if ((error = git_reference_iterator_glob_new(&it, repo, glob)) < 0)
		return gitchat_error_from_git(error, "cannot list the refs '%s'", glob);
	while ((error = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		git_reference *resolved = NULL;
		const git_oid *target;
		/* A direct ref is its own target; resolving it would read it again. */
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
			target = git_reference_target(ref);
		} else if (git_reference_resolve(&resolved, ref) < 0) {
			git_reference_free(ref);
			continue;
		} else {
			target = git_reference_target(resolved);
		}
		if (gitchat_chatref_parse(&parsed, name) < 0) {
			gitchat_error_clear();
			if (bad && (error = tips_push(bad, name, target, NULL)) < 0)
				goto next_fail;
		} else if (!room || strcmp(parsed.room, room) == 0) {
			if ((error = tips_push(out, name, target, &parsed)) < 0)
				goto next_fail;
		}
		git_reference_free(resolved);
		git_reference_free(ref);
		continue;
next_fail:
		git_reference_free(resolved);
		git_reference_free(ref);
		goto done;
	}
	error = error == GIT_ITEROVER ? 0 : gitchat_error_from_git(error, "cannot list the refs");
done:
	git_reference_iterator_free(it);
	return error;
}

/* One room's loose refs/chat/<room>/ read directly: every message sent
 * lists its room, and libgit2's iterator costs five system calls and two
 * walks of the whole path per ref; here it is openat/read/close relative
 * to the directory. Only the plain case: no packed-refs file (checked after
 * the scan: packing writes it before it prunes loose refs), every entry a
 * regular file with a chat ref name holding 40 hex digits and a newline,
 * ".lock" files aside (libgit2 skips them too). Anything else returns 0
 * and the caller lists the room with libgit2, which knows every case. */
static int list_room_loose(gitchat_tips *out, git_repository *repo, const char *room)
{
	gitchat_buf path = GITCHAT_BUF_INIT, name = GITCHAT_BUF_INIT;
	gitchat_chatref parsed;
	struct dirent *e;
	struct stat st;
	DIR *d = NULL;
	char data[64];
	git_oid id;
	size_t n;
	int fd, plain = 0, error = 0;

	if (gitchat_room_validate(room) < 0) {   /* never a path outside refs/chat/ */
		gitchat_error_clear();
		goto done;
	}
	if ((error = gitchat_buf_printf(&path, "%s" GITCHAT_REFS_PREFIX "%s",
	                                git_repository_commondir(repo), room)) < 0)
		goto done;
	if (!(d = opendir(path.ptr))) {
		plain = errno == ENOENT;   /* no loose refs in the room */
		goto packed;
	}
	while ((e = readdir(d))) {
		ssize_t got;
		n = strlen(e->d_name);
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n >= 5 && !strcmp(e->d_name + n - 5, ".lock"))
			continue;
		if (e->d_type != DT_REG)
			goto done;
		gitchat_buf_clear(&name);
		if ((error = gitchat_buf_printf(&name, GITCHAT_REFS_PREFIX "%s/%s", room, e->d_name)) < 0)
			goto done;
		if (gitchat_chatref_parse(&parsed, name.ptr) < 0) {
			gitchat_error_clear();
			goto done;
		}
		if ((fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
			goto done;
		got = read(fd, data, sizeof(data));
		close(fd);
		if (got != GIT_OID_HEXSZ + 1 || data[GIT_OID_HEXSZ] != '\n' ||
		    git_oid_fromstrn(&id, data, GIT_OID_HEXSZ) < 0) {
			git_error_clear();
			goto done;
		}
		if ((error = tips_push(out, name.ptr, &id, &parsed)) < 0)
			goto done;
	}
	plain = 1;
packed:
	gitchat_buf_clear(&path);
	if ((error = gitchat_buf_printf(&path, "%spacked-refs", git_repository_commondir(repo))) < 0)
		goto done;
	if (plain && !(stat(path.ptr, &st) < 0 && errno == ENOENT))
		plain = 0;
done:
	if (d)
		closedir(d);
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&name);
	if (error < 0)
		return error;
	if (!plain)
		gitchat_tips_dispose(out);
	return plain;
}

int gitchat_tips_list(gitchat_tips *out, gitchat_tips *bad, git_repository *repo,
                      const char *room)
{
	int error, fast = 0;

	gitchat_buf glob = GITCHAT_BUF_INIT;

	memset(out, 0, sizeof(*out));
	if (bad)
		memset(bad, 0, sizeof(*bad));
	/* One room: only its directory of loose refs is read (every message
	 * sent lists its room), not every room's. */
	if (room && (fast = list_room_loose(out, repo, room)) < 0) {
		error = fast;
		goto fail;
	}
	error = room ? gitchat_buf_printf(&glob, GITCHAT_REFS_PREFIX "%s/*", room)
	             : gitchat_buf_puts(&glob, GITCHAT_REFS_PREFIX "*");
	if (error < 0 ||
	    (!fast && (error = list_glob(out, bad, repo, glob.ptr, room)) < 0) ||
	    (error = list_glob(out, bad, repo, GITCHAT_REMOTES_PREFIX "*", room)) < 0) {
fail:
		gitchat_buf_dispose(&glob);
		gitchat_tips_dispose(out);
		if (bad)
			gitchat_tips_dispose(bad);
		return error;
	}
	gitchat_buf_dispose(&glob);
	if (out->count)
		qsort(out->tips, out->count, sizeof(*out->tips), tip_cmp);
	return 0;
}

void gitchat_tips_dispose(gitchat_tips *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->tips[i].refname);
	free(t->tips);
	memset(t, 0, sizeof(*t));
}
