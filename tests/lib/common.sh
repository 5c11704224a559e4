# Shell helpers for the integration tests (POSIX sh; the tests run as root).
#
#   . "$(dirname "$0")/../lib/common.sh"
#   t_setup smtp_postfix
#   t_addr 127.0.10.1
#   t_ca "$T_DIR/ca"
#   t_cert "$T_DIR/ca" good 127.0.10.1 "IP:127.0.10.1,DNS:mail1.test" 1 365
#   t_postfix_start pf1 127.0.10.1 mail1.test "smtpd_tls_security_level = may" ...
#
# Everything a test starts is registered (t_pid, t_addr, t_postfix_start) and
# undone by t_cleanup, which t_setup installs as the EXIT/INT/TERM trap.
# t_cleanup only ever signals pids it registered itself (checked against the
# process start time recorded at registration, so a recycled pid is left alone).
#
# Loopback addresses per script (scripts never run in parallel, but each uses
# its own so a leftover from one cannot confuse another):
#   test_smtp_postfix.sh  127.0.10.1 - 127.0.10.9
#   test_daemon.sh        127.0.10.21 - 127.0.10.29
#   test_cli.sh           127.0.10.31 - 127.0.10.39 (only written into configs)
#   deploy/demo/demo.sh   127.0.53.0/24 (make demo; tests/integration/test_demo.sh)

PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH

# Repository root: the test scripts live in tests/integration/.
T_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# MAILSEC_BIN runs the suite against another build (the sanitizer one).
T_BIN=${MAILSEC_BIN:-"$T_ROOT/mailsec_exporter"}
T_DIR=
T_NAME=
T_PIDS=		# "pid:starttime" words
T_ADDRS=	# addresses t_addr added (only those)
T_POSTFIX=	# config dirs of the Postfix instances started
T_CLEANED=

t_log() { echo "[$(date +%H:%M:%S)] $*"; }

# t_fail MSG...: print the message and exit 1 (t_cleanup runs from the trap).
t_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# t_setup NAME: fresh work dir tests/out/NAME (absolute path in $T_DIR), and
# the cleanup trap.
t_setup() {
	[ $# -eq 1 ] || t_fail "usage: t_setup NAME"
	T_NAME=$1
	T_DIR="$T_ROOT/tests/out/$1"
	trap 't_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	cd "$T_ROOT" || t_fail "cannot cd to $T_ROOT"
	# A run that was SIGKILLed may have left its Postfix instances running:
	# stop those (only instances whose config dir is under $T_DIR).
	# (master.pid stays after a clean stop: check that its pid is a running
	# master whose working directory is that instance's queue directory.)
	for _cf in "$T_DIR"/*/etc; do
		_q=${_cf%/etc}/queue
		[ -s "$_q/pid/master.pid" ] || continue
		_mp=$(tr -dc 0-9 2>/dev/null <"$_q/pid/master.pid")
		[ -n "$_mp" ] && t_running "$_mp" || continue
		[ "$(readlink "/proc/$_mp/cwd")" = "$_q" ] || continue
		echo "t_setup: stopping a Postfix left by an earlier run: $_cf (pid $_mp)" >&2
		timeout 15 postfix -c "$_cf" stop >/dev/null 2>&1
	done
	rm -rf "$T_DIR" && mkdir -p "$T_DIR" || t_fail "cannot create $T_DIR"
}

# --- processes ---------------------------------------------------------------

# Prints the start time (field 22 of /proc/PID/stat) or nothing.  The command
# name (field 2) may contain spaces and parentheses: cut after the last ')'.
t_starttime() {
	[ -r "/proc/$1/stat" ] || return 1
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'
}

# t_running PID: true while PID exists and is not a zombie.
t_running() {
	_rst=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $1}')
	[ -n "$_rst" ] && [ "$_rst" != Z ] && [ "$_rst" != X ]
}

# t_pid PID: stop PID at cleanup (SIGTERM, up to 5 s, then SIGKILL).
t_pid() {
	case $1 in ''|*[!0-9]*) t_fail "t_pid: not a pid: '$1'";; esac
	_st=$(t_starttime "$1") || _st=gone
	T_PIDS="$1:$_st $T_PIDS"	# newest first: stopped in reverse order
}

# t_stop_pid PID [SECS]: SIGTERM, wait up to SECS (5), then SIGKILL.  Returns 0
# if it stopped on SIGTERM, 1 if it needed SIGKILL.
t_stop_pid() {
	_p=$1 _n=$(( ${2:-5} * 10 ))
	t_running "$_p" || return 0
	kill -TERM "$_p" 2>/dev/null
	while [ "$_n" -gt 0 ] && t_running "$_p"; do sleep 0.1; _n=$((_n - 1)); done
	t_running "$_p" || return 0
	echo "cleanup: pid $_p ignored SIGTERM for ${2:-5}s, sending SIGKILL" >&2
	kill -KILL "$_p" 2>/dev/null
	_n=20
	while [ "$_n" -gt 0 ] && t_running "$_p"; do sleep 0.1; _n=$((_n - 1)); done
	return 1
}

# t_wait_exit PID SECS: wait (bounded) until PID is gone or a zombie.
t_wait_exit() {
	_n=$(( $2 * 10 ))
	while t_running "$1"; do
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1; _n=$((_n - 1))
	done
	return 0
}

# --- network -----------------------------------------------------------------

# t_addr ADDR: put ADDR/32 (or /128) on lo unless it is there; removed at cleanup.
t_addr() {
	case $1 in *:*) _len=128;; *) _len=32;; esac
	if ip -o addr show dev lo | awk '{print $4}' | grep -qxF "$1/$_len"; then
		return 0
	fi
	ip addr add "$1/$_len" dev lo || t_fail "ip addr add $1/$_len dev lo failed"
	T_ADDRS="$T_ADDRS $1/$_len"
}

# t_port_open ADDR PORT: one connection attempt (bash's /dev/tcp, 2 s max).
t_port_open() {
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# t_wait_port ADDR PORT SECS: until ADDR:PORT accepts a connection.
t_wait_port() {
	_n=$(( $3 * 10 ))
	until t_port_open "$1" "$2"; do
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1; _n=$((_n - 1))
	done
	return 0
}

# t_listening ADDR PORT: is there a TCP listener that ADDR:PORT would reach
# (bound to ADDR itself or a wildcard address)?  Prints the ss lines.
t_listening() {
	ss -Hltn 2>/dev/null | awk -v a="$1" -v p="$2" '
		{ n = split($4, x, ":"); port = x[n]; host = substr($4, 1, length($4) - length(port) - 1) }
		port == p && (host == a || host == "[" a "]" || host == "0.0.0.0" || host == "*" || host == "[::]") { print; f = 1 }
		END { exit !f }'
}

# --- certificates ------------------------------------------------------------

# t_genkey FILE KEYTYPE: rsa2048 | rsa1024 | ec256
t_genkey() {
	case $2 in
	rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" ;;
	rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$1" ;;
	ec256)   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	             -pkeyopt ec_param_enc:named_curve -out "$1" ;;
	*) echo "unknown key type '$2' (rsa2048, rsa1024, ec256)" >&2; return 1 ;;
	esac
}

# t_ca DIR [KEYTYPE]: test CA in DIR (ca.key, ca.crt, ca.cnf and the `openssl ca`
# database), CN "mailsec test CA", valid from 1 day ago for 10 years.
# KEYTYPE rsa2048 (default) or ec256.  Prints nothing on success.
t_ca() {
	_d=$1 _kt=${2:-rsa2048}
	mkdir -p "$_d/newcerts" || t_fail "t_ca: cannot create $_d"
	: >"$_d/index.txt"
	echo "unique_subject = no" >"$_d/index.txt.attr"
	cat >"$_d/ca.cnf" <<EOF
# Minimal CA for the tests; \`openssl ca\` is used (not \`x509 -req\`) because
# OpenSSL 3.0 has no -not_before/-not_after there, and -startdate/-enddate
# here accept any window, expired or not yet valid.
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $_d
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = \$dir/ca.crt
private_key = \$dir/ca.key
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = mailsec test CA
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
	if ! { t_genkey "$_d/ca.key" "$_kt" &&
	       openssl req -new -config "$_d/ca.cnf" -key "$_d/ca.key" -out "$_d/ca.csr" &&
	       openssl ca -batch -notext -config "$_d/ca.cnf" -selfsign -keyfile "$_d/ca.key" \
	           -rand_serial -preserveDN -extensions v3_ca -extfile "$_d/ca.cnf" \
	           -startdate "$(t_gentime -1)" -enddate "$(t_gentime 3650)" \
	           -in "$_d/ca.csr" -out "$_d/ca.crt"; } >"$_d/ca.log" 2>&1; then
		cat "$_d/ca.log" >&2
		t_fail "t_ca $_d: openssl failed (log above)"
	fi
}

# t_gentime DAYS: now + DAYS days (DAYS may be negative) as YYYYMMDDHHMMSSZ.
t_gentime() {
	date -u -d "@$(( $(date +%s) + $1 * 86400 ))" +%Y%m%d%H%M%SZ
}

# t_cert DIR NAME CN SANS DAYS_BEFORE DAYS_AFTER [KEYTYPE]: leaf signed by the CA
# in DIR, valid from now-DAYS_BEFORE days to now+DAYS_AFTER days (either may be
# negative: DAYS_AFTER=-1 is expired since yesterday, DAYS_BEFORE=-1 is not
# valid before tomorrow).  SANS like "DNS:mail.test,IP:127.0.10.1" ("" for
# none).  KEYTYPE rsa2048 (default), rsa1024, ec256.  Writes DIR/NAME.key,
# DIR/NAME.crt and DIR/NAME.chain.pem (leaf then CA).  Prints nothing on success.
t_cert() {
	[ $# -ge 6 ] || t_fail "usage: t_cert DIR NAME CN SANS DAYS_BEFORE DAYS_AFTER [KEYTYPE]"
	_d=$1 _n=$2 _cn=$3 _sans=$4 _kt=${7:-rsa2048}
	[ -f "$_d/ca.crt" ] || t_fail "t_cert: no CA in $_d (call t_ca first)"
	case $_kt in ec*) _ku="digitalSignature";; *) _ku="digitalSignature, keyEncipherment";; esac
	{
		echo "[ leaf ]"
		echo "basicConstraints = critical, CA:FALSE"
		echo "keyUsage = critical, $_ku"
		echo "extendedKeyUsage = serverAuth"
		echo "subjectKeyIdentifier = hash"
		echo "authorityKeyIdentifier = keyid"
		[ -z "$_sans" ] || echo "subjectAltName = $_sans"
	} >"$_d/$_n.ext"
	if ! { t_genkey "$_d/$_n.key" "$_kt" &&
	       openssl req -new -key "$_d/$_n.key" -subj "/CN=$_cn" -out "$_d/$_n.csr" &&
	       openssl ca -batch -notext -config "$_d/ca.cnf" -rand_serial -preserveDN \
	           -extfile "$_d/$_n.ext" -extensions leaf \
	           -startdate "$(t_gentime $((-$5)))" -enddate "$(t_gentime "$6")" \
	           -in "$_d/$_n.csr" -out "$_d/$_n.crt"; } >"$_d/$_n.log" 2>&1; then
		cat "$_d/$_n.log" >&2
		t_fail "t_cert $_n: openssl failed (log above)"
	fi
	cat "$_d/$_n.crt" "$_d/ca.crt" >"$_d/$_n.chain.pem"
}

# t_cert_epoch FILE enddate|startdate: the certificate's notAfter/notBefore as
# a Unix time (from `openssl x509 -enddate -noout`).
t_cert_epoch() {
	_v=$(openssl x509 -in "$1" -noout "-$2" | sed 's/^[^=]*=//') &&
	date -u -d "$_v" +%s
}

# t_cert_serial FILE: what `openssl x509 -serial -noout` prints after "serial=".
t_cert_serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }

# t_cert_fp FILE: SHA-256 fingerprint, lowercase hex, no colons.
t_cert_fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^[^=]*=//; s/://g' |
		tr 'A-F' 'a-f'
}

# t_split_pem FILE PREFIX: writes each certificate of FILE to PREFIX.0.pem,
# PREFIX.1.pem, ... and prints their names, in order.
t_split_pem() {
	awk -v p="$2" '
		/-----BEGIN CERTIFICATE-----/ { f = p "." n++ ".pem"; print f; inside = 1 }
		inside { print > f }
		/-----END CERTIFICATE-----/ { inside = 0; close(f) }' "$1"
}

# --- clients -----------------------------------------------------------------

# t_sclient OUT ADDR PORT MODE SNI [openssl s_client args...]: one TLS session
# with openssl s_client (MODE "smtp": STARTTLS, "tls": implicit TLS), which
# sends QUIT after half a second; the whole output, with the presented chain
# (-showcerts), goes to OUT.  Returns s_client's status.
t_sclient() {
	_out=$1 _sa=$2 _sp=$3 _mode=$4 _sni=$5
	shift 5
	case $_mode in
	smtp) set -- -starttls smtp "$@" ;;
	tls) ;;
	*) t_fail "t_sclient: mode '$_mode' (smtp|tls)" ;;
	esac
	case $_sa in *:*) _sa="[$_sa]";; esac
	{ sleep 0.5; printf 'QUIT\r\n'; } |
		timeout 15 openssl s_client -connect "$_sa:$_sp" -servername "$_sni" \
			-showcerts -crlf "$@" >"$_out" 2>&1
}

# t_dialogue ADDR PORT COMMAND LAST QUIT: the server's greeting, then the
# answer to COMMAND up to the line matching the shell pattern LAST, one line
# each (CR stripped), then QUIT.  Plain TCP, no TLS.
t_dialogue() {
	timeout 10 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		IFS= read -r l <&3 || exit 1; printf "%s\n" "$l"
		printf "%s\r\n" "$2" >&3
		while IFS= read -r l <&3; do
			printf "%s\n" "$l"
			case $l in $3) break ;; esac
		done
		printf "%s\r\n" "$4" >&3; IFS= read -r l <&3
		exit 0' "$1" "$2" "$3" "$4" "$5" | tr -d '\r'
}

# t_smtp_ehlo ADDR PORT: greeting and EHLO reply.
t_smtp_ehlo() {
	t_dialogue "$1" "$2" "EHLO client.test" '[0-9][0-9][0-9] *' QUIT
}

# t_http OUT METHOD URL: HTTP status code on stdout ("000" if no answer);
# body in OUT, headers in OUT.headers.
t_http() {
	_o=$1 _m=$2 _u=$3
	set -- -s -o "$_o" -D "$_o.headers" -w '%{http_code}' --max-time 20
	[ "$_m" = POST ] && set -- "$@" --data ''
	[ "$_m" = GET ] || [ "$_m" = POST ] || set -- "$@" -X "$_m"
	curl "$@" "$_u" 2>/dev/null || :
}

# --- Postfix -----------------------------------------------------------------
#
# What it takes to run a private Postfix instance here (Postfix 3.7, Debian 12,
# installed with "No configuration", so there is no /etc/postfix/main.cf):
# - `postfix -c DIR start` works as root with any DIR: the
#   alternate_config_directories / multi_instance_directories lists of the
#   default main.cf are only consulted for unprivileged callers and by
#   postmulti / the set-gid postdrop; nothing needs registering.
# - The default instance's /etc/postfix stays the meta_directory (postfix-files,
#   dynamicmaps.cf), so `postfix -c DIR check` creates our queue_directory
#   (owned by root, subdirs by postfix) and data_directory (owned by postfix).
#   Every path component above them must be searchable by user postfix.
# - maillog_file must match maillog_file_prefixes (default "/var, /dev/stdout"),
#   else master refuses to start: we set the prefix to the instance dir.  The
#   maillog_file needs the postlog (postlogd) service in master.cf.
# - All services run with chroot=n (Debian's master.cf chroots, which would
#   need a copy of /etc files etc. inside the queue dir).
# - The default local_recipient_maps (proxy:unix:passwd.byname) makes every
#   smtpd block before the banner retrying private/proxymap forever when the
#   service is absent: we empty it (and keep proxymap anyway).
# - smtpd uses anvil (connection limits, default on), tlsmgr (TLS PRNG/cache)
#   and, for real mail, cleanup/rewrite/qmgr: those internal unix services are
#   kept; the only network listeners are smtp (and optionally 465/587) on ADDR.
# - Postfix re-reads a config file whose mtime is "now" every 300 ms for ~2.5
#   s (it may still be being written): the files are backdated by 10 s,
#   which makes check+start take ~0.4 s instead of ~3 s.
# - Early fatal errors of the postfix command go only to syslog (there is no
#   /dev/log here) or to a terminal: t_postfix_cmd reruns it under script(1).
# - The master pid is in $queue_directory/pid/master.pid.

# t_postfix_cmd NAME CONFDIR COMMAND: postfix -c CONFDIR COMMAND, or t_fail
# with the reason.  The postfix command reports its early fatal errors (bad
# main.cf, ADDR not on an interface, ...) only to syslog, which is absent
# here, and to stderr only when that is a terminal: rerun under script(1)
# to show them.
t_postfix_cmd() {
	_pb="$T_DIR/$1"
	postfix -c "$2" "$3" >"$_pb/$3.log" 2>&1 && return 0
	echo "postfix -c $2 $3 failed; its messages:" >&2
	(cd "$_pb/queue" 2>/dev/null; script -qec "postfix -c '$2' $3" /dev/null </dev/null) 2>&1 |
		sed 's/^/    /' >&2
	cat "$_pb/$3.log" >&2
	[ -f "$_pb/maillog" ] && tail -n 20 "$_pb/maillog" | sed 's/^/    maillog: /' >&2
	t_fail "postfix $1: postfix -c $2 $3 failed (messages above)"
}

# t_postfix_start NAME ADDR HOSTNAME [+submission] [+smtps] [main.cf lines...]
t_postfix_start() {
	[ $# -ge 3 ] || t_fail "usage: t_postfix_start NAME ADDR HOSTNAME [+submission] [+smtps] [main.cf lines...]"
	_name=$1 _a=$2 _h=$3
	shift 3
	_base="$T_DIR/$_name"
	_cf="$_base/etc"
	rm -rf "$_base"
	# postfix(1) chdir()s to queue_directory before anything else: it must
	# exist; `check` (post-install create-missing) makes its subdirectories.
	mkdir -p "$_cf" "$_base/queue" || t_fail "cannot create $_base"
	case $_a in
	*:*) _proto=all _listen="[$_a]" ;;
	*)   _proto=ipv4 _listen=$_a ;;
	esac
	_sub= _smtps=
	{
		cat <<EOF
# Private test instance '$_name', written by tests/lib/common.sh.
compatibility_level = 3.6
queue_directory = $_base/queue
data_directory = $_base/data
maillog_file = $_base/maillog
maillog_file_prefixes = $_base
inet_interfaces = $_a
inet_protocols = $_proto
myhostname = $_h
mydestination =
relayhost =
default_transport = error
local_transport = error
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtpd_banner = \$myhostname ESMTP test
# No DNS at all: only loopback traffic in tests, and no waiting on a
# resolver before the banner.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtpd_tls_loglevel = 1
EOF
		for _l in "$@"; do
			case $_l in
			+submission) _sub=1 ;;
			+smtps) _smtps=1 ;;
			+*) t_fail "t_postfix_start: unknown option '$_l'" ;;
			*) printf '%s\n' "$_l" ;;
			esac
		done
	} >"$_cf/main.cf"
	{
		echo "# service type private unpriv chroot wakeup maxproc command"
		echo "$_listen:25 inet n - n - - smtpd"
		[ -z "$_sub" ] || printf '%s\n' "$_listen:587 inet n - n - - smtpd" \
			"  -o syslog_name=postfix/submission"
		[ -z "$_smtps" ] || printf '%s\n' "$_listen:465 inet n - n - - smtpd" \
			"  -o syslog_name=postfix/smtps" "  -o smtpd_tls_wrappermode=yes" \
			"  -o smtpd_tls_security_level=encrypt"
		cat <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
proxymap  unix  -       -       n       -       -       proxymap
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	} >"$_cf/master.cf"
	for _p in 25 ${_sub:+587} ${_smtps:+465}; do
		if _l=$(t_listening "$_a" "$_p"); then
			t_fail "postfix $_name: something already listens where $_a:$_p goes: $_l"
		fi
	done
	# Postfix waits (300 ms at a time, ~2.5 s) while a config file's mtime is
	# "now", in case it is still being written: backdate them.
	touch -d "@$(( $(date +%s) - 10 ))" "$_cf/main.cf" "$_cf/master.cf"
	# check creates the queue/data dirs with the right owners and modes.
	t_postfix_cmd "$_name" "$_cf" check
	T_POSTFIX="$_cf $T_POSTFIX"
	t_postfix_cmd "$_name" "$_cf" start
	_pidf="$_base/queue/pid/master.pid"
	_n=50
	while [ ! -s "$_pidf" ] && [ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	_mp=$(tr -dc 0-9 2>/dev/null <"$_pidf")
	[ -n "$_mp" ] || t_fail "postfix $_name: no master pid in $_pidf"
	t_pid "$_mp"
	for _p in 25 ${_sub:+587} ${_smtps:+465}; do
		if ! t_wait_port "$_a" "$_p" 10; then
			[ -f "$_base/maillog" ] && tail -n 20 "$_base/maillog" >&2
			t_fail "postfix $_name: $_a:$_p does not accept connections after 10s"
		fi
	done
}

# --- metrics -----------------------------------------------------------------

# t_metric_value FILE 'name{labels}': prints the value of the sample whose
# name+labels are exactly the given string; returns 1 if there is none.
t_metric_value() {
	awk -v k="$2" '
		index($0, k " ") == 1 { r = substr($0, length(k) + 2); sub(/^ +/, "", r);
		                        split(r, v, " "); print v[1]; f = 1; exit }
		END { exit !f }' "$1"
}

# t_metric_lines FILE NAME: every sample line of metric NAME.
t_metric_lines() {
	awk -v n="$2" 'index($0, n "{") == 1 || index($0, n " ") == 1' "$1"
}

# t_num_eq A B: numeric equality (NaN/+Inf/-Inf compared as words).
t_num_eq() {
	case "$1$2" in
	*[Nn]a[Nn]*|*[Ii]nf*) [ "$1" = "$2" ] || { [ "${1#+}" = "${2#+}" ]; }; return ;;
	esac
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0 && a ~ /^[-+0-9.eE]+$/) }'
}

# t_assert_metric FILE 'name{labels}' VALUE: the exact sample exists (labels
# in this order) and its value equals VALUE numerically.
t_assert_metric() {
	_k=$2 _want=$3
	_mname=${_k%%\{*}
	if ! _got=$(t_metric_value "$1" "$_k"); then
		echo "FAIL: no sample $_k (want $_want) in $1; samples of $_mname:" >&2
		t_metric_lines "$1" "$_mname" | sed 's/^/    /' >&2
		t_metric_lines "$1" "$_mname" | grep -q . || echo "    (none)" >&2
		exit 1
	fi
	if ! t_num_eq "$_got" "$_want"; then
		echo "FAIL: $_k = $_got, want $_want; samples of $_mname:" >&2
		t_metric_lines "$1" "$_mname" | sed 's/^/    /' >&2
		exit 1
	fi
	echo "ok: $_k $_got"
}

# t_assert_absent FILE 'name{labels}': no such sample.  If the argument does
# not end with '}' it is a prefix: 'name{a="x",' matches any further labels,
# a bare 'name' matches every sample of that metric.
t_assert_absent() {
	_k=$2
	_mname=${_k%%\{*}
	case $_k in
	*\}) _hits=$(awk -v k="$_k" 'index($0, k " ") == 1' "$1") ;;
	*\{*) _hits=$(awk -v k="$_k" 'index($0, k) == 1' "$1") ;;
	*) _hits=$(t_metric_lines "$1" "$_k") ;;
	esac
	if [ -n "$_hits" ]; then
		echo "FAIL: expected no sample matching $_k in $1, found:" >&2
		printf '%s\n' "$_hits" | sed 's/^/    /' >&2
		exit 1
	fi
	echo "ok: absent $_k"
}

# --- cleanup -----------------------------------------------------------------

# t_cleanup: stop the Postfix instances, then every registered pid (newest
# first), then remove the loopback addresses t_addr added.  Idempotent.
t_cleanup() {
	_rc=$?
	[ -z "$T_CLEANED" ] || return 0
	T_CLEANED=1
	trap - EXIT INT TERM
	for _cf in $T_POSTFIX; do
		timeout 15 postfix -c "$_cf" stop >/dev/null 2>&1
	done
	for _e in $T_PIDS; do
		_p=${_e%%:*} _st=${_e#*:}
		# Only a process that still has the start time recorded at t_pid.
		[ "$(t_starttime "$_p" 2>/dev/null)" = "$_st" ] || continue
		t_stop_pid "$_p" 5
		wait "$_p" 2>/dev/null	# reap it if it is our child
	done
	for _a in $T_ADDRS; do
		ip addr del "$_a" dev lo 2>/dev/null ||
			echo "cleanup: ip addr del $_a dev lo failed" >&2
	done
	T_PIDS= T_ADDRS= T_POSTFIX=
	return $_rc
}
