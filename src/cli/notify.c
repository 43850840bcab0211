#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "notify.h"

#define BODY_COLS 200

static char *config_string(git_repository *repo, const char *name)
{
	git_config *cfg = NULL, *snap = NULL;
	const char *v = NULL;
	char *out = NULL;

	if (git_repository_config(&cfg, repo) == 0 && git_config_snapshot(&snap, cfg) == 0 &&
	    git_config_get_string(&v, snap, name) == 0)
		out = strdup(v);
	git_config_free(snap);
	git_config_free(cfg);
	return out;
}

int cli_notify_init(cli_notify *n, git_repository *repo, const char *mode)
{
	char *conf = mode ? NULL : config_string(repo, "chat.notify");
	const char *m = mode ? mode : conf ? conf : "auto";
	int display = (getenv("DISPLAY") && *getenv("DISPLAY")) ||
	              (getenv("WAYLAND_DISPLAY") && *getenv("WAYLAND_DISPLAY"));

	memset(n, 0, sizeof(*n));
	if (!strcmp(m, "off") || !strcmp(m, "false") || !strcmp(m, "none")) {
	} else if (!strcmp(m, "bell")) {
		n->bell = 1;
	} else if (!strcmp(m, "desktop")) {
		n->desktop = 1;
	} else if (!strcmp(m, "all")) {
		n->bell = n->desktop = 1;
	} else if (!strcmp(m, "auto") || !strcmp(m, "true")) {
		n->bell = 1;
		n->desktop = display;
	} else {
		fprintf(stderr, "error: chat.notify is '%s'; it takes off, bell, desktop, all or "
		        "auto ('git config chat.notify bell')\n", m);
		free(conf);
		return -1;
	}
	free(conf);
	n->command = config_string(repo, "chat.notifyCommand");
	if (!n->command)
		n->command = strdup("notify-send");
	n->me = config_string(repo, "user.name");
	gitchat_error_clear();
	git_error_clear();
	return 0;
}

void cli_notify_dispose(cli_notify *n)
{
	free(n->command);
	free(n->me);
	memset(n, 0, sizeof(*n));
}

int cli_notify_mentions(const cli_notify *n, const char *text, size_t len)
{
	size_t ml = n->me ? strlen(n->me) : 0, i;

	if (!ml)
		return 0;
	for (i = 0; i + 1 + ml <= len; i++) {
		if (text[i] != '@' || strncasecmp(text + i + 1, n->me, ml))
			continue;
		if (i + 1 + ml == len || !isalnum((unsigned char)text[i + 1 + ml]))
			return 1;
	}
	return 0;
}

/* notify-send reads a little markup in the body: <, > and & as entities. */
static void desktop_text(gitchat_buf *out, const char *s, size_t len)
{
	gitchat_buf inert = GITCHAT_BUF_INIT;

	gitchat_buf_clear(out);
	if (gitchat_text_escape(&inert, s, len, BODY_COLS) < 0) {
		gitchat_error_clear();
		gitchat_buf_dispose(&inert);
		return;
	}
	for (size_t i = 0; i < inert.size; i++) {
		char c = inert.ptr[i];
		if (c == '<') gitchat_buf_puts(out, "&lt;");
		else if (c == '>') gitchat_buf_puts(out, "&gt;");
		else if (c == '&') gitchat_buf_puts(out, "&amp;");
		else gitchat_buf_put(out, &c, 1);
	}
	gitchat_buf_dispose(&inert);
}

/* The notifier runs detached (a grandchild, so nothing is left to reap),
 * its output to /dev/null, so that it can neither block nor draw on the
 * screen. */
static void run_detached(const char *cmd, const char *title, const char *body)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid;

	if (null < 0)
		return;
	pid = fork();
	if (pid == 0) {
		if (fork() == 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			execlp(cmd, cmd, title, body, (char *)NULL);
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	close(null);
}

void cli_notify_message(const cli_notify *n, const char *room, const char *title,
                        const char *body, size_t len)
{
	static const char sealed[] = "a new message in a private room";

	gitchat_buf t = GITCHAT_BUF_INIT, b = GITCHAT_BUF_INIT;

	if (n->bell) {
		if (n->ring)
			n->ring();
		else if (isatty(2) && write(2, "\a", 1) < 0)
			return;   /* a terminal gone: no desktop either */
	}
	if (!n->desktop || !n->command || !*n->command)
		return;
	if (gitchat_room_type(room) == GITCHAT_ROOM_PRIVATE) {
		body = sealed;
		len = sizeof(sealed) - 1;
	}
	desktop_text(&t, title, strlen(title));
	desktop_text(&b, body, len);
	run_detached(n->command, t.ptr ? t.ptr : "git chat", b.ptr ? b.ptr : "");
	gitchat_buf_dispose(&t);
	gitchat_buf_dispose(&b);
}
