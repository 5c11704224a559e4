#!/bin/sh
# The cost of DANE per endpoint: N domains in a zone signed here, each with
# an MX host (all on one Postfix) and a 3 1 1 TLSA record for its
# certificate; `--once` with dnssec = on (validated MX/A/AAAA/TLSA, DANE in
# the handshake) against dnssec = off, CPU (user+sys) and peak RSS from
# /usr/bin/time.  Run in a network namespace of your own:
#   /work/bin/nsrun NAME sh bench/dane/dane.sh [N]
. "$(dirname "$0")/../../tests/lib/common.sh"
. "$(dirname "$0")/../../tests/lib/nsd.sh"
t_setup bench_dane
N=${1:-300}
NS=127.0.65.53 MX=127.0.65.1
t_addr "$NS"; t_addr "$MX"
CA=$T_DIR/ca
t_ca "$CA" ec256
t_cert "$CA" mx mx.b.test "DNS:mx.b.test" 1 300 ec256
t_postfix_start pf "$MX" mx.b.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/mx.chain.pem" "smtpd_tls_key_file = $CA/mx.key" \
	"default_process_limit = 200"
H=$(openssl x509 -in "$CA/mx.crt" -noout -pubkey | openssl pkey -pubin -outform DER |
	sha256sum | cut -d' ' -f1)
i=0
{
	echo "ns IN A $NS"
	while [ $i -lt "$N" ]; do
		printf 'd%d IN MX 10 mx%d.b.test.\nmx%d IN A %s\n_25._tcp.mx%d IN TLSA 3 1 1 %s\n' \
			$i $i $i "$MX" $i "$H"
		i=$((i + 1))
	done
} | t_zone dns b.test
t_zone_sign dns b.test
t_nsd_start dns "$NS" b.test
for mode in off on; do
	{
		printf '[exporter]\ntimeout = 10s\nconcurrency = 50\nresolver = %s\nca_file = %s\n' "$NS" "$CA/ca.crt"
		printf 'dnssec = %s\ndnssec_trust_anchor_file = %s\ndnssec_forwarder = %s\naudit = off\nlog_level = error\n' \
			"$mode" "$T_DIR/dns/trust-anchors" "$NS"
		i=0
		while [ $i -lt "$N" ]; do
			printf '\n[domain d%d.b.test]\nrecords = off\nmta_sts = off\ntls_rpt = off\n' $i
			i=$((i + 1))
		done
	} >"$T_DIR/$mode.ini"
	/usr/bin/time -f "%U %S %M %e" -o "$T_DIR/$mode.time" \
		"$T_BIN" --config "$T_DIR/$mode.ini" --once >"$T_DIR/$mode.prom" 2>"$T_DIR/$mode.err"
	tail -n 1 "$T_DIR/$mode.err" >&2; read -r u s rss wall <<EOT
$(tail -n 1 "$T_DIR/$mode.time")
EOT
	ok=$(grep -c '^mailsec_probe_success{.*} 1$' "$T_DIR/$mode.prom")
	valid=$(grep -c '^mailsec_dane_valid{.*} 1$' "$T_DIR/$mode.prom")
	echo "dnssec=$mode n=$N probes_ok=$ok dane_valid=$valid cpu_s=$(echo "$u + $s" | bc) rss_kb=$rss wall_s=$wall"
done
