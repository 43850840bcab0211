/* OpenSSH private key files (crypto/key.c). Input: the file. A key that
 * loads signs, and its signature verifies under its public half (a file
 * whose two halves disagree must not load). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_key *key = NULL;
	gitchat_buf sig = GITCHAT_BUF_INIT;
	gitchat_pubkey signer;

	fz_init();
	if (gitchat_key_parse(&key, (const char *)data, size, "fuzz") < 0)
		return 0;
	gitchat_key_comment(key);
	if (gitchat_sshsig_sign(&sig, key, "git", "x", 1) < 0 ||
	    gitchat_sshsig_verify(&signer, sig.ptr, sig.size, "git", "x", 1) < 0 ||
	    gitchat_pubkey_cmp(&signer, gitchat_key_public(key)) != 0)
		fz_fail("a key file that loads signs what its public key does not verify", NULL, 0, 0);
	gitchat_buf_dispose(&sig);
	gitchat_key_free(key);
	return 0;
}
