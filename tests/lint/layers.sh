#!/bin/sh
# The layer order of docs/architecture.md, checked over every #include:
#
#   util -> crypto -> store -> message -> verify -> send|order|sync
#        -> persons -> members -> hook|private -> view -> render -> cli
#
# A file under src/lib/<module>/ may include its own module's headers and
# those of modules on a lower level, nothing else: not a module above, not a
# peer on its own level (peers that call each other grow cycles), and never
# another module's *_internal.h. Public headers (include/gitchat/<name>.h)
# belong to the module that implements them (the table below), so
# "gitchat/conversation.h" counts as order/; they follow the same rule among
# themselves. src/cli/ includes public headers only. A folder or public
# header missing from the tables is an error too, so that a new one gets a
# place in the order.
#
# usage: layers.sh SOURCE_DIR    exit 0 when every include obeys the order;
#                                1 with one line per include that does not.
set -u
top=${1:?usage: layers.sh SOURCE_DIR}
cd "$top" || exit 2

# module level; the public headers' module
modules='util 0
crypto 1
store 2
message 3
verify 4
send 5
order 5
sync 5
persons 6
members 7
hook 8
private 8
view 9
render 10
cli 11'
public='common util
key crypto
sshsig crypto
identity crypto
age crypto
store store
message message
verify verify
send send
conversation order
sync sync
hook hook
members members
private private
view view
persons persons
render render
gitchat cli'

{
	find src/lib src/cli include/gitchat -name '*.[ch]' | sort | while read -r f; do
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" /dev/null
	done
} | awk -v modules="$modules" -v public="$public" '
BEGIN {
	n = split(modules, lines, "\n")
	for (i = 1; i <= n; i++) { split(lines[i], w, " "); level[w[1]] = w[2] }
	n = split(public, lines, "\n")
	for (i = 1; i <= n; i++) { split(lines[i], w, " "); owner[w[1]] = w[2] }
	order = "util -> crypto -> store -> message -> verify -> send|order|sync -> persons -> members -> hook|private -> view -> render -> cli"
	bad = 0
}
function complain(msg) { print where ": " msg; bad++ }
# The module a file belongs to, or "" with a complaint.
function module_of_file(path,   p, name) {
	if (path ~ /^src\/cli\//) return "cli"
	if (path ~ /^src\/lib\//) {
		split(path, p, "/")
		if (!(p[3] in level)) { complain("folder src/lib/" p[3] "/ has no place in the layer order (tests/lint/layers.sh)"); return "" }
		return p[3]
	}
	name = path; sub(/^include\/gitchat\//, "", name); sub(/\.h$/, "", name)
	if (!(name in owner)) { complain("public header " path " belongs to no module (tests/lint/layers.sh)"); return "" }
	return owner[name]
}
{
	# grep -n output: FILE:LINE:#include "X"
	file = $0; sub(/:.*/, "", file)
	rest = substr($0, length(file) + 2)
	line = rest; sub(/:.*/, "", line)
	inc = rest; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
	where = file ":" line
	from = module_of_file(file)
	if (from == "") next
	if (inc !~ /\//) {
		# same-folder include: only the command has those (cli.h, reader.h)
		if (from != "cli") complain("#include \"" inc "\": name the module folder")
		next
	}
	split(inc, p, "/")
	if (p[1] == "gitchat") {
		name = p[2]; sub(/\.h$/, "", name)
		if (!(name in owner)) { complain("#include \"" inc "\": a public header that belongs to no module (tests/lint/layers.sh)"); next }
		to = owner[name]
	} else {
		to = p[1]
		if (!(to in level)) { complain("#include \"" inc "\": " to "/ has no place in the layer order"); next }
		if (from == "cli") { complain("#include \"" inc "\": the command uses the public headers (include/gitchat/) only"); next }
		if (to != from && inc ~ /_internal\.h$/) { complain(from " includes the internals of " to " (" inc ")"); next }
	}
	if (to == from) next
	if (level[to] > level[from])
		complain(from " includes " inc ", but " to " is above " from " (" order ")")
	else if (level[to] == level[from])
		complain(from " includes " inc ", but " to " is a peer of " from " on one level (" order "): move what both need below them")
}
END {
	if (bad) { printf "%d include(s) against the layer order\n", bad; exit 1 }
}'
