/* Internal to crypto/: the key object. */
#ifndef GITCHAT_CRYPTO_KEY_INTERNAL_H
#define GITCHAT_CRYPTO_KEY_INTERNAL_H

#include "gitchat/key.h"
#include "crypto/pubkey.h"

struct gitchat_key {
	gitchat_pubkey pk;
	unsigned char *sk;   /* 64 bytes (seed || pk) in sodium_malloc memory */
	char *comment;
};

#endif
