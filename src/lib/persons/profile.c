/*
 * Profile names and link claims written to the `_identity` room, and the
 * rule a profile name follows (gitchat/persons.h). Each claim is one
 * commit written by gitchat_send, the one writer of messages; its text
 * says in words what the header says (a valid message is not empty, and
 * `git log refs/chat/_identity/<key>` then reads as a history), and only
 * the header counts.
 */
#include <string.h>
#include <strings.h>

#include "gitchat/persons.h"
#include "gitchat/send.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/options.h"
#include "util/utf8.h"

GITCHAT_OPTIONS_INIT_FUNCTION(gitchat_identity_write_options_init, gitchat_identity_write_options,
                              GITCHAT_IDENTITY_WRITE_OPTIONS_INIT,
                              GITCHAT_IDENTITY_WRITE_OPTIONS_VERSION)

/* Code points a name may not hold: controls, the bidirectional controls
 * (a name could reorder what follows it), invisible ones (two names that
 * look the same), separators that break a line. */
static int cp_refused(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xad || cp == 0x34f ||
	       cp == 0x61c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
	       cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

int gitchat_profile_name_check(const char *name, size_t len)
{
	size_t i, n, bad;
	uint32_t cp;

	if (!len)
		return gitchat_error_set(GITCHAT_EINVALID, "the profile name is empty");
	if (len > GITCHAT_PROFILE_NAME_MAX)
		return gitchat_error_set(GITCHAT_EINVALID, "the profile name is %zu bytes, over the "
		                         "limit of %d", len, GITCHAT_PROFILE_NAME_MAX);
	if (!gitchat_utf8_valid(name, len, &bad))
		return gitchat_error_set(GITCHAT_EINVALID, "the profile name is not valid UTF-8 "
		                         "(first bad byte at offset %zu)", bad);
	if (name[0] == ' ' || name[len - 1] == ' ')
		return gitchat_error_set(GITCHAT_EINVALID, "the profile name begins or ends with "
		                         "a space");
	for (i = 0; i < len; i += n) {
		n = gitchat_utf8_decode(&cp, name + i, len - i);
		if (cp_refused(cp))
			return gitchat_error_set(GITCHAT_EINVALID, "the profile name holds U+%04X at "
			                         "offset %zu, a control, invisible or direction-changing "
			                         "character", (unsigned)cp, i);
		if (len - i >= 7 && !strncasecmp(name + i, "SHA256:", 7))
			return gitchat_error_set(GITCHAT_EINVALID, "the profile name contains "
			                         "'SHA256:', which would look like the fingerprint "
			                         "shown beside it");
	}
	return 0;
}

static int write_claim(git_oid *out, gitchat_store *store, const gitchat_key *key,
                       const char *header, const char *text,
                       const gitchat_identity_write_options *opts)
{
	gitchat_send_options so = GITCHAT_SEND_OPTIONS_INIT;

	if (opts && opts->version != GITCHAT_IDENTITY_WRITE_OPTIONS_VERSION)
		return gitchat_error_set(GITCHAT_EINVALID, "unknown identity write options version %u",
		                         opts->version);
	so.room = GITCHAT_IDENTITY_ROOM;
	so.text = text;
	so.text_len = strlen(text);
	so.headers = &header;
	so.header_count = 1;
	if (opts) {
		so.author_name = opts->author_name;
		so.author_email = opts->author_email;
		so.author_date = opts->author_date;
		so.committer_date = opts->committer_date;
	}
	return gitchat_send(out, store, key, &so);
}

int gitchat_device_link(git_oid *out, gitchat_store *store, const gitchat_key *key,
                        const gitchat_pubkey *other, int unlink,
                        const gitchat_identity_write_options *opts)
{
	char hex[GITCHAT_PUBKEY_HEXSIZE], fp[GITCHAT_FINGERPRINT_SIZE];
	gitchat_buf header = GITCHAT_BUF_INIT, text = GITCHAT_BUF_INIT;
	int error;

	if (!gitchat_pubkey_cmp(other, gitchat_key_public(key)))
		return gitchat_error_set(GITCHAT_EINVALID, "that is this device's own key; name the "
		                         "key of your other device");
	gitchat_pubkey_hex(hex, other);
	gitchat_pubkey_fingerprint(fp, other);
	if (gitchat_buf_printf(&header, "chat-%s %s", unlink ? "unlink" : "link", hex) < 0 ||
	    gitchat_buf_printf(&text, "%s device %s", unlink ? "unlink" : "link", fp) < 0)
		error = gitchat_error_oom();
	else
		error = write_claim(out, store, key, header.ptr, text.ptr, opts);
	gitchat_buf_dispose(&header);
	gitchat_buf_dispose(&text);
	return error;
}

int gitchat_profile_name_set(git_oid *out, gitchat_store *store, const gitchat_key *key,
                             const char *name, const gitchat_identity_write_options *opts)
{
	gitchat_buf header = GITCHAT_BUF_INIT;
	int error;

	if ((error = gitchat_profile_name_check(name, strlen(name))) < 0)
		return error;
	if (gitchat_buf_printf(&header, "chat-name %s", name) < 0)
		error = gitchat_error_oom();
	else
		error = write_claim(out, store, key, header.ptr, "set the profile name", opts);
	gitchat_buf_dispose(&header);
	return error;
}
