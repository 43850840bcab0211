/*
 * Notifications of new messages, for `tui` and `follow --notify`: the
 * terminal bell, and a desktop notification through notify-send (or the
 * command chat.notifyCommand names) when there is a desktop to show it.
 *
 * git config chat.notify: "off", "bell", "desktop", "all", or "auto" (the
 * default: the bell, and the desktop too when $DISPLAY or
 * $WAYLAND_DISPLAY is set).
 */
#ifndef GITCHAT_CLI_NOTIFY_H
#define GITCHAT_CLI_NOTIFY_H

#include "cli.h"

typedef struct {
	int bell, desktop;
	char *command;     /* chat.notifyCommand, else "notify-send" */
	char *me;          /* user.name: "@name" in a text is a mention */
	/* Rings the bell; NULL: "\a" on stderr when it is a terminal. */
	void (*ring)(void);
} cli_notify;

/* From git config (chat.notify, chat.notifyCommand, user.name); `mode`
 * overrides chat.notify when not NULL. 0, or -1 after printing what is
 * wrong with the mode (an unknown word). */
int cli_notify_init(cli_notify *n, git_repository *repo, const char *mode);
void cli_notify_dispose(cli_notify *n);

/* 1 when `text` mentions the user: "@" and user.name, in any case, not
 * followed by a letter or digit. */
int cli_notify_mentions(const cli_notify *n, const char *text, size_t len);

/* Tells the user about a message of `room`: the bell, and the desktop
 * notification with `title` and `body` (untrusted: escaped here, cut
 * short). A private room's text never goes to the desktop (its notifier
 * may log or show it on a locked screen): the body then only says there is
 * one. Never waits for the notifier. */
void cli_notify_message(const cli_notify *n, const char *room, const char *title,
                        const char *body, size_t len);

#endif
