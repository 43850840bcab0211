/* Attachment names (util/filename.c through message.h): the validity rule
 * every reader applies to a chat-file name, the escaped form log and the
 * renderers show, and the safe name `save` creates in a directory. Input:
 * one byte k (the variant number), then the name. What `save` creates must
 * be a valid name that stays in its directory and is not hidden, and the
 * escaped form holds no control byte. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

static void check_safe(const char *name, unsigned k)
{
	gitchat_buf out = GITCHAT_BUF_INIT;

	if (gitchat_file_safe_name(&out, name, k) < 0)
		fz_fail("no safe name", name, strlen(name), 0);
	if (gitchat_file_name_check(out.ptr, out.size) < 0)
		fz_fail("a safe name that is not a valid name", out.ptr, out.size, 0);
	if (out.ptr[0] == '.' || out.ptr[0] == '-' || memchr(out.ptr, '\\', out.size))
		fz_fail("a safe name that is hidden, an option or has a backslash", out.ptr,
		        out.size, 0);
	gitchat_buf_dispose(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_input in = { data, size };
	unsigned k = fz_byte(&in);
	size_t len;
	char *name = fz_field(&in, &len);
	gitchat_buf q = GITCHAT_BUF_INIT;

	fz_init();
	gitchat_file_name_check(name, len);
	gitchat_error_clear();
	if (gitchat_file_name_quote(&q, name) < 0)
		fz_fail("no escaped form", name, len, 0);
	for (size_t i = 0; i < q.size; i++)
		if ((unsigned char)q.ptr[i] < 0x20 || q.ptr[i] == 0x7f)
			fz_fail("a control byte in the escaped name", q.ptr, q.size, i);
	check_safe(name, k % 4);
	gitchat_buf_dispose(&q);
	free(name);
	return 0;
}
