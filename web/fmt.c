#include "web/fmt.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

void
fmt_ago(double secs, char *out, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		snprintf(out, len, "%.0f s ago", floor(secs));
	else if (secs < 3600)
		snprintf(out, len, "%.0f min ago", floor(secs / 60));
	else if (secs < 86400 * 2)
		snprintf(out, len, "%.0f h ago", floor(secs / 3600));
	else
		snprintf(out, len, "%.0f days ago", floor(secs / 86400));
}

void
fmt_time(double ts, char *out, size_t len)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (ts <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, len, "-");
	else
		strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void
fmt_days(double expiry, double now, char *out, size_t len)
{
	double d = (expiry - now) / 86400.0;

	if (expiry <= 0)
		snprintf(out, len, "-");
	else if (d < 0)
		snprintf(out, len, "expired %.0f days ago", floor(-d));
	else
		snprintf(out, len, "%.0f days", floor(d));
}
