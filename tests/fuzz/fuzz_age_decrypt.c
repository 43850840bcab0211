/* age files end to end (crypto/age.c): armor detection, header, stanzas
 * (X25519 and ssh-ed25519), MAC, STREAM payload, with two fixed identities
 * (age_ids.h); and the sealed-identities reader on the same bytes. Input:
 * the file, binary or armored. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "age_ids.h"

static gitchat_age_identity *ids[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	gitchat_key *key = NULL;

	(void)argc; (void)argv;
	fz_init();
	if (gitchat_age_identity_parse(&ids[0], FZ_AGE_X25519, strlen(FZ_AGE_X25519)) < 0 ||
	    gitchat_key_parse(&key, FZ_AGE_SSH_KEY, strlen(FZ_AGE_SSH_KEY), "fuzz") < 0 ||
	    gitchat_age_identity_from_key(&ids[1], key) < 0)
		abort();
	gitchat_key_free(key);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_buf out = GITCHAT_BUF_INIT;
	gitchat_age_failure why = GITCHAT_AGE_OK;
	gitchat_age_identity **got = NULL;
	size_t n = 0;
	int error;

	error = gitchat_age_decrypt(&out, &why, (const gitchat_age_identity *const *)ids, 2, data,
	                            size, 0);
	if ((error == 0) != (why == GITCHAT_AGE_OK))
		fz_fail("a decryption whose result and reason disagree", NULL, 0, 0);
	if (error < 0 && out.size)
		fz_fail("a failed decryption that kept output", out.ptr, out.size, 0);
	gitchat_age_buf_wipe(&out);
	gitchat_age_decrypt(&out, &why, (const gitchat_age_identity *const *)ids, 2, data, size,
	                    GITCHAT_AGE_KEEP_PARTIAL | GITCHAT_AGE_BINARY);
	gitchat_age_buf_wipe(&out);
	if (gitchat_age_decrypt_identities(&got, &n, (const gitchat_age_identity *const *)ids, 2,
	                                   data, size, 0) == 0)
		gitchat_age_identities_free(got, n);
	return 0;
}
