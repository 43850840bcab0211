/*
 * SSHSIG (OpenSSH PROTOCOL.sshsig) signatures with ed25519 and sha512: the
 * format of `ssh-keygen -Y sign` and of git's SSH commit signing.
 */
#ifndef GITCHAT_SSHSIG_H
#define GITCHAT_SSHSIG_H

#include "gitchat/common.h"
#include "gitchat/key.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends the armored signature ("-----BEGIN SSH SIGNATURE-----" ...
 * "-----END SSH SIGNATURE-----\n") over `data` to `out`. */
GITCHAT_EXTERN(int) gitchat_sshsig_sign(gitchat_buf *out, const gitchat_key *key,
                                        const char *ns, const void *data, size_t len);

/* Verifies an armored signature over `data` in namespace `ns`; on success
 * stores the signer's key in *signer. Fails with GITCHAT_EVERIFY (and a
 * reason) for anything but a good ed25519 signature armored exactly as
 * `ssh-keygen -Y sign` writes it: base64 at 70 columns, "\n" line ends,
 * nothing before or after (one encoding per signature, so that nobody can
 * re-wrap a signature into a second signed object). */
GITCHAT_EXTERN(int) gitchat_sshsig_verify(gitchat_pubkey *signer, const char *armored,
                                          size_t armored_len, const char *ns,
                                          const void *data, size_t len);

/* The key an armored signature names, read by the same function as
 * gitchat_sshsig_verify reads it, without checking the signature: only for
 * signatures verified before. The whole armor's layout is checked as for
 * verification (so both refuse the same armors), but only the blob's head
 * up to the key is decoded: the merger reads the signers of many commits.
 * GITCHAT_EVERIFY with the reason when it does not parse. */
GITCHAT_EXTERN(int) gitchat_sshsig_signer(gitchat_pubkey *signer, const char *armored,
                                          size_t armored_len);

#ifdef __cplusplus
}
#endif
#endif
