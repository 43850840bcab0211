/*
 * ssh host keys, checked as OpenSSH checks them, in ~/.ssh/known_hosts
 * and then /etc/ssh/ssh_known_hosts:
 *
 *   [@revoked] host-patterns key-type base64-key [comment]
 *
 * host-patterns: comma-separated, '*' and '?' wildcards, '!' negation,
 * "[host]:port" for a port other than 22, or one hashed name
 * "|1|base64(salt)|base64(HMAC-SHA1(salt, name))" (HashKnownHosts).
 *
 * libgit2 1.5 checks the same file through libssh2 but tells its callback
 * only "valid or not", so an unknown host and a changed key (a possible
 * attack) would look alike: we decide here, with the raw key it gives.
 * A changed or revoked key is always refused; an unknown one is refused
 * unless the caller's hostkey callback accepts it.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sync/knownhosts.h"
#include "util/base64.h"
#include "util/error.h"
#include "util/fs.h"

#define KNOWN_HOSTS_MAX (16u << 20)

/* '*' and '?' wildcards, as OpenSSH's match_pattern, without its
 * recursion: on a mismatch only the last '*' takes one more character, so
 * a line of many stars costs O(pattern * name), not an exponential walk. */
static int wildmatch(const char *pat, size_t plen, const char *s)
{
	size_t i = 0, star = 0;
	const char *mark = NULL;

	while (*s) {
		if (i < plen && pat[i] == '*') {
			star = ++i;
			mark = s;
		} else if (i < plen && (pat[i] == '?' || pat[i] == *s)) {
			i++;
			s++;
		} else if (mark) {
			i = star;
			s = ++mark;
		} else {
			return 0;
		}
	}
	while (i < plen && pat[i] == '*')
		i++;
	return i == plen;
}

static int hashed_match(const char *field, size_t n, const char *name)
{
	const char *salt = field + 3, *bar, *hash;
	unsigned char s[64], h[32], mac[20];
	size_t slen, hlen;

	if (!(bar = memchr(salt, '|', n - 3)))
		return 0;
	hash = bar + 1;
	if (gitchat_base64_decode(s, sizeof(s), &slen, salt, (size_t)(bar - salt),
	                          GITCHAT_BASE64_PADDED) < 0 ||
	    gitchat_base64_decode(h, sizeof(h), &hlen, hash, (size_t)(field + n - hash),
	                          GITCHAT_BASE64_PADDED) < 0 || hlen != 20)
		return 0;
	/* OpenSSH's HashKnownHosts: HMAC-SHA1 keyed with the salt. */
	if (!HMAC(EVP_sha1(), s, (int)slen, (const unsigned char *)name, strlen(name), mac, NULL))
		return 0;
	return sodium_memcmp(mac, h, 20) == 0;
}

static int host_matches(const char *field, size_t n, const char *name)
{
	int positive = 0;
	size_t i = 0;

	if (n > 3 && !memcmp(field, "|1|", 3))
		return hashed_match(field, n, name);
	while (i < n) {
		size_t start = i, len;
		int neg = 0;
		while (i < n && field[i] != ',')
			i++;
		len = i - start;
		if (len && field[start] == '!') {
			neg = 1;
			start++;
			len--;
		}
		if (len && wildmatch(field + start, len, name)) {
			if (neg)
				return 0;   /* a negated match excludes the host */
			positive = 1;
		}
		i++;
	}
	return positive;
}

/* Splits off the next whitespace-separated field. */
static const char *next_field(const char **p, size_t *len)
{
	const char *s = *p, *start;

	while (*s == ' ' || *s == '\t')
		s++;
	start = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	*len = (size_t)(s - start);
	*p = s;
	return *len ? start : NULL;
}

int sync_known_hosts_check(kh_result *out, size_t *line_no, const char *path,
                           const char *lookup_name, const char *key_type,
                           const unsigned char *blob, size_t blob_len)
{
	gitchat_buf data = GITCHAT_BUF_INIT;
	int error;

	*out = KH_NOT_FOUND;
	*line_no = 0;
	if (gitchat_fs_read(&data, path, KNOWN_HOSTS_MAX) < 0) {
		gitchat_error_clear();   /* no file: nothing is known */
		return 0;
	}
	if (!data.ptr)
		return 0;
	error = sync_known_hosts_check_data(out, line_no, data.ptr, data.size, lookup_name,
	                                    key_type, blob, blob_len);
	gitchat_buf_dispose(&data);
	return error;
}

int sync_known_hosts_check_data(kh_result *out, size_t *line_no, char *data, size_t size,
                                const char *lookup_name, const char *key_type,
                                const unsigned char *blob, size_t blob_len)
{
	unsigned char *key = NULL;
	char *line, *save = NULL;
	size_t no = 0, changed_line = 0;
	int matched = 0, changed = 0, revoked = 0;

	*out = KH_NOT_FOUND;
	*line_no = 0;
	if (!(key = malloc(size + 1)))
		return gitchat_error_oom();
	for (line = data; line; line = save) {
		const char *p = line, *f;
		size_t flen, klen, tlen;
		const char *hosts, *type, *b64;
		size_t hlen;
		int is_revoked = 0;

		if ((save = strchr(line, '\n')))
			*save++ = '\0';
		no++;
		if ((f = next_field(&p, &flen)) == NULL || *f == '#')
			continue;
		if (*f == '@') {
			if (flen == 8 && !memcmp(f, "@revoked", 8))
				is_revoked = 1;
			else
				continue;       /* @cert-authority: certificates are not used here */
			if (!(f = next_field(&p, &flen)))
				continue;
		}
		hosts = f;
		hlen = flen;
		if (!(type = next_field(&p, &tlen)) || !(b64 = next_field(&p, &flen)))
			continue;
		if (!host_matches(hosts, hlen, lookup_name))
			continue;
		if (gitchat_base64_decode(key, size, &klen, b64, flen, GITCHAT_BASE64_PADDED) < 0)
			continue;
		if (is_revoked) {
			if (klen == blob_len && !memcmp(key, blob, klen))
				revoked = 1, changed_line = no;
			continue;
		}
		if (strlen(key_type) != tlen || memcmp(type, key_type, tlen) != 0)
			continue;           /* another key type: says nothing of this one */
		if (klen == blob_len && !memcmp(key, blob, klen)) {
			matched = 1;
		} else if (!changed) {
			changed = 1;
			changed_line = no;
		}
	}
	free(key);
	if (revoked)
		*out = KH_REVOKED;
	else if (matched)
		*out = KH_MATCH;
	else if (changed)
		*out = KH_CHANGED;
	if (*out == KH_REVOKED || *out == KH_CHANGED)
		*line_no = changed_line;
	return 0;
}

/* The key type named at the start of an ssh key blob. */
static int blob_type(char *out, size_t size, const unsigned char *blob, size_t len)
{
	uint32_t n;

	if (len < 4)
		return -1;
	n = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (n == 0 || n >= size || n > len - 4)
		return -1;
	memcpy(out, blob + 4, n);
	out[n] = '\0';
	return 0;
}

static void fingerprint(char *out, size_t size, const unsigned char *blob, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	                                   sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	crypto_hash_sha256(h, blob, len);
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	snprintf(out, size, "SHA256:%s", b64);
}

static int refuse(gitchat_buf *failure, const char *msg)
{
	gitchat_buf_clear(failure);
	gitchat_buf_puts(failure, msg);
	git_error_set_str(GIT_ERROR_SSH, msg);
	return GIT_ECERTIFICATE;
}

int sync_knownhosts_verify(gitchat_buf *failure, const sync_hostkey_how *how, git_cert *cert,
                           const char *host)
{
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	const unsigned char *blob;
	gitchat_buf lookup = GITCHAT_BUF_INIT, user_file = GITCHAT_BUF_INIT,
	            msg = GITCHAT_BUF_INIT, port_opt = GITCHAT_BUF_INIT;
	const char *files[2], *home = getenv("HOME");
	char type[64], fp[64];
	kh_result res = KH_NOT_FOUND, rf;
	size_t line = 0, l;
	const char *where = NULL;
	int i, error;

	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2 || !(hk->type & GIT_CERT_SSH_RAW))
		return GIT_PASSTHROUGH;
	blob = (const unsigned char *)hk->hostkey;
	if (blob_type(type, sizeof(type), blob, hk->hostkey_len) < 0)
		return refuse(failure, "the ssh server sent a host key git-chat cannot read");
	fingerprint(fp, sizeof(fp), blob, hk->hostkey_len);
	if (how->port && how->port != 22) {
		gitchat_buf_printf(&lookup, "[%s]:%d", host, how->port);
		gitchat_buf_printf(&port_opt, "-p %d ", how->port);
	} else {
		gitchat_buf_puts(&lookup, host);
	}
	gitchat_buf_printf(&user_file, "%s/.ssh/known_hosts", home ? home : "");
	files[0] = user_file.ptr;
	files[1] = "/etc/ssh/ssh_known_hosts";
	for (i = 0; i < 2 && res != KH_REVOKED; i++) {
		if ((error = sync_known_hosts_check(&rf, &l, files[i], lookup.ptr, type, blob,
		                                    hk->hostkey_len)) < 0)
			goto done;
		if (rf == KH_REVOKED || (rf == KH_MATCH && res != KH_MATCH) ||
		    (rf == KH_CHANGED && res == KH_NOT_FOUND)) {
			res = rf;
			line = l;
			where = files[i];
		}
	}
	if (res == KH_MATCH) {
		error = 0;
		goto done;
	}
	if (res == KH_NOT_FOUND && how->hostkey_cb) {
		gitchat_sync_hostkey q = { 0 };
		q.remote = how->remote;
		q.host = host;
		q.port = how->port ? how->port : 22;
		q.lookup_name = lookup.ptr;
		q.key_type = type;
		q.fingerprint = fp;
		q.status = GITCHAT_HOSTKEY_UNKNOWN;
		q.known_hosts = user_file.ptr;
		if (how->hostkey_cb(&q, how->payload) == 1) {
			error = 0;
			goto done;
		}
	}
	if (res == KH_NOT_FOUND)
		gitchat_buf_printf(&msg, "the ssh host key of '%s' is not known (%s key %s); if that "
			"is the server's key, accept it as ssh does: connect once with 'ssh %s%s', or "
			"run 'ssh-keyscan %s%s >> ~/.ssh/known_hosts' (and compare the fingerprint)",
			lookup.ptr, type, fp, port_opt.ptr ? port_opt.ptr : "", host,
			port_opt.ptr ? port_opt.ptr : "", host);
	else if (res == KH_CHANGED)
		gitchat_buf_printf(&msg, "the ssh host key of '%s' has CHANGED: the server offers %s "
			"%s but %s:%zu holds another key; someone may be intercepting the connection, "
			"so it is refused. If the server's key really changed, remove the old one with "
			"'ssh-keygen -R \"%s\"' and accept the new one",
			lookup.ptr, type, fp, where, line, lookup.ptr);
	else
		gitchat_buf_printf(&msg, "the ssh host key of '%s' (%s %s) is marked @revoked in "
			"%s:%zu; refusing it", lookup.ptr, type, fp, where, line);
	error = refuse(failure, msg.ptr ? msg.ptr : "ssh host key refused");
done:
	gitchat_buf_dispose(&lookup);
	gitchat_buf_dispose(&user_file);
	gitchat_buf_dispose(&msg);
	gitchat_buf_dispose(&port_opt);
	return error;
}
