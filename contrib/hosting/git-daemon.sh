#!/bin/sh
# Serves every git-chat room repository under ROOT over git:// (port 9418
# unless --port is given), pushes included.
#
#   usage: git-daemon.sh ROOT [GIT-DAEMON-OPTIONS...]
#   e.g.   git-daemon.sh /srv/git --listen=192.0.2.10 --user=git --group=git
#   clone: git clone git://HOST/team.git     (ROOT/team.git on the server)
#
# git:// has no authentication and no encryption: anyone who reaches the
# port can read every repository under ROOT and push to it. What keeps bad
# logs out is each repository's pre-receive hook: create the repositories
# with 'git chat init --server ROOT/NAME.git'. The hook refuses forged,
# unsigned, rewritten and deleted logs, but not new valid logs from new
# keys: use ssh or authenticated HTTP (see docs/hosting.md) when only
# known people may post. Tested by tests/cli/test_hook_recipes.c.
set -eu
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 ROOT [GIT-DAEMON-OPTIONS...]   (ROOT: a directory of bare repositories)" >&2
	exit 129
fi
root=$(cd "$1" && pwd)
shift
# exec: the daemon keeps this process id, for a service manager or a test.
exec "$(git --exec-path)/git-daemon" --reuseaddr --informative-errors \
	--base-path="$root" --export-all --enable=receive-pack "$@" -- "$root"
