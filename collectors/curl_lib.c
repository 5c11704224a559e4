/* libcurl loaded on first use (see curl_lib.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "collectors/curl_lib.h"

/* Each entry of struct curl_lib and the libcurl symbol it is. */
#define CURL_LIB_FN(field, sym) { offsetof(struct curl_lib, field), #sym }
static const struct {
	size_t		 offset;
	const char	*symbol;
} curl_lib_fns[] = {
	CURL_LIB_FN(global_init, curl_global_init),
	CURL_LIB_FN(easy_init, curl_easy_init),
	CURL_LIB_FN(easy_setopt, curl_easy_setopt),
	CURL_LIB_FN(easy_getinfo, curl_easy_getinfo),
	CURL_LIB_FN(easy_strerror, curl_easy_strerror),
	CURL_LIB_FN(easy_cleanup, curl_easy_cleanup),
	CURL_LIB_FN(multi_init, curl_multi_init),
	CURL_LIB_FN(multi_setopt, curl_multi_setopt),
	CURL_LIB_FN(multi_add_handle, curl_multi_add_handle),
	CURL_LIB_FN(multi_remove_handle, curl_multi_remove_handle),
	CURL_LIB_FN(multi_socket_action, curl_multi_socket_action),
	CURL_LIB_FN(multi_assign, curl_multi_assign),
	CURL_LIB_FN(multi_info_read, curl_multi_info_read),
	CURL_LIB_FN(multi_cleanup, curl_multi_cleanup),
	CURL_LIB_FN(share_init, curl_share_init),
	CURL_LIB_FN(share_setopt, curl_share_setopt),
	CURL_LIB_FN(share_cleanup, curl_share_cleanup),
	CURL_LIB_FN(slist_append, curl_slist_append),
	CURL_LIB_FN(slist_free_all, curl_slist_free_all),
};
#undef CURL_LIB_FN
_Static_assert(sizeof(curl_lib_fns) / sizeof(curl_lib_fns[0]) ==
    sizeof(struct curl_lib) / sizeof(void (*)(void)),
    "a symbol for every entry of struct curl_lib");

/* Loads the library and fills lib; 0, or -1 with why in err. */
static int
curl_lib_load(struct curl_lib *lib, char *err, size_t errlen)
{
	void *h, *sym;
	const char *why;

	if ((h = dlopen(CURL_LIB_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "cannot load %s: %s", CURL_LIB_SONAME,
		    why != NULL ? why : "unknown");
		return -1;
	}
	for (size_t i = 0; i < sizeof(curl_lib_fns) / sizeof(curl_lib_fns[0]);
	    i++) {
		if ((sym = dlsym(h, curl_lib_fns[i].symbol)) == NULL) {
			snprintf(err, errlen, "%s has no %s", CURL_LIB_SONAME,
			    curl_lib_fns[i].symbol);
			return -1;	/* h stays: it is libcurl, just old */
		}
		/* POSIX: a function's address as dlsym() returns it. */
		memcpy((char *)lib + curl_lib_fns[i].offset, &sym, sizeof(sym));
	}
	if (lib->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init failed");
		return -1;
	}
	return 0;
}

const struct curl_lib *
curl_lib_get(char *err, size_t errlen)
{
	static struct curl_lib lib;
	static enum { CURL_LIB_UNTRIED, CURL_LIB_READY, CURL_LIB_FAILED }
	    state;
	static char why[256];

	if (state == CURL_LIB_UNTRIED)
		state = curl_lib_load(&lib, why, sizeof(why)) == 0 ?
		    CURL_LIB_READY : CURL_LIB_FAILED;
	if (state == CURL_LIB_READY)
		return &lib;
	snprintf(err, errlen, "%s", why);
	return NULL;
}
