/* Public keys as text (crypto/key.c): the one reader of a public key line
 * "ssh-ed25519 BASE64[ COMMENT]" (.pub files, authorized_keys, key::
 * literals), and the 64-hex-digit form of ref names. Input: the line. What
 * parses formats back to a line that parses to the same key. */
#include <stdlib.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_pubkey pk, again;
	gitchat_buf line = GITCHAT_BUF_INIT, comment = GITCHAT_BUF_INIT;
	char *s = fz_strndup(data, size);

	fz_init();
	if (gitchat_pubkey_parse_line(&pk, &comment, (const char *)data, size, "'fuzz'") == 0) {
		if (gitchat_pubkey_line(&line, &pk, "c") < 0 ||
		    gitchat_pubkey_parse_line(&again, NULL, line.ptr, line.size, "'again'") < 0 ||
		    gitchat_pubkey_cmp(&pk, &again) != 0)
			fz_fail("a public key line that does not read back", line.ptr, line.size, 0);
	}
	gitchat_pubkey_parse_line(&pk, NULL, (const char *)data, size, "'fuzz'");
	gitchat_pubkey_from_hex(&pk, s);
	gitchat_buf_dispose(&line);
	gitchat_buf_dispose(&comment);
	free(s);
	return 0;
}
