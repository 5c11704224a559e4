/* `mailsec_exporter audit-config`: the configuration audit once, for a
 * person (findings grouped by severity, file:line, the advice) or as JSON;
 * exits 1 on any critical finding, 2 when a config could not be read. */
#ifndef MAILSEC_AUDIT_CONFIG_H
#define MAILSEC_AUDIT_CONFIG_H

#include "base/util.h"

struct cfg_report;

int audit_config_main(int argc, char **argv);
/* One report as a JSON object (also the status page's source). */
void cfg_report_json(struct buf *b, const struct cfg_report *r);

#endif
