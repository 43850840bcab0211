/*
 * bench_timeit: runs a command several times, each a fresh process, and
 * reports wall time (clock_gettime, not the 10 ms of /usr/bin/time), user
 * and system time and peak resident memory (wait4's rusage).
 *
 *   bench_timeit [-n RUNS] [-p PREPARE] [-o OUTFILE] [-l LABEL] -- COMMAND ARGS...
 *
 * PREPARE (a shell command) runs before each run, untimed: to remove an
 * index for a cold run, say. COMMAND's stdout goes to OUTFILE (default
 * /dev/null). Prints one line per run on stderr and a summary on stdout:
 *
 *   LABEL  wall median MS (min, max)  cpu median MS (user, sys)  rss median KB (max)
 *
 * CPU time (user + system) is the steadier figure on a shared machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int runs = 5, opt, i;
	const char *prepare = NULL, *outfile = "/dev/null", *label = "run";
	double *wall, *user, *sys, *cpu, *rss, wmin, wmax, rmax;

	while ((opt = getopt(argc, argv, "+n:p:o:l:")) != -1) {
		switch (opt) {
		case 'n': runs = atoi(optarg); break;
		case 'p': prepare = optarg; break;
		case 'o': outfile = optarg; break;
		case 'l': label = optarg; break;
		default:
			fprintf(stderr, "usage: bench_timeit [-n RUNS] [-p PREPARE] [-o OUT] [-l LABEL] "
			                "-- COMMAND...\n");
			return 129;
		}
	}
	if (optind >= argc || runs < 1) {
		fprintf(stderr, "bench_timeit: no command\n");
		return 129;
	}
	wall = calloc((size_t)runs, sizeof(double));
	user = calloc((size_t)runs, sizeof(double));
	sys = calloc((size_t)runs, sizeof(double));
	rss = calloc((size_t)runs, sizeof(double));
	cpu = calloc((size_t)runs, sizeof(double));
	for (i = 0; i < runs; i++) {
		struct timespec t0, t1;
		struct rusage ru;
		int status;
		pid_t pid;

		if (prepare && system(prepare) != 0) {
			fprintf(stderr, "bench_timeit: '%s' failed\n", prepare);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if ((pid = fork()) < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || dup2(fd, 1) < 0)
				_exit(127);
			execvp(argv[optind], argv + optind);
			fprintf(stderr, "bench_timeit: %s: %s\n", argv[optind], strerror(errno));
			_exit(127);
		}
		while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
			;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "bench_timeit: %s exited with status %d\n", argv[optind], status);
			return 1;
		}
		wall[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		user[i] = (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3;
		sys[i] = (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
		rss[i] = (double)ru.ru_maxrss;
		cpu[i] = user[i] + sys[i];
		fprintf(stderr, "  %-34s run %d: %9.1f ms wall %9.1f user %9.1f sys %9.0f KB\n", label,
		        i + 1, wall[i], user[i], sys[i], rss[i]);
	}
	wmin = wmax = wall[0];
	rmax = rss[0];
	for (i = 1; i < runs; i++) {
		if (wall[i] < wmin) wmin = wall[i];
		if (wall[i] > wmax) wmax = wall[i];
		if (rss[i] > rmax) rmax = rss[i];
	}
	printf("%-34s wall median %9.1f ms (min %9.1f, max %9.1f)  cpu median %9.1f ms "
	       "(user %8.1f, sys %8.1f)  rss median %8.0f KB (max %8.0f)\n", label,
	       median(wall, runs), wmin, wmax, median(cpu, runs), median(user, runs),
	       median(sys, runs), median(rss, runs), rmax);
	free(wall);
	free(user);
	free(sys);
	free(rss);
	free(cpu);
	return 0;
}
