/* Internal to crypto/: the key object. */
#ifndef GITCHAT_CRYPTO_KEY_INTERNAL_H
#define GITCHAT_CRYPTO_KEY_INTERNAL_H

#include "gitchat/key.h"
#include "crypto/pubkey.h"

/* A key file loaded whole has its secret half in `sk`. A key that signs
 * through ssh-agent (a public key was named, or a file protected by a
 * passphrase) has none until gitchat_key_unlock decrypts its file. */
struct gitchat_key {
	gitchat_pubkey pk;
	unsigned char *sk;   /* 64 bytes (seed || pk) in sodium_malloc memory, or NULL */
	char *comment;
	int agent;           /* signs through ssh-agent while sk is NULL */
	char *agent_sock;    /* the agent's socket; NULL: $SSH_AUTH_SOCK when signing */
	char *path;          /* the private key file, for `ssh-add PATH` and unlocking; or NULL */
	int encrypted;       /* path is protected by a passphrase */
};

/* The ed25519 signature of `data` by `key`: with its secret half, or by
 * the agent. */
int gitchat_key_sign_raw(unsigned char sig[64], const gitchat_key *key, const void *data,
                         size_t len);

#endif
