/* Deep copies of a target's config, for the checks that keep their own
 * (ad-hoc checks: the config they came from may be gone by the time they
 * end). */
#include "daemon/checkcfg.h"

#include <stdlib.h>

#include "base/util.h"

struct target_cfg *
target_cfg_copy(const struct target_cfg *t)
{
	struct target_cfg *own = xmalloc(sizeof(*own));

	*own = *t;
	own->name = xstrdup(t->name);
	for (size_t i = 0; i < t->n_imap_hosts; i++)
		own->imap_hosts[i] = xstrdup(t->imap_hosts[i]);
	for (size_t i = 0; i < t->n_pop3_hosts; i++)
		own->pop3_hosts[i] = xstrdup(t->pop3_hosts[i]);
	for (size_t i = 0; i < t->n_dkim_selectors; i++)
		own->dkim_selectors[i] = xstrdup(t->dkim_selectors[i]);
	for (size_t i = 0; i < t->n_spf_expect_pass; i++)
		own->spf_expect_pass[i] = xstrdup(t->spf_expect_pass[i]);
	return own;
}

void
target_cfg_free(struct target_cfg *t)
{
	if (t == NULL)
		return;
	free(t->name);
	for (size_t i = 0; i < t->n_imap_hosts; i++)
		free(t->imap_hosts[i]);
	for (size_t i = 0; i < t->n_pop3_hosts; i++)
		free(t->pop3_hosts[i]);
	for (size_t i = 0; i < t->n_dkim_selectors; i++)
		free(t->dkim_selectors[i]);
	for (size_t i = 0; i < t->n_spf_expect_pass; i++)
		free(t->spf_expect_pass[i]);
	free(t);
}
