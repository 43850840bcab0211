/* The ancestors file $GIT_DIR/chat/ancestors/<room>/<key> (send/parents.c).
 * Input: the file; it is read for the head its first line names (the
 * path a send takes) and for another head (it must then list nothing). */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "send/parents.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	git_oid head, other, *ids = NULL;
	size_t n = 0;

	fz_init();
	memset(&head, 0, sizeof(head));
	if (size >= GIT_OID_HEXSZ)
		git_oid_fromstrn(&head, (const char *)data, GIT_OID_HEXSZ);
	gitchat_parents_memo_parse(&ids, &n, (const char *)data, size, &head);
	if (n > size / (GIT_OID_HEXSZ + 1))
		fz_fail("more ids than lines", NULL, 0, 0);
	free(ids);
	memset(&other, 0xee, sizeof(other));
	gitchat_parents_memo_parse(&ids, &n, (const char *)data, size, &other);
	if (n && !git_oid_equal(&head, &other))
		fz_fail("ids listed for another head", NULL, 0, 0);
	free(ids);
	return 0;
}
