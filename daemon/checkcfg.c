/* Deep copies of a target's config, for the checks that keep their own
 * (ad-hoc checks: the config they came from may be gone by the time they
 * end). */
#include "daemon/checkcfg.h"

#include <stdlib.h>

#include "base/util.h"

/* A copy of a list of n strings and of its strings (NULL when empty). */
static char **
list_copy(char *const *list, size_t n)
{
	char **own;

	if (n == 0)
		return NULL;
	own = xreallocarray(NULL, n, sizeof(*own));
	for (size_t i = 0; i < n; i++)
		own[i] = xstrdup(list[i]);
	return own;
}

struct target_cfg *
target_cfg_copy(const struct target_cfg *t)
{
	struct target_cfg *own = xmalloc(sizeof(*own));

	*own = *t;
	own->name = xstrdup(t->name);
	own->imap_hosts = list_copy(t->imap_hosts, t->n_imap_hosts);
	own->pop3_hosts = list_copy(t->pop3_hosts, t->n_pop3_hosts);
	own->dkim_selectors = list_copy(t->dkim_selectors,
	    t->n_dkim_selectors);
	own->spf_expect_pass = list_copy(t->spf_expect_pass,
	    t->n_spf_expect_pass);
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
	free(t->imap_hosts);
	free(t->pop3_hosts);
	free(t->dkim_selectors);
	free(t->spf_expect_pass);
	free(t);
}
