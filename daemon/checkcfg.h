/* Deep copies of a target's config: an ad-hoc check (/probe) has no entry
 * in the config and keeps a copy of its own. */
#ifndef MAILSEC_CHECKCFG_H
#define MAILSEC_CHECKCFG_H

#include "daemon/config.h"

/* A copy of t that owns all its strings. */
struct target_cfg *target_cfg_copy(const struct target_cfg *t);
/* Frees a copy made by target_cfg_copy() (NULL: nothing). */
void target_cfg_free(struct target_cfg *t);

#endif
