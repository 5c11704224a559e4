/* The log line as JSON (--log.format=json): a key=value line of log_msg()
 * read back into one JSON object.  The line is ours, but its values carry
 * what peers said: any bytes, read with bounds and never trusted. */
#ifndef MAILSEC_LOGFMT_H
#define MAILSEC_LOGFMT_H

#include "base/util.h"

/* Appends {"key":"value",...} for `key=value` and `key="quoted \" value"`
 * pairs; anything from the first piece that is not a pair on is kept whole
 * as "unparsed".  Control characters and bytes above 0x7e are \u00XX
 * escapes (bytes read as Latin-1), so the object is valid JSON and ASCII. */
void logfmt_to_json(const char *line, size_t len, struct buf *out);

#endif
