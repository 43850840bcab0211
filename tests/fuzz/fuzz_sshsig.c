/* SSHSIG (crypto/sshsig.c), the one reader of signatures: verification and
 * the signer of signatures verified before. Input: the armored signature,
 * a NUL, then the signed data (namespace "git"). */
#include <string.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t siglen = nul ? (size_t)(nul - data) : size;
	const uint8_t *payload = nul ? nul + 1 : data + size;
	size_t plen = size - siglen - (nul ? 1 : 0);
	gitchat_pubkey a, b;
	int verified, named;

	fz_init();
	verified = gitchat_sshsig_verify(&a, (const char *)data, siglen, "git", payload, plen);
	named = gitchat_sshsig_signer(&b, (const char *)data, siglen);
	/* Both read with the same reader: what verifies names its signer. */
	if (verified == 0 && (named < 0 || gitchat_pubkey_cmp(&a, &b) != 0))
		fz_fail("a verified signature does not name its signer", NULL, 0, 0);
	gitchat_sshsig_verify(&a, (const char *)data, siglen, "file", payload, plen);
	return 0;
}
