#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void fz_init(void)
{
	static int done;

	if (done)
		return;
	if (gitchat_init() < 0) {
		fprintf(stderr, "fuzz: gitchat_init: %s\n", gitchat_error_last()->message);
		abort();
	}
	done = 1;
}

void fz_fail(const char *what, const char *out, size_t len, size_t at)
{
	size_t from = at > 60 ? at - 60 : 0, to = at + 60 < len ? at + 60 : len;

	fprintf(stderr, "fuzz: invariant broken: %s\n", what);
	if (out) {
		fprintf(stderr, "fuzz: at byte %zu of %zu: ", at, len);
		for (size_t i = from; i < to; i++)
			fprintf(stderr, (unsigned char)out[i] >= 0x20 && (unsigned char)out[i] < 0x7f
			                ? "%c" : "\\x%02x", (unsigned char)out[i]);
		fprintf(stderr, "\n");
	}
	abort();
}

const gitchat_limits *fz_limits(void)
{
	static const gitchat_limits limits = { GITCHAT_DEFAULT_MAX_TEXT, GITCHAT_DEFAULT_MAX_TREE,
	                                       GITCHAT_MAX_OTHER_PARENTS + 1, GITCHAT_DEFAULT_MAX_FILE };
	return &limits;
}

unsigned fz_byte(fz_input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

char *fz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

char *fz_field(fz_input *in, size_t *len)
{
	const uint8_t *nul = memchr(in->p, '\0', in->left);
	size_t n = nul ? (size_t)(nul - in->p) : in->left;
	char *s = fz_strndup(in->p, n);

	in->p += n + (nul ? 1 : 0);
	in->left -= n + (nul ? 1 : 0);
	if (len)
		*len = n;
	return s;
}

void fz_item_make(fz_item *it, const uint8_t *data, size_t size)
{
	fz_input in = { data, size };
	unsigned flags = fz_byte(&in), w = fz_byte(&in);
	size_t len, i;

	memset(it, 0, sizeof(*it));
	it->width = w < 8 ? 0 : w;        /* 0: the default, 80 */
	it->color = flags & 1;
	for (i = 0; i < 2; i++)
		memset(it->keys[i].bytes, 0x11 * (int)(i + 1), sizeof(it->keys[i].bytes));
	it->msg.author_name = it->fields[0] = fz_field(&in, NULL);
	it->msg.author_email = it->fields[1] = fz_field(&in, NULL);
	it->msg.text = it->fields[2] = fz_field(&in, &len);
	it->msg.text_len = len;
	it->msg.room = "fuzz";
	it->msg.key = it->keys[0];
	/* Times across the calendar and past it: the renderers clamp. */
	it->msg.time = it->msg.commit_time = (int64_t)(flags >> 4) * 977777777 - 2000000000;
	it->msg.tz_offset = (int)(w % 61) * 30 - 900;
	it->msg.kind = GITCHAT_MESSAGE_TEXT;
	it->item.msg = &it->msg;
	it->item.text = it->msg.text;
	it->item.text_len = it->msg.text_len;
	it->item.edited = !!(flags & 2);
	it->item.redacted = !!(flags & 4);
	it->item.unread = !!(flags & 8);
	if (it->item.redacted) {
		it->item.text = "";
		it->item.text_len = 0;
	}
	it->fields[3] = fz_field(&in, NULL);
	it->fields[4] = fz_field(&in, NULL);
	if (it->fields[3][0] || it->fields[4][0]) {
		it->item.has_reply = 1;
		it->item.reply_name = it->fields[3];
		it->item.reply_text = it->fields[4];
		it->item.reply_key = it->keys[1];
		it->item.reply_redacted = !it->fields[4][0];
	}
	for (i = 0; i < 4 && in.left; i++) {
		it->fields[5 + i] = fz_field(&in, NULL);
		it->reactions[i].emoji = it->fields[5 + i];
		it->reactions[i].keys = it->keys;
		it->reactions[i].count = 1 + i % 2;
	}
	it->item.reactions = it->reactions;
	it->item.reaction_count = i;
}

void fz_item_free(fz_item *it)
{
	for (size_t i = 0; i < sizeof(it->fields) / sizeof(it->fields[0]); i++)
		free(it->fields[i]);
}
