/*
 * Writes a big room quickly, for tests/bench/bench_sync.sh:
 *
 *   bench_sync_gen GITDIR ROOM COUNT AUTHORS KEYDIR
 *
 * COUNT signed messages in ROOM of the store GITDIR, by AUTHORS authors
 * taking turns (keys KEYDIR/k0, k1, ..., made when missing), continuing the
 * logs already there. Each message's parents are its author's previous
 * message and the message just before it (a conversation where everyone
 * reads everything), as `git chat send` would choose them. The commits are
 * made exactly as send makes them (same text, SSHSIG via the library, the
 * gpgsig header where libgit2 puts it) but without send's per-message ref
 * update and checks, written as one pack that `git index-pack` indexes
 * (uncompressed: zlib "stored" blocks, so no zlib is needed here); the
 * refs are set at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <git2.h>
#include <gitchat.h>

#include <openssl/evp.h>

typedef struct {
	FILE *f;
	EVP_MD_CTX *sha;
	size_t objects;
} pack_out;

static void pack_put(pack_out *p, const void *data, size_t len)
{
	if (fwrite(data, 1, len, p->f) != len) {
		perror("bench_sync_gen: write");
		exit(1);
	}
	EVP_DigestUpdate(p->sha, data, len);
}

/* One pack entry: type and size header, then `data` as a zlib stream of
 * stored (uncompressed) deflate blocks. */
static void pack_object(pack_out *p, int type, const void *data, size_t len)
{
	unsigned char hdr[16], blk[5], adler[4];
	const unsigned char *d = data;
	size_t n = 0, size = len, off = 0;
	uint32_t a = 1, b = 0;

	hdr[n] = (unsigned char)((type << 4) | (size & 15));
	size >>= 4;
	while (size) {
		hdr[n++] |= 0x80;
		hdr[n] = size & 0x7f;
		size >>= 7;
	}
	pack_put(p, hdr, n + 1);
	pack_put(p, "\x78\x01", 2);
	do {
		size_t chunk = len - off > 65535 ? 65535 : len - off;
		blk[0] = off + chunk == len ? 1 : 0;
		blk[1] = chunk & 0xff;
		blk[2] = chunk >> 8;
		blk[3] = ~chunk & 0xff;
		blk[4] = (~chunk >> 8) & 0xff;
		pack_put(p, blk, 5);
		pack_put(p, d + off, chunk);
		off += chunk;
	} while (off < len);
	for (size_t i = 0; i < len; i++) {
		a = (a + d[i]) % 65521;
		b = (b + a) % 65521;
	}
	adler[0] = b >> 8; adler[1] = b & 0xff; adler[2] = a >> 8; adler[3] = a & 0xff;
	pack_put(p, adler, 4);
	p->objects++;
}

/* The commit as git_commit_create_with_signature stores it: the gpgsig
 * header (continuation lines indented) at the end of the header block. */
static void with_signature(gitchat_buf *out, const gitchat_buf *text, const char *sig)
{
	const char *end = strstr(text->ptr, "\n\n");

	gitchat_buf_clear(out);
	gitchat_buf_put(out, text->ptr, (size_t)(end - text->ptr) + 1);
	gitchat_buf_puts(out, "gpgsig ");
	for (; *sig; sig++) {
		gitchat_buf_put(out, sig, 1);
		if (*sig == '\n')
			gitchat_buf_puts(out, " ");
	}
	gitchat_buf_puts(out, end);
}

static int die(const char *what)
{
	const git_error *ge = git_error_last();
	fprintf(stderr, "bench_sync_gen: %s: %s%s\n", what, gitchat_error_last()->message,
	        ge && ge->message ? ge->message : "");
	exit(1);
}

int main(int argc, char **argv)
{
	const char *gitdir, *room, *keydir;
	long count, authors, i;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid tree, *heads, last;
	int *has_head, has_last = 0;
	gitchat_key **keys;
	gitchat_buf text = GITCHAT_BUF_INIT, sig = GITCHAT_BUF_INIT, path = GITCHAT_BUF_INIT;
	gitchat_buf full = GITCHAT_BUF_INIT, packpath = GITCHAT_BUF_INIT;
	pack_out pack;
	unsigned char phdr[12], trailer[20];
	char hex[GIT_OID_HEXSZ + 1], khex[GITCHAT_PUBKEY_HEXSIZE], cmd[8192];
	long long t0 = 1700000000;
	static const char *names[] = { "Ada", "Brian", "Cleo", "Dmitri", "Emeka", "Fatima",
	                               "Gus", "Hana" };

	if (argc != 6) {
		fprintf(stderr, "usage: bench_sync_gen GITDIR ROOM COUNT AUTHORS KEYDIR\n");
		return 129;
	}
	gitdir = argv[1];
	room = argv[2];
	count = atol(argv[3]);
	authors = atol(argv[4]);
	keydir = argv[5];
	if (count < 0 || authors < 1 || authors > 8)
		return fprintf(stderr, "bench_sync_gen: COUNT >= 0, 1 <= AUTHORS <= 8\n"), 129;
	if (gitchat_init() < 0)
		die("init");
	if (git_repository_open_bare(&repo, gitdir) < 0 || git_repository_odb(&odb, repo) < 0)
		die(gitdir);
	if (git_odb_hash(&tree, "", 0, GIT_OBJECT_TREE) < 0)
		die("empty tree");
	gitchat_buf_printf(&packpath, "%s/gen.pack", gitdir);
	memset(&pack, 0, sizeof(pack));
	if (!(pack.f = fopen(packpath.ptr, "wb")))
		die(packpath.ptr);
	if (!(pack.sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(pack.sha, EVP_sha1(), NULL) != 1)
		die("sha1");
	memcpy(phdr, "PACK\0\0\0\2", 8);
	phdr[8] = (unsigned char)((count + 1) >> 24);
	phdr[9] = (unsigned char)((count + 1) >> 16);
	phdr[10] = (unsigned char)((count + 1) >> 8);
	phdr[11] = (unsigned char)(count + 1);
	pack_put(&pack, phdr, 12);
	pack_object(&pack, 2, "", 0);
	keys = calloc((size_t)authors, sizeof(*keys));
	heads = calloc((size_t)authors, sizeof(*heads));
	has_head = calloc((size_t)authors, sizeof(*has_head));
	for (i = 0; i < authors; i++) {
		gitchat_buf_clear(&path);
		gitchat_buf_printf(&path, "%s/k%ld", keydir, i);
		if (gitchat_key_load(&keys[i], path.ptr) < 0) {
			if (gitchat_key_generate(&keys[i], names[i]) < 0 ||
			    gitchat_key_write(keys[i], path.ptr, 0) < 0)
				die(path.ptr);
		}
		gitchat_pubkey_hex(khex, gitchat_key_public(keys[i]));
		gitchat_buf_clear(&path);
		gitchat_buf_printf(&path, "refs/chat/%s/%s", room, khex);
		if (git_reference_name_to_id(&heads[i], repo, path.ptr) == 0) {
			git_commit *c = NULL;
			has_head[i] = 1;
			/* continue after the newest existing message */
			if (git_commit_lookup(&c, repo, &heads[i]) == 0) {
				if (git_commit_author(c)->when.time >= t0) {
					t0 = git_commit_author(c)->when.time + 1;
					last = heads[i];
					has_last = 1;
				}
				git_commit_free(c);
			}
		}
		git_error_clear();
	}
	for (i = 0; i < count; i++) {
		long a = i % authors;
		git_oid id;
		long long t = t0 + i;

		gitchat_buf_clear(&text);
		gitchat_buf_printf(&text, "tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree));
		if (has_head[a])
			gitchat_buf_printf(&text, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &heads[a]));
		if (has_last && (!has_head[a] || !git_oid_equal(&last, &heads[a])))
			gitchat_buf_printf(&text, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &last));
		gitchat_buf_printf(&text, "author %s <%s@example.org> %lld +0000\n"
		                   "committer %s <%s@example.org> %lld +0000\nchat-room %s\n\n"
		                   "message %ld of the benchmark room, about %s things\n",
		                   names[a], names[a], t, names[a], names[a], t, room, i,
		                   i % 3 ? "ordinary" : "important");
		gitchat_buf_clear(&sig);
		if (gitchat_sshsig_sign(&sig, keys[a], "git", text.ptr, text.size) < 0)
			die("sign");
		sig.ptr[--sig.size] = '\0';
		with_signature(&full, &text, sig.ptr);
		if (git_odb_hash(&id, full.ptr, full.size, GIT_OBJECT_COMMIT) < 0)
			die("hash");
		pack_object(&pack, 1, full.ptr, full.size);
		heads[a] = id;
		has_head[a] = 1;
		last = id;
		has_last = 1;
	}
	EVP_DigestFinal_ex(pack.sha, trailer, NULL);
	EVP_MD_CTX_free(pack.sha);
	if (fwrite(trailer, 1, 20, pack.f) != 20 || fclose(pack.f) != 0)
		die("write the pack");
	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' index-pack --stdin < '%s' >/dev/null && "
	         "rm -f '%s'", gitdir, packpath.ptr, packpath.ptr);
	if (system(cmd) != 0)
		die("git index-pack");
	git_odb_refresh(odb);
	git_odb_free(odb);
	for (i = 0; i < authors; i++) {
		git_reference *ref = NULL;
		gitchat_pubkey_hex(khex, gitchat_key_public(keys[i]));
		gitchat_buf_clear(&path);
		gitchat_buf_printf(&path, "refs/chat/%s/%s", room, khex);
		if (has_head[i] &&
		    git_reference_create(&ref, repo, path.ptr, &heads[i], 1, "bench_sync_gen") < 0)
			die(path.ptr);
		git_reference_free(ref);
		gitchat_key_free(keys[i]);
	}
	printf("%ld messages in '%s' of %s\n", count, room, gitdir);
	gitchat_buf_dispose(&text);
	gitchat_buf_dispose(&sig);
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&full);
	gitchat_buf_dispose(&packpath);
	free(keys);
	free(heads);
	free(has_head);
	git_repository_free(repo);
	gitchat_shutdown();
	return 0;
}
