/* The mail protocols a probe speaks: names, well-known ports, STARTTLS. */
#include "collectors/protocol.h"

#include <string.h>

static const char *const protocol_names[PROTO__COUNT] = {
	[PROTO_SMTP] = "smtp",
	[PROTO_SUBMISSION] = "submission",
	[PROTO_SMTPS] = "smtps",
	[PROTO_IMAP] = "imap",
	[PROTO_IMAPS] = "imaps",
	[PROTO_POP3] = "pop3",
	[PROTO_POP3S] = "pop3s",
};

static const uint16_t protocol_ports[PROTO__COUNT] = {
	[PROTO_SMTP] = 25,
	[PROTO_SUBMISSION] = 587,
	[PROTO_SMTPS] = 465,
	[PROTO_IMAP] = 143,
	[PROTO_IMAPS] = 993,
	[PROTO_POP3] = 110,
	[PROTO_POP3S] = 995,
};

const char *
protocol_name(enum protocol p)
{
	return (unsigned)p < PROTO__COUNT ? protocol_names[p] : "unknown";
}

int
protocol_parse(const char *s, enum protocol *out)
{
	for (size_t i = 0; i < PROTO__COUNT; i++)
		if (strcmp(s, protocol_names[i]) == 0) {
			*out = (enum protocol)i;
			return 0;
		}
	return -1;
}

uint16_t
protocol_default_port(enum protocol p)
{
	return (unsigned)p < PROTO__COUNT ? protocol_ports[p] : 0;
}

int
protocol_starttls(enum protocol p)
{
	return p == PROTO_SMTP || p == PROTO_SUBMISSION || p == PROTO_IMAP ||
	    p == PROTO_POP3;
}

int
protocol_for_port(uint16_t port, enum protocol *out)
{
	for (size_t i = 0; i < PROTO__COUNT; i++)
		if (protocol_ports[i] == port) {
			*out = (enum protocol)i;
			return 0;
		}
	return -1;
}
