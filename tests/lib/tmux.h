/*
 * The terminal client driven through tmux: a private tmux server per
 * client (its own socket, no user config), keys sent with send-keys, the
 * screen read with capture-pane, and bounded polling waits (never a bare
 * sleep) for what the screen or a file must come to show.
 */
#ifndef GITCHAT_TEST_TMUX_H
#define GITCHAT_TEST_TMUX_H

#include <sys/types.h>

typedef struct t_tmux t_tmux;

/* Starts `git-chat ARGS...` in a new session of WxH with GIT_DIR=store and
 * the "NAME=value" entries of env (may be NULL). */
t_tmux *t_tmux_start(const char *store, const char *const *env, const char *const *args,
                     int width, int height);
/* Literal text (send-keys -l). */
void t_tmux_type(t_tmux *t, const char *text);
/* tmux key names: "Enter", "M-Enter", "Tab", "Up", "C-d". */
void t_tmux_key(t_tmux *t, const char *key);
/* The screen as text (malloc'd). */
char *t_tmux_screen(t_tmux *t);
/* Polls the screen until it contains `needle` (1) or `timeout` seconds
 * passed (0). */
int t_tmux_wait(t_tmux *t, const char *needle, double timeout);
/* Until the screen no longer contains `needle`. */
int t_tmux_wait_gone(t_tmux *t, const char *needle, double timeout);
void t_tmux_resize(t_tmux *t, int width, int height);
/* The client's process id. */
pid_t t_tmux_pid(t_tmux *t);
/* 1 while the client runs. */
int t_tmux_alive(t_tmux *t);
/* Until the client has exited (1) or `timeout` passed (0). */
int t_tmux_wait_exit(t_tmux *t, double timeout);
/* Kills the server and the client with it. */
void t_tmux_stop(t_tmux *t);

/* Polls a file until it contains `needle`. */
int t_file_wait(const char *path, const char *needle, double timeout);
double t_now(void);

#endif
