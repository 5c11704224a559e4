/* Runs a command to its end and reports what it cost, for `make bench`:
 *
 *   measure -o RESULT [-t TIMEOUT_S] -- COMMAND [ARG...]
 *
 * RESULT gets one line: "wall_s=X cpu_s=X utime_s=X stime_s=X
 * peak_rss_kib=N status=N".  CPU is user+sys from /proc/PID/stat (fields 14
 * and 15: the process's own, children excluded), read while the process is
 * a zombie (waitid with WNOWAIT), so nothing it did is missed.  The peak RSS
 * is ru_maxrss from wait4(), the counter /proc shows as VmHWM.
 *
 * Why a C runner: Linux carries the high-water RSS of the image a process
 * exec()s from into ru_maxrss, so a command started straight from Python
 * would report Python's RSS when its own is smaller.  Forked from this small
 * program, the floor of that figure is about 1 MiB.  After TIMEOUT_S
 * (default 600) the command is killed and status is 137. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child;

static void
on_alarm(int sig)
{
	(void)sig;
	if (child > 0)
		kill(child, SIGKILL);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *out = NULL;
	unsigned timeout = 600;
	unsigned long ut = 0, st = 0;
	char path[64], buf[4096], *p;
	struct rusage ru;
	siginfo_t si;
	double t0, wall;
	int ch, status = 0;
	long tick = sysconf(_SC_CLK_TCK);
	FILE *f;

	while ((ch = getopt(argc, argv, "+o:t:")) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 't': timeout = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: measure -o RESULT [-t S] -- CMD...\n");
			return 2;
		}
	}
	if (out == NULL || optind >= argc) {
		fprintf(stderr, "usage: measure -o RESULT [-t S] -- CMD...\n");
		return 2;
	}
	signal(SIGALRM, on_alarm);
	t0 = now();
	if ((child = fork()) == -1) {
		perror("measure: fork");
		return 1;
	}
	if (child == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "measure: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	alarm(timeout);
	while (waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT) == -1)
		if (errno != EINTR) {
			perror("measure: waitid");
			return 1;
		}
	wall = now() - t0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
	if ((f = fopen(path, "r")) != NULL) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);

		buf[n] = '\0';
		fclose(f);
		/* after the command name, which may hold blanks */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		    &ut, &st) != 2)
			ut = st = 0;
	}
	while (wait4(child, &status, 0, &ru) == -1)
		if (errno != EINTR) {
			perror("measure: wait4");
			return 1;
		}
	alarm(0);
	if ((f = fopen(out, "w")) == NULL) {
		perror(out);
		return 1;
	}
	fprintf(f, "wall_s=%.4f cpu_s=%.4f utime_s=%.4f stime_s=%.4f "
	    "peak_rss_kib=%ld status=%d\n", wall, (double)(ut + st) / (double)tick,
	    (double)ut / (double)tick, (double)st / (double)tick, ru.ru_maxrss,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fclose(f);
	return 0;
}
