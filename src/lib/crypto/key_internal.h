/* Internal: the key object and the public key wire blob. */
#ifndef GITCHAT_CRYPTO_KEY_INTERNAL_H
#define GITCHAT_CRYPTO_KEY_INTERNAL_H

#include "gitchat/key.h"

#define GITCHAT_SSH_ED25519 "ssh-ed25519"

struct gitchat_key {
	gitchat_pubkey pk;
	unsigned char *sk;   /* 64 bytes (seed || pk) in sodium_malloc memory */
	char *comment;
};

/* string("ssh-ed25519") string(pk32) */
int gitchat_pubkey_blob(gitchat_buf *out, const gitchat_pubkey *pk);
int gitchat_pubkey_parse_blob(gitchat_pubkey *out, const unsigned char *blob, size_t len);

#endif
