#include "util/utf8.h"

size_t gitchat_utf8_decode(uint32_t *cp, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, k;
	uint32_t v, min;

	if (s[0] < 0x80) { *cp = s[0]; return 1; }
	if (s[0] >= 0xc2 && s[0] <= 0xdf) { n = 1; v = s[0] & 0x1f; min = 0x80; }
	else if (s[0] >= 0xe0 && s[0] <= 0xef) { n = 2; v = s[0] & 0x0f; min = 0x800; }
	else if (s[0] >= 0xf0 && s[0] <= 0xf4) { n = 3; v = s[0] & 0x07; min = 0x10000; }
	else goto bad;
	if (len <= n)
		goto bad;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			goto bad;
		v = (v << 6) | (s[k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return n + 1;
bad:
	*cp = 0xfffd;
	return 1;
}

int gitchat_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = gitchat_utf8_decode(&cp, s + i, len - i);
		if (GITCHAT_UTF8_BAD(cp, n)) {
			if (bad_offset)
				*bad_offset = i;
			return 0;
		}
		i += n;
	}
	return 1;
}
