/* age identities and recipients as text (crypto/age_keys.c,
 * age_bech32.c): AGE-SECRET-KEY-1..., age1..., ssh-ed25519 lines. Input:
 * the string. What parses formats back to what parses to the same. */
#include <string.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_age_identity *id = NULL;
	gitchat_age_recipient *r = NULL, *r2 = NULL, *from_id = NULL;
	gitchat_buf s = GITCHAT_BUF_INIT;

	fz_init();
	if (gitchat_age_identity_parse(&id, (const char *)data, size) == 0) {
		if (gitchat_age_identity_recipient(&from_id, id) < 0)
			fz_fail("an identity without a recipient", NULL, 0, 0);
		if (gitchat_age_identity_type(id) == GITCHAT_AGE_X25519) {
			gitchat_age_identity *id2 = NULL;
			gitchat_age_recipient *r3 = NULL;
			if (gitchat_age_identity_format(&s, id) < 0 ||
			    gitchat_age_identity_parse(&id2, s.ptr, s.size) < 0 ||
			    gitchat_age_identity_recipient(&r3, id2) < 0 ||
			    gitchat_age_recipient_cmp(from_id, r3) != 0)
				fz_fail("an identity that does not read back", NULL, 0, 0);
			gitchat_age_recipient_free(r3);
			gitchat_age_identity_free(id2);
		}
		gitchat_age_buf_wipe(&s);
		gitchat_age_recipient_free(from_id);
		gitchat_age_identity_free(id);
	}
	if (gitchat_age_recipient_parse(&r, (const char *)data, size) == 0) {
		if (gitchat_age_recipient_format(&s, r) < 0 ||
		    gitchat_age_recipient_parse(&r2, s.ptr, s.size) < 0 ||
		    gitchat_age_recipient_cmp(r, r2) != 0)
			fz_fail("a recipient that does not read back", s.ptr, s.size, 0);
		gitchat_age_recipient_free(r2);
		gitchat_age_recipient_free(r);
	}
	gitchat_buf_dispose(&s);
	return 0;
}
