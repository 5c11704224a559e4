/* Times and ages in words for people: the status page and the fact
 * table's page rows. */
#ifndef MAILSEC_FMT_H
#define MAILSEC_FMT_H

#include <stddef.h>

/* "12 s ago", "3 min ago", "5 h ago", "9 days ago". */
void fmt_ago(double secs, char *out, size_t len);
/* "2026-12-03 14:05:00 UTC", "-" for none. */
void fmt_time(double ts, char *out, size_t len);
/* "90 days", "expired 3 days ago", "-" for none. */
void fmt_days(double expiry, double now, char *out, size_t len);

#endif
