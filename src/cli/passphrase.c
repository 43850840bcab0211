/*
 * Asking for a key's passphrase, as ssh does (readpass.c): on the terminal
 * with echo off, or through the SSH_ASKPASS program, as SSH_ASKPASS_REQUIRE
 * says:
 *   never    the terminal only;
 *   prefer   SSH_ASKPASS when a display is set (DISPLAY, WAYLAND_DISPLAY);
 *   force    SSH_ASKPASS always;
 *   unset    the terminal when there is one, else SSH_ASKPASS when a
 *            display is set.
 * The passphrase goes straight into the library's sodium_malloc buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define ASKPASS_DEFAULT "/usr/bin/ssh-askpass"

/* Reads up to size-1 bytes from fd into buf, to the first newline or the
 * end; NUL-terminates. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t got;
	char c;

	while (n + 1 < size) {
		got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || c == '\n')
			break;
		buf[n++] = c;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int from_askpass(char *buf, size_t size, const char *prompt)
{
	const char *prog = getenv("SSH_ASKPASS");
	int fds[2], status;
	pid_t pid;

	if (!prog || !*prog)
		prog = ASKPASS_DEFAULT;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		execlp(prog, prog, prompt, (char *)NULL);
		fprintf(stderr, "error: cannot run the SSH_ASKPASS program '%s': %s\n", prog,
		        strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	read_line(fds[0], buf, size);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int from_terminal(int tty, char *buf, size_t size, const char *prompt)
{
	struct termios saved, quiet;
	int echo_off;

	if (write(tty, prompt, strlen(prompt)) < 0)
		return -1;
	echo_off = tcgetattr(tty, &saved) == 0;
	if (echo_off) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(tty, TCSAFLUSH, &quiet);
	}
	read_line(tty, buf, size);
	if (echo_off)
		tcsetattr(tty, TCSAFLUSH, &saved);
	if (write(tty, "\n", 1) < 0)
		return -1;
	return 0;
}

int cli_passphrase(char *buf, size_t size, const char *prompt, void *payload)
{
	const char *req = getenv("SSH_ASKPASS_REQUIRE");
	const char *display = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
	int has_display = (display && *display) || (wayland && *wayland);
	int tty = -1, ret, askpass;

	(void)payload;
	if (req && !strcmp(req, "force"))
		askpass = 1;
	else if (req && !strcmp(req, "never"))
		askpass = 0;
	else if (req && !strcmp(req, "prefer"))
		askpass = has_display;
	else
		askpass = -1;
	if (askpass <= 0)
		tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (askpass < 0)
		askpass = tty < 0 && has_display;
	if (askpass)
		ret = from_askpass(buf, size, prompt);
	else if (tty >= 0)
		ret = from_terminal(tty, buf, size, prompt);
	else {
		fprintf(stderr, "error: no terminal to ask for the passphrase on; set SSH_ASKPASS "
		        "(and SSH_ASKPASS_REQUIRE=force) as for ssh\n");
		ret = -1;
	}
	if (tty >= 0)
		close(tty);
	return ret;
}
