/* Public keys as text (crypto/key.c): a .pub line "ssh-ed25519 AAAA...",
 * and the 64-hex-digit form of ref names. Input: the line. What parses
 * formats back to a line that parses to the same key. */
#include <stdlib.h>
#include "fuzz.h"
#include "crypto/pubkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_pubkey pk, again;
	gitchat_buf line = GITCHAT_BUF_INIT;
	char *s = fz_strndup(data, size);

	fz_init();
	if (gitchat_pubkey_parse_line(&pk, (const char *)data, size) == 0) {
		if (gitchat_pubkey_line(&line, &pk, "c") < 0 ||
		    gitchat_pubkey_parse_line(&again, line.ptr, line.size) < 0 ||
		    gitchat_pubkey_cmp(&pk, &again) != 0)
			fz_fail("a public key line that does not read back", line.ptr, line.size, 0);
	}
	gitchat_pubkey_from_hex(&pk, s);
	gitchat_buf_dispose(&line);
	free(s);
	return 0;
}
