/* The PEM-like armor of signatures and key files (crypto/armor.c), exact
 * and lenient. Input: a flags byte, then the armored text. Exact armor is
 * one encoding per byte string: what decodes exactly encodes back to the
 * same text. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "crypto/armor.h"

static const char *const labels[] = { "SSH SIGNATURE", "OPENSSH PRIVATE KEY" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_input in = { data, size };
	unsigned flags = fz_byte(&in);
	const char *label = labels[flags & 1], *text = (const char *)in.p;
	unsigned mode = (flags >> 1) & 3;   /* 0, EXACT, SECRET, SECRET|EXACT */
	unsigned char *bin = NULL, head[64];
	size_t binlen = 0;
	gitchat_buf again = GITCHAT_BUF_INIT;

	fz_init();
	if (gitchat_armor_decode(&bin, &binlen, label, text, in.left,
	                         (mode & 1 ? GITCHAT_ARMOR_EXACT : 0) |
	                         (mode & 2 ? GITCHAT_ARMOR_SECRET : 0)) == 0) {
		if (mode & 1) {
			if (gitchat_armor_encode(&again, label, bin, binlen, 0) < 0 ||
			    again.size != in.left || memcmp(again.ptr, text, in.left) != 0)
				fz_fail("exact armor that does not encode back to itself", text, in.left, 0);
			/* The head reader agrees with the whole one. */
			if (binlen >= sizeof(head) &&
			    (gitchat_armor_decode_head(head, sizeof(head), label, text, in.left) < 0 ||
			     memcmp(head, bin, sizeof(head)) != 0))
				fz_fail("the head of an exact armor reads otherwise", text, in.left, 0);
		}
		gitchat_armor_free(bin, !!(mode & 2));
	}
	gitchat_armor_decode_head(head, (flags >> 3) % sizeof(head) + 1, label, text, in.left);
	gitchat_buf_dispose(&again);
	return 0;
}
