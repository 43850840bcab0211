/* Finding the user's key file (DESIGN.md "Identity"). */
#ifndef GITCHAT_IDENTITY_H
#define GITCHAT_IDENTITY_H

#include <git2.h>
#include "gitchat/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The key path, first match wins: `given` (--key), $GIT_CHAT_KEY, git
 * config chat.key (of `repo`, or the global config when NULL), then
 * $XDG_CONFIG_HOME/git-chat/id_ed25519 (~/.config/git-chat/id_ed25519). */
GITCHAT_EXTERN(int) gitchat_key_path_find(gitchat_buf *out, git_repository *repo, const char *given);

#ifdef __cplusplus
}
#endif
#endif
