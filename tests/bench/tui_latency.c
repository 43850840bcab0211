/*
 * bench_tui_latency: the terminal client in a pseudo-terminal of 100x30,
 * measured from outside as a user sees it:
 *
 *   - latency: the time from Enter (the text typed and echoed before) to
 *     the text appearing in the conversation pane, R times;
 *   - idle CPU: user + system time of the client (all its threads, from
 *     /proc/PID/stat) over S seconds with nothing typed.
 *
 *   bench_tui_latency [-n RUNS] [-s IDLE_SECONDS] GIT_CHAT STORE KEY ROOM
 *
 * Prints "latency median MS (min, max)" and "idle cpu PERCENT over S s".
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char out[1 << 22];
static size_t out_len;

/* Reads the client's output until `needle` appears after `from`, or
 * `timeout` seconds: 1 or 0. The screen is drawn with cursor moves, so a
 * text on one line arrives whole. */
static int wait_for(int fd, size_t from, const char *needle, double timeout)
{
	double end = now() + timeout;

	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t r;
		if (out_len > from && memmem(out + from, out_len - from, needle, strlen(needle)))
			return 1;
		if (now() > end)
			return 0;
		if (poll(&pf, 1, 50) <= 0)
			continue;
		if (out_len + 65536 > sizeof(out)) {   /* keep the tail */
			memmove(out, out + out_len - 4096, 4096);
			from = from > out_len - 4096 ? from - (out_len - 4096) : 0;
			out_len = 4096;
		}
		r = read(fd, out + out_len, 65536);
		if (r <= 0)
			return 0;
		out_len += (size_t)r;
	}
}

/* Reads until the client has been quiet for `quiet` seconds. */
static void settle(int fd, double quiet)
{
	size_t before;

	do {
		before = out_len;
		wait_for(fd, out_len, "\x01\x02never", quiet);
	} while (out_len != before);
}

static long cpu_ticks(pid_t pid)
{
	char path[64], buf[4096], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the command name's closing parenthesis: fields 3.. ; utime 14, stime 15. */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* The screen thread's time on a CPU and waiting for one, in ns
 * (/proc/PID/task/PID/schedstat): what the client did, apart from what
 * the machine's load added. */
static void sched_ns(pid_t pid, double *run, double *wait)
{
	char path[96];
	unsigned long long r = 0, w = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)pid);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%llu %llu", &r, &w) != 2)
			r = w = 0;
		fclose(f);
	}
	*run = (double)r;
	*wait = (double)w;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int runs = 10, idle = 20, opt, fd, i;
	struct winsize ws = { 30, 100, 0, 0 };
	double *lat, *cpu, t0, used, r0, w0, r1, w1;
	long c0, c1;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n') runs = atoi(optarg);
		else if (opt == 's') idle = atoi(optarg);
		else return 129;
	}
	if (argc - optind != 4 || runs < 1) {
		fprintf(stderr, "usage: bench_tui_latency [-n RUNS] [-s IDLE_SECONDS] GIT_CHAT STORE KEY ROOM\n");
		return 129;
	}
	pid = forkpty(&fd, NULL, NULL, &ws);
	if (pid < 0)
		return perror("forkpty"), 128;
	if (pid == 0) {
		setenv("TERM", "xterm-256color", 1);
		setenv("GIT_DIR", argv[optind + 1], 1);
		execl(argv[optind], argv[optind], "tui", "--key", argv[optind + 2], "-r",
		      argv[optind + 3], (char *)NULL);
		_exit(127);
	}
	if (!wait_for(fd, 0, "? keys", 120))
		return fprintf(stderr, "fatal: the client did not start\n"), 128;
	settle(fd, 0.5);
	lat = calloc((size_t)runs, sizeof(*lat));
	cpu = calloc((size_t)runs, sizeof(*cpu));
	for (i = 0; i < runs; i++) {
		char text[64];
		size_t mark;
		snprintf(text, sizeof(text), "bench-%d-%ld", i, (long)time(NULL));
		mark = out_len;
		if (write(fd, text, strlen(text)) < 0 || !wait_for(fd, mark, text, 30))
			return fprintf(stderr, "fatal: no echo of the typed text\n"), 128;
		settle(fd, 0.2);
		mark = out_len;
		sched_ns(pid, &r0, &w0);
		t0 = now();
		if (write(fd, "\r", 1) < 0 || !wait_for(fd, mark, text, 30))
			return fprintf(stderr, "fatal: the message did not appear\n"), 128;
		lat[i] = (now() - t0) * 1000;
		sched_ns(pid, &r1, &w1);
		cpu[i] = (r1 - r0) / 1e6;
		fprintf(stderr, "run %d: %.1f ms (screen thread: %.1f ms on a cpu, %.1f ms waiting for one)\n",
		        i + 1, lat[i], cpu[i], (w1 - w0) / 1e6);
		settle(fd, 0.3);
	}
	qsort(lat, (size_t)runs, sizeof(*lat), cmp);
	qsort(cpu, (size_t)runs, sizeof(*cpu), cmp);
	printf("latency median %.1f ms (min %.1f, max %.1f) over %d messages\n", lat[runs / 2],
	       lat[0], lat[runs - 1], runs);
	printf("screen thread cpu per message median %.1f ms (min %.1f, max %.1f)\n", cpu[runs / 2],
	       cpu[0], cpu[runs - 1]);
	fflush(stdout);
	settle(fd, 1);
	c0 = cpu_ticks(pid);
	t0 = now();
	while (now() - t0 < idle)
		wait_for(fd, out_len, "\x01\x02never", 1);
	c1 = cpu_ticks(pid);
	used = (double)(c1 - c0) / (double)sysconf(_SC_CLK_TCK);
	printf("idle cpu %.2f%% over %.0f s (%.2f s of cpu)\n", 100 * used / (now() - t0),
	       now() - t0, used);
	if (write(fd, "\004", 1) < 0 || waitpid(pid, NULL, 0) < 0)
		kill(pid, 9);
	free(lat);
	free(cpu);
	return 0;
}
