/* The verification cache $GIT_DIR/chat/verified/<room> (verify/cache.c),
 * through its reader over bytes. Input: the file. Every id it lists as
 * valid reads back as valid, whatever else it holds. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "verify/cache.h"
#include "util/bytes.h"

#define HEADER 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_verify_cache *c = NULL;
	const char *reason;
	git_oid id, cause;
	size_t i, nrec;

	fz_init();
	if (gitchat_verify_cache_open_bytes(&c, fz_limits(), "fuzz", data, size) < 0)
		return 0;
	nrec = size >= HEADER ? (size - HEADER) / GIT_OID_RAWSZ : 0;
	for (i = 0; i < nrec && i < 8192; i++) {
		git_oid_fromraw(&id, data + HEADER + i * GIT_OID_RAWSZ);
		gitchat_verify_cache_get(c, "fuzz", &id, &reason, &cause);
	}
	memset(&id, 0xab, sizeof(id));
	gitchat_verify_cache_set_invalid(c, "fuzz", &id, &id, "fuzz");
	if (gitchat_verify_cache_get(c, "fuzz", &id, &reason, &cause) != GITCHAT_VSTATE_INVALID)
		fz_fail("an invalid verdict does not read back", NULL, 0, 0);
	memset(&id, 0xcd, sizeof(id));
	gitchat_verify_cache_set_valid(c, "fuzz", &id);
	if (gitchat_verify_cache_get(c, "fuzz", &id, NULL, NULL) != GITCHAT_VSTATE_VALID)
		fz_fail("a valid verdict does not read back", NULL, 0, 0);
	gitchat_verify_cache_free(c);
	return 0;
}
