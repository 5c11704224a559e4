#include "web/expo.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"

static const struct family_def families[F__COUNT] = {
	[F_PROBE_SUCCESS] = { "mailsec_probe_success", "gauge",
	    "1 if the probe reached TLS and finished its session, else 0 (unlabelled in a /probe answer: the whole check)." },
	[F_PROBE_DURATION] = { "mailsec_probe_duration_seconds", "gauge",
	    "Time spent in each phase of the last probe (unlabelled in a /probe answer: the whole check)." },
	[F_PROBE_ENDPOINT_DURATION] = { "mailsec_probe_endpoint_duration_seconds", "gauge",
	    "Wall time of the last probe of this endpoint, all its phases." },
	[F_PROBE_ERROR_INFO] = { "mailsec_probe_error_info", "gauge",
	    "Present with value 1 when the last probe failed: the step, the reason, the cause and, for an alert, its name." },
	[F_PROBE_TIMESTAMP] = { "mailsec_probe_last_run_timestamp_seconds", "gauge",
	    "When the last probe of this endpoint finished." },
	[F_STARTTLS_OFFERED] = { "mailsec_starttls_offered", "gauge",
	    "1 if the server advertised STARTTLS (always 1 for implicit TLS ports)." },
	[F_TLS_VERSION_INFO] = { "mailsec_tls_version_info", "gauge",
	    "The TLS version negotiated, as OpenSSL names it." },
	[F_TLS_CIPHER_INFO] = { "mailsec_tls_cipher_info", "gauge",
	    "The cipher suite negotiated, as OpenSSL names it." },
	[F_CERT_NOT_AFTER] = { "mailsec_cert_not_after_timestamp_seconds", "gauge",
	    "Expiry of the leaf certificate presented." },
	[F_CERT_NOT_BEFORE] = { "mailsec_cert_not_before_timestamp_seconds", "gauge",
	    "Start of validity of the leaf certificate presented." },
	[F_CERT_CHAIN_EARLIEST_NOT_AFTER] = {
	    "mailsec_cert_chain_earliest_not_after_timestamp_seconds", "gauge",
	    "Earliest expiry in the chain: the verified path when it verifies, else the certificates presented." },
	[F_CERT_VERIFIED] = { "mailsec_cert_verified", "gauge",
	    "1 if the chain verified against the configured CA file, else 0." },
	[F_CERT_VERIFY_ERROR_INFO] = { "mailsec_cert_verify_error_info", "gauge",
	    "Present with value 1 when verification failed: OpenSSL's reason." },
	[F_CERT_HOSTNAME_MATCH] = { "mailsec_cert_hostname_match", "gauge",
	    "1 if the leaf certificate is valid for the probed host name." },
	[F_CERT_INFO] = { "mailsec_cert_info", "gauge",
	    "Facts of the leaf certificate presented, exported even when verification fails." },
	[F_DNS_LOOKUP_SUCCESS] = { "mailsec_dns_lookup_success", "gauge",
	    "1 if the DNS answered: records, no data or NXDOMAIN; 0 on SERVFAIL, refusal or timeout." },
	[F_DNS_LOOKUP_DURATION] = { "mailsec_dns_lookup_duration_seconds", "gauge",
	    "Time the DNS lookup took." },
	[F_DNS_ERROR_INFO] = { "mailsec_dns_error_info", "gauge",
	    "Present with value 1 when a lookup did not return records: how it ended." },
	[F_PLAINTEXT_AUTH] = { "mailsec_plaintext_auth_offered", "gauge",
	    "1 if the server offers to take a password before TLS (SMTP AUTH, IMAP without LOGINDISABLED, POP3 USER or SASL)." },
	[F_TLS_KEX_INFO] = { "mailsec_tls_kex_info", "gauge",
	    "Key exchange group of the negotiated handshake." },
	[F_TLS_KEX_BITS] = { "mailsec_tls_kex_size", "gauge",
	    "Size in bits of the server's ephemeral key in the negotiated handshake." },
	[F_CERT_KEY_BITS] = { "mailsec_cert_key_size", "gauge",
	    "Size in bits of the leaf certificate's public key, by key type." },
	[F_CERT_SIG_INFO] = { "mailsec_cert_signature_info", "gauge",
	    "Signature algorithm of the leaf certificate." },
	[F_CERT_SIG_WEAK] = { "mailsec_cert_signature_weak", "gauge",
	    "1 if the leaf certificate is signed with SHA-1 or MD5." },
	[F_CERT_SELF_SIGNED] = { "mailsec_cert_self_signed", "gauge",
	    "1 if the leaf certificate is self-signed." },
	[F_CERT_CHAIN_LENGTH] = { "mailsec_cert_chain_length", "gauge",
	    "Number of certificates the server presented." },
	[F_CERT_CHAIN_NOT_AFTER] = { "mailsec_cert_chain_not_after_timestamp_seconds", "gauge",
	    "Expiry of each presented certificate, by depth (0 is the leaf)." },
	[F_CERT_PRESENTED_CHAIN_EARLIEST_NOT_AFTER] = {
	    "mailsec_cert_presented_chain_earliest_not_after_timestamp_seconds", "gauge",
	    "Earliest expiry among all the certificates the server presented, on the verified path or not." },
	[F_CERT_OCSP_STAPLED] = { "mailsec_cert_ocsp_stapled", "gauge",
	    "1 if the server stapled an OCSP response." },
	[F_CERT_OCSP_STATUS_INFO] = { "mailsec_cert_ocsp_status_info", "gauge",
	    "The leaf's status in the stapled OCSP response, unknown when it is not there (signature not checked)." },
	[F_TLS_VERSION_ACCEPTED] = { "mailsec_tls_version_accepted", "gauge",
	    "1 if a handshake pinned to this protocol version succeeded (TLS audit)." },
	[F_TLS_WEAK_CIPHER] = { "mailsec_tls_weak_cipher_accepted", "gauge",
	    "1 if a handshake offering only this class of weak suites succeeded (TLS audit)." },
	[F_TLS_DHE_BITS] = { "mailsec_tls_dhe_size", "gauge",
	    "Size in bits of the DHE group when DHE suites are accepted, 0 when refused (TLS audit)." },
	[F_TLS_SERVER_ORDER] = { "mailsec_tls_server_cipher_order", "gauge",
	    "1 if the server picks the suite by its own preference, 0 if it follows the client (TLS audit)." },
	[F_TLS_SECURE_RENEG] = { "mailsec_tls_secure_renegotiation", "gauge",
	    "1 if the server supports secure renegotiation (RFC 5746) in TLS 1.2 or older (TLS audit)." },
	[F_STARTTLS_INJECTION] = { "mailsec_starttls_injection_vulnerable", "gauge",
	    "1 if the server answered, inside TLS, a command sent in clear text in the same write as STARTTLS (CVE-2011-0411; TLS audit)." },
	[F_AUDIT_TIMESTAMP] = { "mailsec_tls_audit_last_run_timestamp_seconds", "gauge",
	    "When the TLS audit of this endpoint last finished." },
	[F_AUDIT_DURATION] = { "mailsec_tls_audit_duration_seconds", "gauge",
	    "Wall time of the last TLS audit of this endpoint." },
	[F_AUDIT_HANDSHAKES] = { "mailsec_tls_audit_handshakes", "gauge",
	    "Handshakes the last TLS audit of this endpoint made." },
	[F_TLS_RATING] = { "mailsec_tls_rating", "gauge",
	    "NCSC-NL TLS guideline class of one check, as internet.nl rates it: 3 good, 2 sufficient, 1 phase out, 0 insufficient (doc/ratings.md)." },
	[F_TLS_RATING_WORST] = { "mailsec_tls_rating_worst", "gauge",
	    "The worst mailsec_tls_rating of the endpoint (notices such as ocsp_stapling left out)." },
	[F_TLS_GROUP_ACCEPTED] = { "mailsec_tls_group_accepted", "gauge",
	    "1 if a handshake offering only this key exchange group succeeded with it, 0 if refused (TLS audit)." },
	[F_TLS_CIPHER_CLASS_ACCEPTED] = { "mailsec_tls_cipher_class_accepted", "gauge",
	    "1 if the server accepts a cipher suite of this NCSC-NL class, 0 if none (TLS audit)." },
	[F_SPF_PRESENT] = { "mailsec_spf_record_present", "gauge",
	    "1 if the domain publishes an SPF record (v=spf1)." },
	[F_SPF_VALID] = { "mailsec_spf_valid", "gauge",
	    "1 if the SPF record parses and its evaluation stays within the RFC 7208 limits (0 on permerror); absent on a temperror (mailsec_spf_temperror)." },
	[F_SPF_ERROR_INFO] = { "mailsec_spf_error_info", "gauge",
	    "Present with value 1 when SPF is missing, broken or could not be evaluated (dns_error, dns_timeout, dns_servfail): the reason." },
	[F_SPF_DNS_LOOKUPS] = { "mailsec_spf_dns_lookups", "gauge",
	    "DNS-querying terms a receiver evaluates at worst, counted through include and redirect (limit 10)." },
	[F_SPF_VOID_LOOKUPS] = { "mailsec_spf_void_lookups", "gauge",
	    "Lookups answered NXDOMAIN or empty in the worst case (limit 2)." },
	[F_SPF_ALL_INFO] = { "mailsec_spf_all_qualifier_info", "gauge",
	    "The qualifier of the all mechanism receivers end on, through redirect= (none when absent)." },
	[F_SPF_PTR_USED] = { "mailsec_spf_ptr_used", "gauge",
	    "1 if the top record uses the ptr mechanism (RFC 7208 says do not)." },
	[F_SPF_BYTES] = { "mailsec_spf_record_bytes", "gauge",
	    "Length of the SPF record in bytes." },
	[F_SPF_CHECK_HOST_INFO] = { "mailsec_spf_check_host_result_info", "gauge",
	    "check_host() result for an address: the domain's MX addresses and spf_expect_pass." },
	[F_SPF_TEMPERROR] = { "mailsec_spf_temperror", "gauge",
	    "1 if a DNS lookup of the SPF evaluation failed (temperror): validity is then unknown." },
	[F_DKIM_PRESENT] = { "mailsec_dkim_record_present", "gauge",
	    "1 if a TXT record exists at selector._domainkey.domain." },
	[F_DKIM_VALID] = { "mailsec_dkim_valid", "gauge",
	    "1 if the DKIM key record is usable by a verifier." },
	[F_DKIM_KEY_SIZE] = { "mailsec_dkim_key_size", "gauge",
	    "Size in bits of the DKIM public key, by key type." },
	[F_DKIM_REVOKED] = { "mailsec_dkim_revoked", "gauge",
	    "1 if the key is revoked (empty p=)." },
	[F_DKIM_TESTING] = { "mailsec_dkim_testing", "gauge",
	    "1 if the record says t=y (testing mode)." },
	[F_DKIM_SHA1_ONLY] = { "mailsec_dkim_sha1_only", "gauge",
	    "1 if h= allows only sha1, which RFC 8301 verifiers refuse." },
	[F_DKIM_ERROR_INFO] = { "mailsec_dkim_error_info", "gauge",
	    "Present with value 1 when the selector's record is missing or invalid: the reason." },
	[F_DMARC_PRESENT] = { "mailsec_dmarc_record_present", "gauge",
	    "1 if a DMARC record applies to the domain (its own or its organisational domain's)." },
	[F_DMARC_VALID] = { "mailsec_dmarc_valid", "gauge",
	    "1 if the DMARC record is valid throughout." },
	[F_DMARC_POLICY] = { "mailsec_dmarc_policy", "gauge",
	    "Policy that applies to the domain: 0 none, 1 quarantine, 2 reject." },
	[F_DMARC_SUBDOMAIN_POLICY] = { "mailsec_dmarc_subdomain_policy", "gauge",
	    "Policy for subdomains (sp, else p): 0 none, 1 quarantine, 2 reject." },
	[F_DMARC_PCT] = { "mailsec_dmarc_pct", "gauge",
	    "Percentage of messages the policy applies to." },
	[F_DMARC_RUA_COUNT] = { "mailsec_dmarc_rua_destinations", "gauge",
	    "Number of aggregate report destinations (rua)." },
	[F_DMARC_EXTERNAL_RUA_AUTH] = { "mailsec_dmarc_external_rua_authorized", "gauge",
	    "1 if an external rua destination authorizes the reports (RFC 7489 7.1)." },
	[F_DMARC_FROM_ORG] = { "mailsec_dmarc_from_org_domain", "gauge",
	    "1 if the record is the organisational domain's, found with the public suffix list." },
	[F_DMARC_ERROR_INFO] = { "mailsec_dmarc_error_info", "gauge",
	    "Present with value 1 when DMARC is missing or invalid: the reason." },
	[F_DMARC_NEAR_MISS] = { "mailsec_dmarc_near_miss", "gauge",
	    "1 if _dmarc.<domain> holds a record that nearly starts with v=DMARC1 (case, a leading space) and none that does: receivers ignore it." },
	[F_RECORDS_TIMESTAMP] = { "mailsec_records_last_run_timestamp_seconds", "gauge",
	    "When the domain's SPF, DKIM and DMARC records were last checked." },
	[F_MX_RECORDS] = { "mailsec_mx_records", "gauge",
	    "Number of MX records of the domain." },
	[F_MX_INFO] = { "mailsec_mx_info", "gauge",
	    "One MX record of the domain, with its preference." },
	[F_MX_NULL] = { "mailsec_mx_null", "gauge",
	    "1 if the domain publishes a null MX (RFC 7505): it accepts no mail." },
	[F_MX_IMPLICIT] = { "mailsec_mx_implicit", "gauge",
	    "1 if the domain has no MX and its own address is used (RFC 5321 5.1)." },
	[F_STS_RECORD_PRESENT] = { "mailsec_mta_sts_record_present", "gauge",
	    "1 if a TXT record at _mta-sts.<domain> begins with v=STSv1." },
	[F_STS_RECORD_VALID] = { "mailsec_mta_sts_record_valid", "gauge",
	    "1 if exactly one STS record exists and it follows RFC 8461 3.1." },
	[F_STS_FETCH_SUCCESS] = { "mailsec_mta_sts_policy_fetch_success", "gauge",
	    "1 if https://mta-sts.<domain>/.well-known/mta-sts.txt answered 200 over verified HTTPS." },
	[F_STS_FETCH_DURATION] = { "mailsec_mta_sts_policy_fetch_duration_seconds", "gauge",
	    "Wall time of the policy fetch." },
	[F_STS_POLICY_VALID] = { "mailsec_mta_sts_policy_valid", "gauge",
	    "1 if the policy was fetched as text/plain and follows RFC 8461 3.2." },
	[F_STS_MODE_INFO] = { "mailsec_mta_sts_mode_info", "gauge",
	    "The policy's mode: enforce, testing or none." },
	[F_STS_MAX_AGE] = { "mailsec_mta_sts_max_age_seconds", "gauge",
	    "How long senders may cache the policy." },
	[F_STS_ID_INFO] = { "mailsec_mta_sts_id_info", "gauge",
	    "The id of the STS record: senders refetch the policy when it changes." },
	[F_STS_MX_PATTERNS] = { "mailsec_mta_sts_mx_patterns", "gauge",
	    "Number of mx patterns in the policy." },
	[F_STS_MX_COVERED] = { "mailsec_mta_sts_mx_covered", "gauge",
	    "1 if the MX host matches one of the policy's mx patterns (RFC 8461 4.1)." },
	[F_STS_MX_COMPLIANT] = { "mailsec_mta_sts_mx_compliant", "gauge",
	    "1 if the MX host is covered and every probe of it verified its certificate for the MX name." },
	[F_STS_CERT_NOT_AFTER] = { "mailsec_mta_sts_cert_not_after_timestamp_seconds", "gauge",
	    "When the certificate of the policy host mta-sts.<domain> expires." },
	[F_STS_ERROR_INFO] = { "mailsec_mta_sts_error_info", "gauge",
	    "Present with value 1 for each MTA-STS problem: the reason." },
	[F_TLSRPT_PRESENT] = { "mailsec_tls_rpt_record_present", "gauge",
	    "1 if a TXT record at _smtp._tls.<domain> begins with v=TLSRPTv1." },
	[F_TLSRPT_VALID] = { "mailsec_tls_rpt_valid", "gauge",
	    "1 if exactly one TLS-RPT record exists, with rua of mailto: or https: URIs only (RFC 8460)." },
	[F_TLSRPT_RUA] = { "mailsec_tls_rpt_rua_destinations", "gauge",
	    "Number of valid TLS report destinations (rua)." },
	[F_TLSRPT_ERROR_INFO] = { "mailsec_tls_rpt_error_info", "gauge",
	    "Present with value 1 when TLS-RPT is missing or invalid: the reason." },
	[F_DANE_APPLICABLE] = { "mailsec_dane_applicable", "gauge",
	    "1 when the MX lookup, the host's address lookups and its TLSA records at _PORT._tcp.<host> are DNSSEC-secure and at least one TLSA record is usable for SMTP (RFC 7672)." },
	[F_DANE_ERROR_INFO] = { "mailsec_dane_error_info", "gauge",
	    "Present with value 1 when DANE does not apply or fails: no_tlsa, insecure, bogus, unusable, no_match, ta_not_presented, name_mismatch, expired, dns." },
	[F_DANE_VALID] = { "mailsec_dane_valid", "gauge",
	    "1 when the probe's own TLS handshake was authenticated by the endpoint's TLSA records (RFC 7672); present where DANE applies." },
	[F_DANE_TLSA_RECORDS] = { "mailsec_dane_tlsa_records", "gauge",
	    "TLSA records of the endpoint by type and by their match against every certificate the server presented: matches, no_match, unusable." },
	[F_DANE_ROLLOVER_READY] = { "mailsec_dane_rollover_ready", "gauge",
	    "1 when, besides the records matching today, the TLSA set holds a usable record for another key or a matching DANE-TA record: a key change will not break DANE." },
	[F_DNSSEC_STATUS_INFO] = { "mailsec_dnssec_status_info", "gauge",
	    "DNSSEC status of the domain's zone or an MX host's zone, validated by the exporter: secure, insecure, bogus, servfail, timeout." },
	[F_DNSSEC_SECURE] = { "mailsec_dnssec_secure", "gauge",
	    "1 if the zone of the name is signed and validates from the trust anchor." },
	[F_MX_PTR_MATCH] = { "mailsec_mx_ptr_match", "gauge",
	    "1 if the MX address has a PTR name that resolves back to it (forward-confirmed reverse DNS), 0 if not." },
	[F_MX_PTR_INFO] = { "mailsec_mx_ptr_info", "gauge",
	    "A PTR name of the MX address." },
	[F_MX_ERROR_INFO] = { "mailsec_mx_error_info", "gauge",
	    "Present with value 1 for each MX sanity problem: cname, ip_literal, no_address, null_mx_mixed, too_many_mx." },
	[F_MX_IPV6_ADDRESSES] = { "mailsec_mx_ipv6_addresses", "gauge",
	    "Number of IPv6 (AAAA) addresses of the MX host." },
	[F_CAA_PRESENT] = { "mailsec_caa_present", "gauge",
	    "1 if a CAA record set applies to the MX host, at its name or a parent (RFC 8659 3)." },
	[F_CAA_VALID] = { "mailsec_caa_valid", "gauge",
	    "1 if every record of the MX host's CAA set parses (RFC 8659 4, issuemail RFC 9495) and no critical tag is unknown." },
	[F_CAA_INFO] = { "mailsec_caa_info", "gauge",
	    "The name the MX host's CAA set was found at, and the CA domain names its issue records allow (\";\" for none)." },
	[F_CAA_ISSUER_ALLOWED] = { "mailsec_caa_issuer_allowed", "gauge",
	    "1 if the MX host's CAA set lets the CA that issued the served certificate issue (the CA told from the issuer name by caa_issuers), 0 if not." },
	[F_SMTP_BANNER_NAME_MATCH] = { "mailsec_smtp_banner_name_match", "gauge",
	    "1 if the host name of the SMTP banner (name=banner) or of the EHLO reply (name=ehlo) is the MX name or a PTR name of the address." },
	[F_CHECK_SUCCESS] = { "mailsec_check_success", "gauge",
	    "1 if every probe of the configured target succeeded in its last run." },
	[F_CHECK_DURATION] = { "mailsec_check_duration_seconds", "gauge",
	    "Wall time of the last full run of the configured target." },
	[F_CHECK_TIMESTAMP] = { "mailsec_check_last_run_timestamp_seconds", "gauge",
	    "When the last full run of the configured target finished." },
	[F_PROBE_TIMEOUT] = { "mailsec_probe_timeout_seconds", "gauge",
	    "The timeout this /probe request ran with (scrape timeout minus the offset, capped by the module's)." },
	[F_BUILD_INFO] = { "mailsec_exporter_build_info", "gauge",
	    "Version of the exporter and of the libraries it runs on." },
	[F_PROBES_TOTAL] = { "mailsec_exporter_probes_total", "counter",
	    "Probes finished since start, by protocol." },
	[F_PROBE_FAILURES_TOTAL] = { "mailsec_exporter_probe_failures_total", "counter",
	    "Probes finished since start that failed, by protocol." },
	[F_PROBES_SHARED_TOTAL] = { "mailsec_exporter_probes_shared_total", "counter",
	    "Probes finished since start whose result came from another check's handshake with the same server (share = on), by protocol." },
	[F_PROBES_IN_FLIGHT] = { "mailsec_exporter_probes_in_flight", "gauge",
	    "Probes running now." },
	[F_PROBES_QUEUED] = { "mailsec_exporter_probes_queued", "gauge",
	    "Probes waiting for a free slot under the concurrency limit." },
	[F_MTA_STS_FETCHES_IN_FLIGHT] = {
	    "mailsec_exporter_mta_sts_fetches_in_flight", "gauge",
	    "MTA-STS policy fetches running now (at most mta_sts_max_in_flight)." },
	[F_MTA_STS_FETCHES_WAITING] = {
	    "mailsec_exporter_mta_sts_fetches_waiting", "gauge",
	    "MTA-STS policy fetches waiting for a slot under mta_sts_max_in_flight." },
	[F_RESULT_BYTES] = { "mailsec_exporter_result_bytes", "gauge",
	    "Bytes the last results of the checks hold, by part: endpoints, result, mx, records, mta_sts, dane, dnssec, mx_hygiene." },
	[F_TARGETS] = { "mailsec_exporter_targets", "gauge",
	    "Configured targets, by kind." },
	[F_CONFIG_RELOAD_OK] = { "mailsec_exporter_config_last_reload_successful", "gauge",
	    "1 if the last configuration load succeeded." },
	[F_CONFIG_RELOAD_TS] = {
	    "mailsec_exporter_config_last_reload_success_timestamp_seconds", "gauge",
	    "When the configuration was last loaded successfully." },
	[F_DNS_QUERIES_TOTAL] = { "mailsec_exporter_dns_queries_total", "counter",
	    "DNS questions sent to the resolver since start (not those answered "
	    "from the cache or joined to one in flight), by what they ask." },
	[F_DNS_JOINED_TOTAL] = { "mailsec_exporter_dns_queries_joined_total",
	    "counter", "DNS questions answered by the same question already in "
	    "flight (coalesced), not sent." },
	[F_DNS_CACHE_HITS_TOTAL] = { "mailsec_exporter_dns_cache_hits_total",
	    "counter", "DNS questions answered from the answer cache, not sent." },
	[F_DNS_CACHE_ENTRIES] = { "mailsec_exporter_dns_cache_entries", "gauge",
	    "Answers in the DNS answer cache (dns_cache_max_entries)." },
	[F_DNS_CACHE_BYTES] = { "mailsec_exporter_dns_cache_bytes", "gauge",
	    "Bytes the DNS answer cache holds (dns_cache_max_bytes)." },
	[F_DNS_CACHE_EVICTIONS_TOTAL] = {
	    "mailsec_exporter_dns_cache_evictions_total", "counter",
	    "Answers dropped from the DNS answer cache before their TTL ran out, "
	    "to stay within its bounds." },
	[F_DNS_BUDGET_REFUSED_TOTAL] = {
	    "mailsec_exporter_dns_budget_refused_total", "counter",
	    "DNS questions not sent because their domain had spent "
	    "dns_budget_per_domain in its round (they end with dns_budget)." },
	[F_DNSSEC_QUERIES_TOTAL] = { "mailsec_exporter_dnssec_queries_total",
	    "counter", "Questions handed to the DNSSEC validator since start, by "
	    "what they ask (it answers many from its own cache)." },
	[F_RECORD_HASH] = { "mailsec_record_hash", "gauge",
	    "The first 48 bits of the SHA-256 of a published thing (MX set, SPF, DMARC, DKIM key, TLSA set, MTA-STS id and policy, certificate), as a number: changes() counts its changes." },
	[F_RECORD_CHANGED] = { "mailsec_record_changed_timestamp_seconds", "gauge",
	    "When the hash of the record last changed (or was first seen, with no state file from before)." },
	[F_POLICY_WEAKENED] = { "mailsec_policy_weakened", "gauge",
	    "1 while a change that weakened the record (what) is held (weakened_hold, default 7d); no sample otherwise." },
	[F_PROC_CPU] = { "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds." },
	[F_PROC_RSS] = { "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes." },
	[F_PROC_VMEM] = { "process_virtual_memory_bytes", "gauge",
	    "Virtual memory size in bytes." },
	[F_PROC_FDS] = { "process_open_fds", "gauge",
	    "Number of open file descriptors." },
	[F_PROC_MAX_FDS] = { "process_max_fds", "gauge",
	    "Maximum number of open file descriptors." },
	[F_PROC_START] = { "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds." },
	[F_CONFIG_FINDING] = { "mailsec_config_finding", "gauge",
	    "1 per problem the configuration audit found in a Postfix or "
	    "Dovecot configuration." },
	[F_CONFIG_FINDINGS] = { "mailsec_config_findings", "gauge",
	    "Findings of the configuration audit by severity." },
	[F_CONFIG_READ_SUCCESS] = { "mailsec_config_read_success", "gauge",
	    "1 if the configuration could be read." },
	[F_CONFIG_CERT_NOT_AFTER] = {
	    "mailsec_config_cert_not_after_timestamp_seconds", "gauge",
	    "Expiry of a certificate file the configuration names, served or "
	    "not." },
	[F_CONFIG_DRIFT] = { "mailsec_config_drift", "gauge",
	    "1 if a running server does not do what its configuration says "
	    "(not reloaded, another instance, a proxy in front)." },
	[F_CONFIG_LAST_RUN] = { "mailsec_config_last_run_timestamp_seconds",
	    "gauge", "When the configuration audit last finished." },
};

_Static_assert(ARRAY_LEN(families) == F__COUNT, "family table incomplete");

const struct family_def *
family_get(enum family f)
{
	return &families[f];
}

void
expo_init(struct expo *e)
{
	for (size_t i = 0; i < F__COUNT; i++)
		buf_init(&e->fam[i]);
	e->compact = 0;
	e->only_lo = 0;
	e->only_hi = F__COUNT;
	e->spill = NULL;
	e->spill_arg = NULL;
	e->spill_at = 0;
	buf_init(&e->bases);
	e->base_off[0] = 0;
	e->n_bases = 0;
}

void
expo_init_compact(struct expo *e)
{
	expo_init(e);
	e->compact = 1;
}

void
expo_reset(struct expo *e)
{
	for (size_t i = 0; i < F__COUNT; i++)
		buf_reset(&e->fam[i]);
	buf_reset(&e->bases);
	e->n_bases = 0;
}

void
expo_free(struct expo *e)
{
	for (size_t i = 0; i < F__COUNT; i++)
		buf_free(&e->fam[i]);
	buf_free(&e->bases);
}

/* The tag of a label set in a compact expo, adding it when new.  The last
 * few are compared first: lines of one label set come together. */
static unsigned
base_tag(struct expo *e, const struct buf *base)
{
	for (unsigned i = e->n_bases; i-- > 0;) {
		uint32_t o = e->base_off[i], n = e->base_off[i + 1] - o;

		if (n == base->len && memcmp(e->bases.data + o, base->data, n) == 0)
			return i + 1;
	}
	if (e->n_bases == EXPO_BASES_MAX || e->bases.len + base->len > UINT32_MAX)
		return EXPO_TAG_INLINE;
	buf_append(&e->bases, base->data, base->len);
	e->base_off[++e->n_bases] = (uint32_t)e->bases.len;
	return e->n_bases;
}

/* A label value of the text format: \\ " and newline escaped, and the one
 * place that makes the exposition valid UTF-8 whatever the value holds (a
 * certificate subject, a peer's words): each byte of an invalid sequence
 * becomes U+FFFD, as in html_escapen(). */
static void
escape_label_value(struct buf *b, const char *v)
{
	const unsigned char *p = (const unsigned char *)v, *run = p;
	uint32_t cp;
	size_t len;

	while (*p) {
		const char *rep;

		if (*p >= 0x80) {
			/* A NUL ends any sequence early: never read past it. */
			if ((len = utf8_next(p, 4, &cp)) > 0) {
				p += len;
				continue;
			}
			rep = "\xef\xbf\xbd";
		} else if (*p == '\\')
			rep = "\\\\";
		else if (*p == '"')
			rep = "\\\"";
		else if (*p == '\n')
			rep = "\\n";
		else {
			p++;
			continue;
		}
		buf_append(b, run, (size_t)(p - run));
		buf_puts(b, rep);
		run = ++p;
	}
	buf_append(b, run, (size_t)(p - run));
}

void
labels_add(struct buf *labels, const char *name, const char *value)
{
	if (labels->len)
		buf_putc(labels, ',');
	buf_puts(labels, name);
	buf_puts(labels, "=\"");
	escape_label_value(labels, value ? value : "");
	buf_putc(labels, '"');
}

/* A compact line is [tag][length of the rest, 7 bits a byte, low first]
 * [rest]: one length byte was left before rest_at, more are made room for
 * when the rest is 128 bytes or longer. */
static void
set_rest_len(struct buf *b, size_t rest_at)
{
	size_t n = b->len - rest_at, extra = 0;
	unsigned char *p;

	for (size_t v = n >> 7; v; v >>= 7)
		extra++;
	if (extra) {
		buf_reserve(b, extra);
		memmove(b->data + rest_at + extra, b->data + rest_at, n);
		b->len += extra;
		b->data[b->len] = '\0';
	}
	p = (unsigned char *)b->data + rest_at - 1;
	for (size_t v = n;; v >>= 7) {
		*p++ = (unsigned char)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
		if (v >> 7 == 0)
			break;
	}
}

void
expo_add_pairs(struct expo *e, enum family f, const struct buf *base,
    double value, const char *const *pairs, size_t n_pairs)
{
	struct buf *b = &e->fam[f];
	unsigned tag = EXPO_TAG_INLINE;
	size_t rest_at = 0;
	int first = 1;

	if (!EXPO_KEEPS(e, f))
		return;
	if (!e->compact)
		buf_puts(b, families[f].name);
	if (e->compact) {
		buf_putc(b, (char)(base && base->len ? base_tag(e, base) :
		    EXPO_TAG_NONE));
		buf_putc(b, 0);		/* the rest's length, set below */
		rest_at = b->len;
		tag = (unsigned char)b->data[rest_at - 2];
	}
	if (base && base->len) {
		if (tag == EXPO_TAG_INLINE) {
			buf_putc(b, '{');
			buf_append(b, base->data, base->len);
		}
		first = 0;
	}
	for (size_t k = 0; k < n_pairs; k++) {
		const char *val = pairs[2 * k + 1];

		buf_puts(b, first ? "{" : ",");
		first = 0;
		buf_puts(b, pairs[2 * k]);
		buf_puts(b, "=\"");
		escape_label_value(b, val ? val : "");
		buf_putc(b, '"');
	}
	if (!first)
		buf_putc(b, '}');
	buf_putc(b, ' ');
	buf_put_double(b, value);
	buf_putc(b, '\n');
	if (e->compact)
		set_rest_len(b, rest_at);
	if (e->spill != NULL && b->len >= e->spill_at)
		e->spill(e->spill_arg, f, b);
}

void
expo_add(struct expo *e, enum family f, const struct buf *base, double value,
    ...)
{
	const char *pairs[2 * EXPO_PAIRS_MAX];
	size_t n = 0;
	const char *name;
	va_list ap;

	va_start(ap, value);
	while ((name = va_arg(ap, const char *)) != NULL) {
		if (n == EXPO_PAIRS_MAX)
			abort();	/* a caller's bug: more labels than any family has */
		pairs[2 * n] = name;
		pairs[2 * n + 1] = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	expo_add_pairs(e, f, base, value, pairs, n);
}

void
expo_render(const struct expo *e, struct buf *out)
{
	for (size_t i = 0; i < F__COUNT; i++) {
		if (e->fam[i].len == 0)
			continue;
		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", families[i].name,
		    families[i].help, families[i].name, families[i].type);
		buf_append(out, e->fam[i].data, e->fam[i].len);
	}
}

/* One compact line at text[pos]: its tag, its rest (up to and with the
 * newline) and where the next line starts.  -1 at the end (or on a
 * length that runs past it, which expo_add never writes). */
static inline int
compact_line(const struct expo_bases *b, const char *text, size_t len,
    size_t pos, unsigned *tag, const char **rest, size_t *rest_len,
    size_t *next)
{
	const unsigned char *p = (const unsigned char *)text + pos;
	const unsigned char *end = (const unsigned char *)text + len;
	size_t n = 0;
	unsigned shift = 0;

	if (pos >= len || end - p < 2)
		return -1;
	*tag = *p++;
	do {
		if (p == end || shift > 28)
			return -1;
		n |= (size_t)(*p & 0x7f) << shift;
		shift += 7;
	} while (*p++ & 0x80);
	if (n > (size_t)(end - p))
		return -1;
	*rest = (const char *)p;
	*rest_len = n;
	*next = (size_t)(p + n - (const unsigned char *)text);
	if (*tag != EXPO_TAG_NONE && *tag != EXPO_TAG_INLINE && *tag > b->n)
		*tag = EXPO_TAG_NONE;	/* not ours; never written */
	return 0;
}

static inline size_t
expanded_line_len(size_t name_len, const struct expo_bases *b, unsigned tag,
    size_t rest_len)
{
	size_t n = name_len + rest_len;

	if (tag != EXPO_TAG_NONE && tag != EXPO_TAG_INLINE)
		n += 1 + b->off[tag] - b->off[tag - 1];
	return n;
}

static inline char *
put_expanded_line(char *out, const char *name, size_t name_len,
    const struct expo_bases *b, unsigned tag, const char *rest,
    size_t rest_len)
{
	memcpy(out, name, name_len);
	out += name_len;
	if (tag != EXPO_TAG_NONE && tag != EXPO_TAG_INLINE) {
		size_t bl = b->off[tag] - b->off[tag - 1];

		*out++ = '{';
		memcpy(out, b->data + b->off[tag - 1], bl);
		out += bl;
	}
	memcpy(out, rest, rest_len);
	return out + rest_len;
}

size_t
expo_expanded_len(enum family f, const struct expo_bases *b, const char *text,
    size_t len)
{
	size_t name_len = strlen(families[f].name), pos = 0, n = 0, rest_len;
	const char *rest;
	unsigned tag;

	while (compact_line(b, text, len, pos, &tag, &rest, &rest_len,
	    &pos) == 0)
		n += expanded_line_len(name_len, b, tag, rest_len);
	return n;
}

size_t
expo_expand(enum family f, const struct expo_bases *b, const char *text,
    size_t len, size_t *pos, char *out, size_t room)
{
	const char *name = families[f].name, *rest;
	size_t name_len = strlen(name), rest_len, need, next;
	char *p = out;
	unsigned tag;

	while (compact_line(b, text, len, *pos, &tag, &rest, &rest_len,
	    &next) == 0) {
		need = expanded_line_len(name_len, b, tag, rest_len);
		if (need > room - (size_t)(p - out))
			break;
		p = put_expanded_line(p, name, name_len, b, tag, rest, rest_len);
		*pos = next;
	}
	return (size_t)(p - out);
}

void
expo_expand_line(enum family f, const struct expo_bases *b, const char *text,
    size_t len, size_t *pos, struct buf *out)
{
	const char *name = families[f].name, *rest;
	size_t name_len = strlen(name), rest_len, need, next;
	unsigned tag;

	if (compact_line(b, text, len, *pos, &tag, &rest, &rest_len,
	    &next) == -1) {
		*pos = len;
		return;
	}
	need = expanded_line_len(name_len, b, tag, rest_len);
	buf_reserve(out, need);
	put_expanded_line(out->data + out->len, name, name_len, b, tag, rest,
	    rest_len);
	out->len += need;
	out->data[out->len] = '\0';
	*pos = next;
}
