/* The protocol table: the mail protocols a probe speaks. */
#ifndef MAILSEC_PROTOCOL_H
#define MAILSEC_PROTOCOL_H

#include <stdint.h>

/* Mail protocols a probe speaks.  Names are the config spelling and the
 * `protocol` label. */
enum protocol {
	PROTO_SMTP,		/* 25, STARTTLS */
	PROTO_SUBMISSION,	/* 587, STARTTLS */
	PROTO_SMTPS,		/* 465, implicit TLS */
	PROTO_IMAP,		/* 143, STARTTLS */
	PROTO_IMAPS,		/* 993, implicit TLS */
	PROTO_POP3,		/* 110, STLS */
	PROTO_POP3S,		/* 995, implicit TLS */
	PROTO__COUNT
};

const char *protocol_name(enum protocol p);
int protocol_parse(const char *s, enum protocol *out);
/* The well-known port of a protocol: 25, 587, 465, 143, 993, 110, 995. */
uint16_t protocol_default_port(enum protocol p);
/* Whether p upgrades a clear-text session (STARTTLS, STLS). */
int protocol_starttls(enum protocol p);
/* The protocol a well-known port means (the inverse of the above), the
 * default of an [endpoint]; -1 for any other port. */
int protocol_for_port(uint16_t port, enum protocol *out);

#endif
