/* The age header parser (crypto/age_header.c): version line, stanzas,
 * their arguments and bodies, the MAC line, all bounded. Input: the
 * binary file. */
#include "fuzz.h"
#include "crypto/age_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	age_header h;

	fz_init();
	if (age_header_parse(&h, data, size) == 0) {
		if (h.len > size || h.mac_offset > h.len)
			fz_fail("a header longer than its input", NULL, 0, 0);
		age_header_dispose(&h);
	}
	return 0;
}
