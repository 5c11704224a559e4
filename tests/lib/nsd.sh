# An authoritative DNS server (NSD) for the integration tests; sourced after
# common.sh.
#
# t_nsd_start NAME ADDR ZONE... : serves each ZONE from $T_DIR/NAME/ZONE.zone
#   (write the zone files first, with t_zone) on ADDR port 53, UDP and TCP,
#   registers its pid for cleanup and waits until it answers.  Point the
#   exporter at it with `resolver = ADDR`.
#   With T_NSD_CONTROL=1 set, nsd-control works over a unix socket in
#   $T_DIR/NAME (no keys): see t_nsd_stat.
# t_nsd_stat NAME KEY: one of NSD's counters (nsd-control stats_noreset),
#   e.g. num.queries, num.type.TXT: the questions it was asked.
# t_zone NAME ZONE: reads a zone body on stdin and writes
#   $T_DIR/NAME/ZONE.zone with an SOA and NS in front.
# t_zone_sign NAME ZONE [expired]: signs $T_DIR/NAME/ZONE.zone in place with
#   a new ECDSA P-256 KSK and ZSK (ldns-signzone, NSEC), and appends the
#   KSK's DNSKEY to $T_DIR/NAME/trust-anchors (a file for
#   dnssec_trust_anchor_file).  "expired": signatures valid from 2019 to
#   2020 only, so a validator finds them bogus.
t_zone() {
	[ -n "$T_DIR" ] || t_fail "t_zone: call t_setup first"
	mkdir -p "$T_DIR/$1"
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$2"
		printf '@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n' "$2" "$2"
		printf '@ IN NS ns.%s.\n' "$2"
		cat
	} >"$T_DIR/$1/$2.zone"
}

t_nsd_start() {
	[ $# -ge 3 ] || t_fail "usage: t_nsd_start NAME ADDR ZONE..."
	_nname=$1 _na=$2
	shift 2
	_nbase="$T_DIR/$_nname"
	mkdir -p "$_nbase"
	{
		cat <<EOF
server:
	ip-address: $_na
	port: 53
	do-ip6: no
	zonesdir: "$_nbase"
	pidfile: "$_nbase/nsd.pid"
	database: ""
	xfrdfile: "$_nbase/xfrd.state"
	zonelistfile: "$_nbase/zone.list"
	logfile: "$_nbase/nsd.log"
	username: ""
	chroot: ""
	server-count: 1
	verbosity: 1
	hide-version: yes
EOF
		if [ "${T_NSD_CONTROL:-}" = 1 ]; then
			printf 'remote-control:\n\tcontrol-enable: yes\n'
			printf '\tcontrol-interface: %s\n' "$_nbase/nsd.ctl"
		else
			printf 'remote-control:\n\tcontrol-enable: no\n'
		fi
		for _z in "$@"; do
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s.zone"\n' "$_z" "$_z"
		done
	} >"$_nbase/nsd.conf"
	nsd-checkconf "$_nbase/nsd.conf" || t_fail "nsd-checkconf failed"
	for _z in "$@"; do
		nsd-checkzone "$_z" "$_nbase/$_z.zone" >/dev/null ||
			t_fail "zone $_z does not load: $(nsd-checkzone "$_z" "$_nbase/$_z.zone" 2>&1)"
	done
	nsd -c "$_nbase/nsd.conf" </dev/null >/dev/null 2>&1 ||
		{ cat "$_nbase/nsd.log" >&2; t_fail "nsd $_nname did not start"; }
	_nn=50
	while [ ! -s "$_nbase/nsd.pid" ] && [ "$_nn" -gt 0 ]; do
		sleep 0.1; _nn=$((_nn - 1))
	done
	_npid=$(tr -dc 0-9 <"$_nbase/nsd.pid" 2>/dev/null)
	[ -n "$_npid" ] || t_fail "nsd $_nname: no pid"
	t_pid "$_npid"
	t_wait_port "$_na" 53 10 || t_fail "nsd $_nname: $_na:53 (tcp) not answering"
}

t_nsd_stat() {
	[ $# -eq 2 ] || t_fail "usage: t_nsd_stat NAME KEY"
	_sv=$(nsd-control -c "$T_DIR/$1/nsd.conf" stats_noreset 2>&1) ||
		t_fail "nsd-control stats_noreset ($1): $_sv"
	_sv=$(printf '%s\n' "$_sv" | sed -n "s/^$2=//p")
	[ -n "$_sv" ] || t_fail "nsd $1: no counter $2"
	printf '%s\n' "$_sv"
}

t_zone_sign() {
	[ $# -ge 2 ] || t_fail "usage: t_zone_sign NAME ZONE [expired]"
	_sd="$T_DIR/$1" _sz=$2 _sx=${3:-}
	[ -f "$_sd/$_sz.zone" ] || t_fail "t_zone_sign: write $_sd/$_sz.zone first"
	mkdir -p "$_sd/keys"
	_ksk=$(cd "$_sd/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$_sz") ||
		t_fail "ldns-keygen (KSK) for $_sz failed"
	_zsk=$(cd "$_sd/keys" && ldns-keygen -a ECDSAP256SHA256 "$_sz") ||
		t_fail "ldns-keygen (ZSK) for $_sz failed"
	set --
	[ "$_sx" = expired ] && set -- -i 20190101000000 -e 20200101000000
	ldns-signzone "$@" -f "$_sd/$_sz.zone.signed" "$_sd/$_sz.zone" \
	    "$_sd/keys/$_ksk" "$_sd/keys/$_zsk" >"$_sd/$_sz.sign.log" 2>&1 ||
		{ cat "$_sd/$_sz.sign.log" >&2; t_fail "ldns-signzone $_sz failed"; }
	mv "$_sd/$_sz.zone.signed" "$_sd/$_sz.zone"
	grep -v '^;' "$_sd/keys/$_ksk.key" >>"$_sd/trust-anchors"
}
