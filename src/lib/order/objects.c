#include <string.h>
#include <sodium.h>
#include <git2/sys/odb_backend.h>

#include "order/objects.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/bytes.h"

int gitchat_objects_open(gitchat_objects *o, git_repository *repo)
{
	size_t i, n;
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = git_repository_odb(&o->odb, repo)) < 0)
		return gitchat_error_from_git(error, "cannot open the object database");
	n = git_odb_num_backends(o->odb);
	for (i = 0; i < n && o->nbackends < sizeof(o->backends) / sizeof(*o->backends); i++) {
		git_odb_backend *b = NULL;
		if (git_odb_get_backend(&b, o->odb, i) == 0 && b && b->read)
			o->backends[o->nbackends++] = b;
	}
	return 0;
}

void gitchat_objects_close(gitchat_objects *o)
{
	git_odb_free(o->odb);
	memset(o, 0, sizeof(*o));
}

static int not_a_commit(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	return gitchat_error_set(GITCHAT_EINVALID, "object %s is not a commit",
	                         git_oid_tostr(hex, sizeof(hex), id));
}

int gitchat_objects_read_commit(gitchat_buf *out, gitchat_objects *o, const git_oid *id)
{
	git_odb_object *obj = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int error;

	gitchat_buf_clear(out);
	for (i = 0; i < o->nbackends; i++) {
		void *data = NULL;
		size_t len = 0;
		git_object_t type = GIT_OBJECT_INVALID;
		if (o->backends[i]->read(&data, &len, &type, o->backends[i], id) != 0)
			continue;
		if (type != GIT_OBJECT_COMMIT) {
			git_odb_backend_data_free(o->backends[i], data);
			return not_a_commit(id);
		}
		error = gitchat_buf_put(out, data, len);
		git_odb_backend_data_free(o->backends[i], data);
		return error;
	}
	/* Not where we looked: the slow path refreshes the packs (a fetch may
	 * have added one since we opened them) and knows every backend. */
	git_error_clear();
	if ((error = git_odb_read(&obj, o->odb, id)) < 0)
		return gitchat_error_set(error == GIT_ENOTFOUND ? GITCHAT_ENOTFOUND : GITCHAT_EGIT,
			"commit %s is missing from the store", git_oid_tostr(hex, sizeof(hex), id));
	if (git_odb_object_type(obj) != GIT_OBJECT_COMMIT)
		error = not_a_commit(id);
	else
		error = gitchat_buf_put(out, git_odb_object_data(obj), git_odb_object_size(obj));
	git_odb_object_free(obj);
	return error;
}

int gitchat_armor_signer(gitchat_pubkey *out, const char *armor, size_t len)
{
	/* "SSHSIG" u32(1) u32(51) u32(11) "ssh-ed25519" u32(32) pk32: the key
	 * ends at byte 65, in the first 88 base64 characters. */
	static const char begin[] = "-----BEGIN SSH SIGNATURE-----\n";
	char b64[89];
	unsigned char bin[66];
	size_t i, n = 0, binlen = 0;

	if (len < sizeof(begin) - 1 || memcmp(armor, begin, sizeof(begin) - 1) != 0)
		goto bad;
	for (i = sizeof(begin) - 1; i < len && n < 88; i++) {
		char c = armor[i];
		if (c == '\n')
			continue;
		if (c == '-')
			break;
		b64[n++] = c;
	}
	if (n < 88)
		goto bad;
	b64[n] = '\0';
	if (sodium_base642bin(bin, sizeof(bin), b64, n, NULL, &binlen, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 || binlen != 66)
		goto bad;
	if (memcmp(bin, "SSHSIG", 6) != 0 || gitchat_be32(bin + 6) != 1 || gitchat_be32(bin + 10) != 51 ||
	    gitchat_be32(bin + 14) != 11 || memcmp(bin + 18, "ssh-ed25519", 11) != 0 || gitchat_be32(bin + 29) != 32)
		goto bad;
	memcpy(out->bytes, bin + 33, GITCHAT_PUBKEY_SIZE);
	return 0;
bad:
	return gitchat_error_set(GITCHAT_EINVALID, "the commit carries no ed25519 SSH signature");
}
