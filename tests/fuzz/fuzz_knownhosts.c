/* known_hosts lines (sync/knownhosts.c): patterns, negation, [host]:port,
 * hashed names, @revoked. Input: the file, looked up for a few names with
 * the host key of the seed corpus (tests/fuzz/corpus/knownhosts/). */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "crypto/pubkey.h"
#include "sync/knownhosts.h"

static const unsigned char host_pk[32] = {
	0xda, 0xd4, 0x6f, 0x3d, 0xb6, 0x4c, 0x6d, 0xe7, 0x79, 0xa4, 0xa8, 0x74,
	0xaa, 0x21, 0xfe, 0x12, 0xc3, 0x9f, 0xa2, 0x98, 0x67, 0x4a, 0x7a, 0xf8,
	0x98, 0x6c, 0xed, 0xf9, 0x0d, 0x4c, 0x00, 0xcc
};

static const char *const names[] = { "example.org", "[127.0.0.1]:2222", "host.example.org",
                                     "127.0.0.1" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gitchat_pubkey pk;
	gitchat_buf blob = GITCHAT_BUF_INIT;
	kh_result res;
	size_t line, i;

	fz_init();
	memcpy(pk.bytes, host_pk, sizeof(host_pk));
	if (gitchat_pubkey_blob(&blob, &pk) < 0)
		abort();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *copy = fz_strndup(data, size);   /* the reader cuts its lines */
		if (sync_known_hosts_check_data(&res, &line, copy, size, names[i], GITCHAT_SSH_ED25519,
		                                (const unsigned char *)blob.ptr, blob.size) == 0 &&
		    (res == KH_CHANGED || res == KH_REVOKED) && (line == 0 || line > size + 1))
			fz_fail("a changed or revoked key without its line", NULL, 0, 0);
		free(copy);
	}
	gitchat_buf_dispose(&blob);
	return 0;
}
