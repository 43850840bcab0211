#include <string.h>

#include "gitchat/store.h"
#include "util/error.h"

#define ROOM_MAX 64

static int room_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int gitchat_room_validate(const char *room)
{
	size_t i, n;

	if (!room || !*room)
		return gitchat_error_set(GITCHAT_EINVALID,
			"the room name is empty; use 1-64 characters from a-z 0-9 . _ -");
	n = strlen(room);
	if (n > ROOM_MAX)
		return gitchat_error_set(GITCHAT_EINVALID,
			"room name '%.64s...' is %zu characters long; the limit is %d", room, n, ROOM_MAX);
	for (i = 0; i < n; i++)
		if (!room_char(room[i]))
			return gitchat_error_set(GITCHAT_EINVALID,
				"room name '%s' has the character '%c' at position %zu; "
				"use only a-z 0-9 . _ - (lower case)", room, room[i], i + 1);
	if (!((room[0] >= 'a' && room[0] <= 'z') || (room[0] >= '0' && room[0] <= '9')))
		return gitchat_error_set(GITCHAT_EINVALID,
			"room name '%s' must start with a letter or a digit", room);
	if (strstr(room, ".."))
		return gitchat_error_set(GITCHAT_EINVALID, "room name '%s' must not contain '..'", room);
	if (room[n - 1] == '.' || (n >= 5 && strcmp(room + n - 5, ".lock") == 0))
		return gitchat_error_set(GITCHAT_EINVALID,
			"room name '%s' must not end in '.' or '.lock'", room);
	return 0;
}
