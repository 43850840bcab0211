/*
 * Identities: ed25519 keypairs in OpenSSH's private key format.
 *
 * A private key file is `openssh-key-v1` with cipher "none", so that
 * ssh-keygen and git's SSH signing use the same file. Secret bytes live in
 * sodium_malloc memory and are wiped when the key is freed.
 */
#ifndef GITCHAT_KEY_H
#define GITCHAT_KEY_H

#include "gitchat/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GITCHAT_PUBKEY_SIZE 32
#define GITCHAT_PUBKEY_HEXSIZE 65       /* 64 hex digits and NUL */
#define GITCHAT_FINGERPRINT_SIZE 51     /* "SHA256:" + 43 base64 + NUL */

/* An ed25519 public key: the identity of an author. */
typedef struct {
	unsigned char bytes[GITCHAT_PUBKEY_SIZE];
} gitchat_pubkey;

typedef struct gitchat_key gitchat_key;

typedef enum {
	GITCHAT_KEY_WRITE_FORCE = 1u << 0   /* replace an existing file */
} gitchat_key_write_flags;

GITCHAT_EXTERN(int) gitchat_key_generate(gitchat_key **out, const char *comment);

/* Reads a private key file. Errors: GITCHAT_ENOTFOUND (no file),
 * GITCHAT_EUNSUPPORTED (passphrase, other key type), GITCHAT_EINVALID
 * (corrupt or not a private key). */
GITCHAT_EXTERN(int) gitchat_key_load(gitchat_key **out, const char *path);

/* Opens the key at `location`, as the key lookup (gitchat_key_locate)
 * names it:
 *   - a private key file without a passphrase: loaded whole (as
 *     gitchat_key_load);
 *   - a private key file protected by a passphrase: its public half, read
 *     from the part of the file that is not encrypted; ssh-agent signs;
 *   - a public key file (`ssh-ed25519 AAAA...`), or git's literal
 *     `key::ssh-ed25519 AAAA...`: ssh-agent signs.
 * A key that signs through the agent needs the agent only when it signs
 * (gitchat_key_agent_check asks early); SSH_AUTH_SOCK names it. */
GITCHAT_EXTERN(int) gitchat_key_open(gitchat_key **out, const char *location);

/* 1 when `key` signs through ssh-agent, 0 when with its own secret half. */
GITCHAT_EXTERN(int) gitchat_key_agent_signs(const gitchat_key *key);

/* 0 when `key` can sign now: it has its secret half, or the agent runs and
 * holds it. Otherwise the error a signature would meet: no agent
 * (GITCHAT_ENOTFOUND), not loaded (GITCHAT_ENOTFOUND, says `ssh-add PATH`),
 * agent unreachable (GITCHAT_EIO). */
GITCHAT_EXTERN(int) gitchat_key_agent_check(const gitchat_key *key);

/* Asks for a passphrase: writes it, NUL-terminated, into `buf` (`size`
 * bytes of sodium_malloc memory the library wipes and frees). `prompt` is
 * what ssh would say. 0, or a negative value to give up. The library never
 * reads the terminal: the program does (git-chat: the terminal, or
 * SSH_ASKPASS as ssh does). */
typedef int (*gitchat_passphrase_cb)(char *buf, size_t size, const char *prompt,
                                     void *payload);

/* Gives `key` its secret half when only the agent held it: decrypts the
 * passphrase-protected file it came from (asking `cb` up to 3 times). A key
 * that has its secret half already is left as it is. Reading a private room
 * needs this (the agent signs but cannot decrypt). GITCHAT_EUNSUPPORTED for
 * a key named by its public half only (a .pub, a key:: literal): the
 * message names the way out, a key file or a device key without a
 * passphrase; GITCHAT_EVERIFY after 3 wrong passphrases; GITCHAT_ERROR when
 * `cb` gives up. Afterwards the key signs by itself, as its file would. */
GITCHAT_EXTERN(int) gitchat_key_unlock(gitchat_key *key, gitchat_passphrase_cb cb,
                                       void *payload);

/* The private key file `key` came from, when it knows it (NULL for a key::
 * literal or a .pub without its private file's path). */
GITCHAT_EXTERN(const char *) gitchat_key_path(const gitchat_key *key);

/* Reads only the public half of the key at `keypath`, from `keypath`.pub
 * ("ssh-ed25519 AAAA... comment", as keygen and ssh-keygen write it), for
 * commands that only read and so never open the private key.
 * GITCHAT_ENOTFOUND when there is no .pub, GITCHAT_EINVALID when it is not
 * an ed25519 public key line. */
GITCHAT_EXTERN(int) gitchat_pubkey_load(gitchat_pubkey *out, const char *keypath);

/* Reads the public key file at exactly `path` (its first line). `comment`,
 * when not NULL, receives the line's comment. Errors as for
 * gitchat_pubkey_parse_line, and GITCHAT_ENOTFOUND when there is no file. */
GITCHAT_EXTERN(int) gitchat_pubkey_load_file(gitchat_pubkey *out, gitchat_buf *comment,
                                             const char *path);

/* The one reader of a public key line, "ssh-ed25519 BASE64[ COMMENT]" (a
 * .pub file's line, authorized_keys without options, git's key:: literal
 * without "key::"). `comment` may be NULL. `label` names the source in the
 * error (quoted by the caller: "'alice.pub'", "user.signingKey").
 * GITCHAT_EUNSUPPORTED for another key type ("ssh-rsa ..."),
 * GITCHAT_EINVALID for anything else. */
GITCHAT_EXTERN(int) gitchat_pubkey_parse_line(gitchat_pubkey *out, gitchat_buf *comment,
                                              const char *line, size_t len, const char *label);

/* Parses key file contents; `label` names the source in error messages. */
GITCHAT_EXTERN(int) gitchat_key_parse(gitchat_key **out, const char *data,
                                      size_t len, const char *label);

/* Writes `path` (0600, O_EXCL|O_NOFOLLOW, atomically) and `path`.pub. */
GITCHAT_EXTERN(int) gitchat_key_write(const gitchat_key *key, const char *path,
                                      unsigned int flags);

GITCHAT_EXTERN(const gitchat_pubkey *) gitchat_key_public(const gitchat_key *key);
GITCHAT_EXTERN(const char *) gitchat_key_comment(const gitchat_key *key);
GITCHAT_EXTERN(void) gitchat_key_free(gitchat_key *key);

/* 64 lowercase hex digits, the form used in ref names. */
GITCHAT_EXTERN(void) gitchat_pubkey_hex(char out[GITCHAT_PUBKEY_HEXSIZE],
                                        const gitchat_pubkey *pk);
GITCHAT_EXTERN(int) gitchat_pubkey_from_hex(gitchat_pubkey *out, const char *hex);
/* "SHA256:..." exactly as ssh-keygen -l prints it. */
GITCHAT_EXTERN(void) gitchat_pubkey_fingerprint(char out[GITCHAT_FINGERPRINT_SIZE],
                                                const gitchat_pubkey *pk);
/* "ssh-ed25519 AAAA...[ comment]" as in authorized_keys / ssh-keygen -y. */
GITCHAT_EXTERN(int) gitchat_pubkey_line(gitchat_buf *out, const gitchat_pubkey *pk,
                                        const char *comment);
GITCHAT_EXTERN(int) gitchat_pubkey_cmp(const gitchat_pubkey *a, const gitchat_pubkey *b);

#ifdef __cplusplus
}
#endif
#endif
