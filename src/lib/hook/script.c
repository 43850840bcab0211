/*
 * The text of hooks/pre-receive, installed by gitchat_server_init. It must
 * stay byte for byte the project's hooks/pre-receive (a test compares them).
 */
#include "gitchat/hook.h"

static const char script[] =
	"#!/bin/sh\n"
	"# git-chat's pre-receive hook: the server refuses chat logs that are not\n"
	"# valid (forged, unsigned, in the wrong room, rewritten or deleted), and\n"
	"# tells the pusher why.\n"
	"#\n"
	"# Install: copy this file to hooks/pre-receive in the bare repository and\n"
	"# make it executable, or let 'git chat init --server DIR' do it (and set\n"
	"# the receive.* options; see docs/hosting.md). It runs\n"
	"# 'git-chat hook pre-receive', taking the first of:\n"
	"#   1. the repository's git config chat.hook.program (a path),\n"
	"#   2. the environment variable GIT_CHAT_PROGRAM of the git server,\n"
	"#   3. git-chat found on PATH.\n"
	"# One refused ref refuses the whole push: that is how pre-receive works.\n"
	"# When git-chat cannot run, every push is refused: a server that installed\n"
	"# this hook must not take logs that it cannot check.\n"
	"\n"
	"program=$(git config --get chat.hook.program) || program=\n"
	"if [ -z \"$program\" ]; then\n"
	"\tprogram=${GIT_CHAT_PROGRAM:-git-chat}\n"
	"fi\n"
	"if ! command -v \"$program\" >/dev/null 2>&1; then\n"
	"\techo \"error: git-chat hook: cannot run '$program', so the push is refused;\" \\\n"
	"\t     \"install git-chat on the server or set\" \\\n"
	"\t     \"'git config chat.hook.program /path/to/git-chat' in its repository\" >&2\n"
	"\texit 1\n"
	"fi\n"
	"exec \"$program\" hook pre-receive\n";

const char *gitchat_hook_script(void)
{
	return script;
}
