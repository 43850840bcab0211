/* age's strict ASCII armor (crypto/age_armor.c). Input: the armored text.
 * What decodes, encodes and decodes again to the same bytes. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "crypto/age_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *bin = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	gitchat_buf enc = GITCHAT_BUF_INIT;

	fz_init();
	age_armor_detect(data, size);
	if (age_armor_decode(&bin, &len, data, size) == 0) {
		if (age_armor_encode(&enc, bin, len) < 0 ||
		    age_armor_decode(&again, &len2, (const unsigned char *)enc.ptr, enc.size) < 0 ||
		    len2 != len || memcmp(bin, again, len) != 0)
			fz_fail("armor that does not read back", enc.ptr, enc.size, 0);
		free(again);
		free(bin);
	}
	gitchat_buf_dispose(&enc);
	return 0;
}
