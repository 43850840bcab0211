/*
 * The pager, as git runs it (pager.c, run-command.c there): GIT_PAGER,
 * core.pager, PAGER, else less; "cat" or "" means none; LESS=FRX and LV=-c
 * unless set; only when stdout is a terminal; stderr too when it is one;
 * and the command waits for the pager before it exits, also on a signal,
 * so that the shell's prompt does not come back under less.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static int pager_mode = CLI_PAGER_AUTO;
static pid_t pager_pid = -1;
static int saved_stderr = -1;

void cli_pager_set_mode(int mode)
{
	pager_mode = mode;
}

int cli_pager_active(void)
{
	return pager_pid > 0;
}

static int env_true(const char *name)
{
	const char *v = getenv(name);
	return v && (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
	             !strcmp(v, "1"));
}

int cli_stdout_is_tty(void)
{
	/* Our pager, or git's ('git -p chat log'): a terminal at the end. */
	return pager_pid > 0 || env_true("GIT_PAGER_IN_USE") || isatty(1);
}

/* GIT_PAGER, core.pager, PAGER, less: git's order. NULL: no pager. */
static char *pager_command(git_repository *repo)
{
	const char *env = getenv("GIT_PAGER");
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	char *out = NULL;

	if (!env && ((repo && git_repository_config_snapshot(&cfg, repo) == 0) ||
	             (!repo && git_config_open_default(&cfg) == 0)) &&
	    git_config_get_string_buf(&v, cfg, "core.pager") == 0)
		env = v.ptr;
	git_error_clear();
	if (!env)
		env = getenv("PAGER");
	if (!env)
		env = "less";
	if (*env && strcmp(env, "cat") != 0)
		out = strdup(env);
	git_buf_dispose(&v);
	git_config_free(cfg);
	return out;
}

/* In the child: run it as git does, through the shell only when it needs
 * one; on failure, tell the parent the errno through `status`. */
static void exec_pager(const char *cmd, int in, int status)
{
	int err;

	dup2(in, 0);
	close(in);
	setenv("LESS", "FRX", 0);
	setenv("LV", "-c", 0);
	if (strpbrk(cmd, "|&;<>()$`\\\"' \t\n*?[#~=%"))
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	else
		execlp(cmd, cmd, (char *)NULL);
	err = errno;
	if (write(status, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

static void wait_pager(void)
{
	int st;

	while (waitpid(pager_pid, &st, 0) < 0 && errno == EINTR)
		;
	pager_pid = -1;
}

static void on_signal(int sig)
{
	/* Only async-signal-safe calls: end the pager's input, wait for it,
	 * then die of the signal as before. */
	close(1);
	close(2);
	if (pager_pid > 0)
		waitpid(pager_pid, NULL, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* git sets COLUMNS before it starts the pager: the width is the
 * terminal's, not the pipe's. */
static void keep_width(void)
{
	struct winsize ws;
	char buf[16];

	if (!getenv("COLUMNS") && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		snprintf(buf, sizeof(buf), "%u", (unsigned)ws.ws_col);
		setenv("COLUMNS", buf, 1);
	}
}

void cli_pager_start(git_repository *repo)
{
	int fds[2] = { -1, -1 }, status[2] = { -1, -1 }, err = 0;
	char *cmd;
	ssize_t n;

	if (pager_mode == CLI_PAGER_NEVER || pager_pid > 0 || !isatty(1) ||
	    !(cmd = pager_command(repo)))
		return;
	fflush(stdout);
	keep_width();
	if (pipe(fds) < 0 || pipe2(status, O_CLOEXEC) < 0) {
		cli_warn("cannot start the pager '%s': %s; showing the output without it", cmd,
		         strerror(errno));
		goto done;
	}
	if ((pager_pid = fork()) < 0) {
		cli_warn("cannot start the pager '%s': %s; showing the output without it", cmd,
		         strerror(errno));
		goto done;
	}
	if (pager_pid == 0) {
		close(fds[1]);
		close(status[0]);
		exec_pager(cmd, fds[0], status[1]);
	}
	close(status[1]);
	status[1] = -1;
	/* The exec closed the status pipe (success), or sent the errno. */
	while ((n = read(status[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(err)) {
		cli_warn("cannot run the pager '%s': %s; showing the output without it", cmd,
		         strerror(err));
		wait_pager();
		goto done;
	}
	/* A pager that quits early makes writes fail (EPIPE), which the
	 * commands take as the end of the reader, as for '| head'. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	setenv("GIT_PAGER_IN_USE", "true", 1);
	dup2(fds[1], 1);
	if (isatty(2)) {
		fflush(stderr);
		saved_stderr = dup(2);
		dup2(fds[1], 2);
	}
done:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (status[0] >= 0)
		close(status[0]);
	if (status[1] >= 0)
		close(status[1]);
	free(cmd);
}

void cli_pager_finish(void)
{
	if (pager_pid <= 0)
		return;
	fflush(stdout);
	fflush(stderr);
	/* The pager sees the end of its input, then the user reads on. */
	close(1);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
	wait_pager();
}
