/*
 * Internal to crypto/: a client of ssh-agent (draft-miller-ssh-agent,
 * OpenSSH's PROTOCOL.agent), enough to sign with an ed25519 key the agent
 * holds: list the identities, ask for a signature.
 */
#ifndef GITCHAT_CRYPTO_AGENT_H
#define GITCHAT_CRYPTO_AGENT_H

#include "gitchat/key.h"

/* The agent's socket: `sock`, or $SSH_AUTH_SOCK when NULL. Copied into *out
 * (malloc'd). GITCHAT_ENOTFOUND, with what to do, when there is none;
 * `hint` is the key file to name in `ssh-add HINT` (may be NULL unless
 * `encrypted`: the file is protected by a passphrase). */
int gitchat_agent_socket(char **out, const char *sock, const gitchat_pubkey *pk,
                         const char *hint, int encrypted);

/* 1 when the agent at `sock` holds `pk`, 0 when it does not, or an error
 * (the agent cannot be reached, or answers nonsense). */
int gitchat_agent_has(const char *sock, const gitchat_pubkey *pk);

/* 0 when the agent holds `pk`; otherwise an error that says what to do
 * (GITCHAT_ENOTFOUND and `ssh-add HINT` when it lacks the key). */
int gitchat_agent_check(const char *sock, const gitchat_pubkey *pk, const char *hint);

/* The agent's ed25519 signature of `data` (64 bytes), checked against pk.
 * Errors say whether the agent is unreachable, lacks the key (ssh-add
 * HINT), or refused (a key added with ssh-add -c). */
int gitchat_agent_sign(unsigned char sig[64], const char *sock, const gitchat_pubkey *pk,
                       const char *hint, const void *data, size_t len);

#endif
