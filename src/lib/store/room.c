#include <stdio.h>
#include <string.h>

#include "gitchat/store.h"
#include "util/error.h"
#include "util/utf8.h"

#define ROOM_MAX 64

static int room_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* The character at `s` as a user reads it: a whole UTF-8 sequence ('é',
 * not its first byte), else the byte in hex; a control character in hex
 * too, never raw on a terminal. */
static void describe_char(char out[16], const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

	if (c >= 0x80 && len > 1 && strnlen(s, len) == len && gitchat_utf8_valid(s, len, NULL)) {
		memcpy(out, s, len);
		out[len] = '\0';
	} else if (c < 0x20 || c >= 0x7f) {
		snprintf(out, 16, "\\x%02x", c);
	} else {
		out[0] = (char)c;
		out[1] = '\0';
	}
}

#define PRIVATE_HEX 24

static int lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The special rooms of DESIGN.md: `_identity`, and `_` + 24 lowercase hex
 * (a private room). No other name may begin with '_', so a user's room can
 * never pass for one, and one spelling names each. */
gitchat_room_t gitchat_room_type(const char *room)
{
	if (!room || room[0] != '_')
		return GITCHAT_ROOM_PUBLIC;
	if (!strcmp(room, "_identity"))
		return GITCHAT_ROOM_IDENTITY;
	if (strlen(room) == 1 + PRIVATE_HEX && lower_hex(room + 1, PRIVATE_HEX))
		return GITCHAT_ROOM_PRIVATE;
	return GITCHAT_ROOM_INVALID;
}

int gitchat_room_validate(const char *room)
{
	char ch[16];
	size_t pos = 0;

	size_t i, n;

	if (!room || !*room)
		return gitchat_error_set(GITCHAT_EINVALID,
			"the room name is empty; use 1-64 characters from a-z 0-9 . _ -");
	n = strlen(room);
	if (n > ROOM_MAX)
		return gitchat_error_set(GITCHAT_EINVALID,
			"room name '%.64s...' is %zu characters long; the limit is %d", room, n, ROOM_MAX);
	for (i = 0; i < n; i++) {
		/* Positions count characters: UTF-8 continuation bytes do not. */
		if (((unsigned char)room[i] & 0xc0) != 0x80)
			pos++;
		if (!room_char(room[i])) {
			describe_char(ch, room + i);
			return gitchat_error_set(GITCHAT_EINVALID,
				"room name '%s' has the character '%s' at position %zu; "
				"use only a-z 0-9 . _ - (lower case)", room, ch, pos);
		}
	}
	if (room[0] == '_' && gitchat_room_type(room) == GITCHAT_ROOM_INVALID)
		return gitchat_error_set(GITCHAT_EINVALID,
			"room name '%s' begins with '_', which only git-chat's own rooms do "
			"(_identity, and '_' with 24 hex digits for a private room); "
			"a room name must start with a letter or a digit", room);
	if (!((room[0] >= 'a' && room[0] <= 'z') || (room[0] >= '0' && room[0] <= '9') || room[0] == '_'))
		return gitchat_error_set(GITCHAT_EINVALID,
			"room name '%s' must start with a letter or a digit", room);
	if (strstr(room, ".."))
		return gitchat_error_set(GITCHAT_EINVALID, "room name '%s' must not contain '..'", room);
	if (room[n - 1] == '.' || (n >= 5 && strcmp(room + n - 5, ".lock") == 0))
		return gitchat_error_set(GITCHAT_EINVALID,
			"room name '%s' must not end in '.' or '.lock'", room);
	return 0;
}
