/* Identities sealed with age (a private room's epoch keys): the text is
 * an age identity file, one AGE-SECRET-KEY-1... per line, and it never
 * leaves sodium_malloc memory. */
#include <stdlib.h>
#include <string.h>

#include "crypto/age_internal.h"
#include "util/error.h"

int gitchat_age_encrypt_identities(gitchat_buf *out,
                                   const gitchat_age_recipient *const *recipients, size_t n,
                                   const gitchat_age_identity *const *ids, size_t nids,
                                   unsigned int flags)
{
	size_t i, pos = 0, cap;
	char *text;
	int error;

	if (nids == 0 || nids > SIZE_MAX / (AGE_IDENTITY_STRLEN + 1) - 1 || !ids)
		return gitchat_error_set(GITCHAT_EINVALID, "age: no identity to encrypt");
	for (i = 0; i < nids; i++)
		if (!ids[i] || ids[i]->type != GITCHAT_AGE_X25519)
			return gitchat_error_set(GITCHAT_EINVALID,
				"age: only X25519 identities can be sealed (identity %zu)", i + 1);
	cap = nids * (AGE_IDENTITY_STRLEN + 1) + 1;
	if (!(text = sodium_malloc(cap)))
		return gitchat_error_oom();
	for (i = 0; i < nids; i++) {
		pos += age_identity_string(text + pos, cap - pos, ids[i]);
		text[pos++] = '\n';
	}
	error = age_encrypt_bytes(out, recipients, n, (const unsigned char *)text, pos, flags);
	sodium_free(text);
	return error;
}

void gitchat_age_identities_free(gitchat_age_identity **ids, size_t n)
{
	if (!ids)
		return;
	for (size_t i = 0; i < n; i++)
		gitchat_age_identity_free(ids[i]);
	free(ids);
}

static int add_identity(gitchat_age_identity ***ids, size_t *n, const char *line, size_t len,
                        size_t lineno)
{
	gitchat_age_identity **grown, *id;
	int error;

	if ((error = gitchat_age_identity_parse(&id, line, len)) < 0)
		return gitchat_error_set(error, "in the sealed identities, line %zu: %s", lineno,
		                         gitchat_error_last()->message);
	if (!(grown = realloc(*ids, (*n + 1) * sizeof(*grown)))) {
		gitchat_age_identity_free(id);
		return gitchat_error_oom();
	}
	*ids = grown;
	(*ids)[(*n)++] = id;
	return 0;
}

int gitchat_age_decrypt_identities(gitchat_age_identity ***out, size_t *nout,
                                   const gitchat_age_identity *const *identities, size_t n,
                                   const void *in, size_t len, unsigned int flags)
{
	gitchat_age_identity **ids = NULL;
	unsigned char *text = NULL;
	size_t tlen = 0, pos = 0, count = 0, lineno = 0;
	int error;

	*out = NULL;
	*nout = 0;
	if ((error = age_decrypt_secret(&text, &tlen, identities, n, in, len, flags)) < 0)
		return error;
	while (pos < tlen) {
		const char *line = (const char *)text + pos, *nl = memchr(line, '\n', tlen - pos);
		size_t llen = nl ? (size_t)(nl - line) : tlen - pos;

		pos += llen + (nl ? 1 : 0);
		lineno++;
		while (llen && line[llen - 1] == '\r')
			llen--;
		if (llen == 0 || line[0] == '#')
			continue;
		if ((error = add_identity(&ids, &count, line, llen, lineno)) < 0)
			goto done;
	}
	if (count == 0)
		error = gitchat_error_set(GITCHAT_EINVALID, "the sealed age file holds no identity");
done:
	sodium_free(text);
	if (error < 0) {
		gitchat_age_identities_free(ids, count);
		return error;
	}
	*out = ids;
	*nout = count;
	return 0;
}
