#include <stdio.h>
#include <string.h>

#include "reader.h"

const cli_usage usage_allowed_signers = {
	"allowed-signers",
	"usage: git chat allowed-signers [-r ROOM]\n",
	"Prints an allowed-signers file for every author of the store (or of ROOM),\n"
	"one line per key and email: 'EMAIL namespaces=\"git\" ssh-ed25519 ...'. With it,\n"
	"stock git checks any message:\n"
	"\n"
	"    git chat allowed-signers > signers\n"
	"    git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=signers verify-commit ID\n"
	"\n"
	"Emails are the authors' claims; one that is not a plain address is\n"
	"replaced by 'key-' and the key's first 16 hex digits.\n"
	"\n"
	"Anyone can claim any email. When several keys claim the same one, git\n"
	"says 'Good signature for EMAIL' for a commit signed by any of them: a\n"
	"warning on stderr names such an email and the keys' SHA256 fingerprints.\n"
	"Keep only the line of the key you know is that person's (compare with\n"
	"'git chat whoami' on their side), or read with 'git chat log', which shows\n"
	"the fingerprint of each message's key and tells the keys apart.\n",
	(const cli_option[]){
		{ 'r', 'r', "room", "ROOM",
		  "only the authors of ROOM (an unknown room is an error)", "@room" },
		CLI_OPT_END
	},
	NULL,
	NULL
};

/* The ed25519 key of an allowed-signers line ('P namespaces="git"
 * ssh-ed25519 BASE64'): the last 32 bytes of the decoded blob. */
static int line_key(gitchat_pubkey *out, const char *line, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char type[] = " ssh-ed25519 ";
	unsigned char blob[64];
	const char *p, *end = line + len, *c;
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;

	for (p = line; p + sizeof(type) - 1 <= end && memcmp(p, type, sizeof(type) - 1); p++)
		;
	if (p + sizeof(type) - 1 > end)
		return -1;
	for (p += sizeof(type) - 1; p < end && !strchr("= \n", *p); p++) {
		if (!(c = memchr(b64, *p, 64)))
			return -1;
		acc = (acc << 6) | (unsigned)(c - b64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (n == sizeof(blob))
				return -1;
			blob[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* string "ssh-ed25519" (4 + 11) and string key (4 + 32) */
	if (n != 51)
		return -1;
	memcpy(out->bytes, blob + 19, GITCHAT_PUBKEY_SIZE);
	return 0;
}

static const char *next_line(const char *line, const char *end)
{
	const char *nl = memchr(line, '\n', (size_t)(end - line));
	return nl ? nl + 1 : end;
}

/* The lines come sorted by email: a run of lines with one email is one
 * email claimed by several keys. */
static void warn_shared(const char *text, size_t size)
{
	const char *run = text, *end = text + size, *line, *run_end;
	char fp[GITCHAT_FINGERPRINT_SIZE];
	gitchat_pubkey key;

	for (; run < end; run = run_end) {
		int plen = (int)strcspn(run, " \n");
		size_t keys = 0;

		for (run_end = run; run_end < end && !strncmp(run_end, run, (size_t)plen) &&
		                    run_end[plen] == ' '; run_end = next_line(run_end, end))
			keys++;
		if (keys < 2) {
			run_end = next_line(run, end);
			continue;
		}
		cli_warn("%zu keys claim the email '%.*s':", keys, plen, run);
		for (line = run; line < run_end; line = next_line(line, end))
			if (line_key(&key, line, (size_t)(next_line(line, end) - line)) == 0) {
				gitchat_pubkey_fingerprint(fp, &key);
				fprintf(stderr, "    %s\n", fp);
			}
		fprintf(stderr, "  git will accept a signature by any of these keys for '%.*s';\n"
		        "  keep only the line of the key you know is that person's, or use\n"
		        "  'git chat log', which tells the keys apart\n", plen, run);
	}
}

int cmd_allowed_signers(int argc, char **argv)
{
	gitchat_store *store = NULL;
	gitchat_buf out = GITCHAT_BUF_INIT;
	const char *room = NULL;
	int ret;

	if ((ret = reader_store_args(&store, &room, argc, argv, &usage_allowed_signers)) >= 0)
		return ret;
	if (room && (ret = reader_require_room(store, room)) != 0) {
		gitchat_store_free(store);
		return ret;
	}
	ret = 0;
	if (gitchat_allowed_signers(&out, store, room) < 0) {
		ret = cli_fatal_lib();
	} else if (out.size) {
		warn_shared(out.ptr, out.size);
		cli_write_out(out.ptr, out.size);
	}
	gitchat_buf_dispose(&out);
	gitchat_store_free(store);
	return ret;
}
