/* The public key wire blob, for the modules above that read SSHSIG bytes. */
#ifndef GITCHAT_CRYPTO_PUBKEY_H
#define GITCHAT_CRYPTO_PUBKEY_H

#include "gitchat/key.h"

#define GITCHAT_SSH_ED25519 "ssh-ed25519"

/* string("ssh-ed25519") string(pk32) */
int gitchat_pubkey_blob(gitchat_buf *out, const gitchat_pubkey *pk);
int gitchat_pubkey_parse_blob(gitchat_pubkey *out, const unsigned char *blob, size_t len);

#endif
