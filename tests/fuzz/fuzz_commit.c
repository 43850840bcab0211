/* The commit text of a message and the per-commit validity check
 * (message/commit.c): parse, check (signature, room, limits), the signer,
 * the message built from it. Input: the raw commit object's text. */
#include <stdlib.h>
#include "fuzz.h"
#include "message/commit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_commit c;
	gitchat_pubkey signer, named;
	gitchat_message *m = NULL;
	git_oid id = { { 0 } };

	fz_init();
	if (gitchat_commit_parse(&c, (const char *)data, size) < 0)
		return 0;
	gitchat_commit_key(&named, &c);
	gitchat_text_check(c.text, c.text_len, fz_limits());
	if (gitchat_commit_check(&signer, &c, NULL, NULL, fz_limits()) == 0) {
		/* A commit that checks names the key that signed it. */
		if (gitchat_commit_key(&named, &c) < 0 || gitchat_pubkey_cmp(&named, &signer) != 0)
			fz_fail("a valid commit names another key than its signer", NULL, 0, 0);
		if (gitchat_message_from_commit(&m, &id, &c, &signer) == 0)
			gitchat_message_free(m);
	}
	gitchat_commit_check(&signer, &c, NULL, "general", fz_limits());
	gitchat_commit_dispose(&c);
	return 0;
}
