/*
 * libgitchat: offline-first, serverless chat on signed git commits.
 *
 * Start with docs/architecture.md. Every function returns 0 or a negative
 * GITCHAT_E* code with the reason in gitchat_error_last().
 */
#ifndef GITCHAT_H
#define GITCHAT_H

#include "gitchat/common.h"
#include "gitchat/key.h"
#include "gitchat/sshsig.h"
#include "gitchat/store.h"
#include "gitchat/message.h"
#include "gitchat/verify.h"
#include "gitchat/send.h"
#include "gitchat/conversation.h"
#include "gitchat/render.h"
#include "gitchat/view.h"
#include "gitchat/persons.h"
#include "gitchat/identity.h"
#include "gitchat/hook.h"
#include "gitchat/sync.h"
#include "gitchat/age.h"
#include "gitchat/members.h"
#include "gitchat/private.h"

#define GITCHAT_VERSION "0.1.0"

#endif
