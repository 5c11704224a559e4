/* libcurl, loaded by the first HTTPS fetch (collectors/https_fetch.c)
 * instead of at start.  libcurl pulls in ~15 protocol libraries (GSSAPI,
 * LDAP, SSH, RTMP, nghttp2, ...): linked, their pages and constructors
 * cost every exporter ~1.5 MiB of RSS at start, also one that fetches
 * nothing (endpoint targets, /probe only: `make bench`).  Loaded on first
 * use, only an exporter checking MTA-STS pays for them.
 *
 * The calls are libcurl's own, through a table: curl_lib_get()->easy_init()
 * is curl_easy_init().  The library is never unloaded. */
#ifndef MAILSEC_CURL_LIB_H
#define MAILSEC_CURL_LIB_H

#include <stddef.h>

#include <curl/curl.h>

/* The soname loaded: Debian's libcurl4 (OpenSSL), the library
 * libcurl4-openssl-dev builds against. */
#define CURL_LIB_SONAME "libcurl.so.4"

struct curl_lib {
	CURLcode	 (*global_init)(long);
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char	*(*easy_strerror)(CURLcode);
	void		 (*easy_cleanup)(CURL *);
	CURLM		*(*multi_init)(void);
	CURLMcode	 (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode	 (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_socket_action)(CURLM *, curl_socket_t, int,
			    int *);
	CURLMcode	 (*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	CURLMcode	 (*multi_cleanup)(CURLM *);
	CURLSH		*(*share_init)(void);
	CURLSHcode	 (*share_setopt)(CURLSH *, CURLSHoption, ...);
	CURLSHcode	 (*share_cleanup)(CURLSH *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		 (*slist_free_all)(struct curl_slist *);
};

/* libcurl, loaded and initialised (curl_global_init) by the first call;
 * NULL when it cannot be, with why in err (the same answer on every later
 * call: a failed load is not tried again). */
const struct curl_lib *curl_lib_get(char *err, size_t errlen);

#endif
