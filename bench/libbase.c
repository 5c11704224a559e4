/* The RSS a program's libraries cost before it does anything: an empty
 * main() linked (--no-as-needed) with the libraries the Makefile names,
 * their constructors run.  `make bench` builds it twice, with the
 * exporter's libraries and with the floor's (OpenSSL's alone), and reports
 * the difference next to the peak RSS ratio: the part of the exporter's
 * peak that holds no probe and no result.  Prints "vmhwm_kib=N". */
#include <stdio.h>
#include <string.h>

int
main(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (f == NULL)
		return 1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0 &&
		    sscanf(line + 6, "%ld", &kib) != 1)
			kib = -1;
	fclose(f);
	if (kib < 0)
		return 1;
	printf("vmhwm_kib=%ld\n", kib);
	return 0;
}
