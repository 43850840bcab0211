/* Finding the user's key (DESIGN.md "Identity"). */
#ifndef GITCHAT_IDENTITY_H
#define GITCHAT_IDENTITY_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/key.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which rule of the lookup named the key. */
typedef enum {
	GITCHAT_KEY_SOURCE_OPTION,       /* the caller's (--key) */
	GITCHAT_KEY_SOURCE_ENV,          /* $GIT_CHAT_KEY */
	GITCHAT_KEY_SOURCE_CHAT_KEY,     /* git config chat.key */
	GITCHAT_KEY_SOURCE_SIGNING_KEY,  /* git config user.signingKey, gpg.format=ssh */
	GITCHAT_KEY_SOURCE_DEFAULT       /* $XDG_CONFIG_HOME/git-chat/id_ed25519 */
} gitchat_key_source;

/* Where the key is, first match wins: `given` (--key), $GIT_CHAT_KEY, git
 * config chat.key (of `repo`, or the global config when NULL), git config
 * user.signingKey when gpg.format is ssh, then
 * $XDG_CONFIG_HOME/git-chat/id_ed25519 (~/.config/git-chat/id_ed25519).
 * *out is a path ("~/" expanded for the git config values) or a
 * "key::ssh-ed25519 ..." literal, for gitchat_key_open; *source (may be
 * NULL) says which rule matched. Nothing is opened here. */
GITCHAT_EXTERN(int) gitchat_key_locate(gitchat_buf *out, gitchat_key_source *source,
                                       git_repository *repo, const char *given);

/* The rule's name as a person reads it: "--key", "GIT_CHAT_KEY", "git
 * config chat.key", "git config user.signingKey", "the default place". */
GITCHAT_EXTERN(const char *) gitchat_key_source_name(gitchat_key_source source);

/* gitchat_key_locate without the source. */
GITCHAT_EXTERN(int) gitchat_key_path_find(gitchat_buf *out, git_repository *repo, const char *given);

/* The public half of the key at `location` (gitchat_key_locate's form),
 * for commands that only read: from a key file's .pub when there is one,
 * never asking ssh-agent or for a passphrase. */
GITCHAT_EXTERN(int) gitchat_key_public_read(gitchat_pubkey *out, const char *location);

#ifdef __cplusplus
}
#endif
#endif
