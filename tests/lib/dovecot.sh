# Dovecot instances for the integration tests; sourced after common.sh.
#
# t_dovecot_start NAME ADDR CERT KEY [extra dovecot.conf lines...]
#   Starts a private Dovecot (IMAP 143/993, POP3 110/995) on ADDR with the
#   given certificate, from its own config under $T_DIR/NAME, registers its
#   master pid for cleanup and waits for the four ports.  Plain-text login
#   is disabled by default (LOGINDISABLED, no USER before STLS); pass
#   "disable_plaintext_auth = no" to allow it.
#   Do NOT put ADDR on lo (t_addr): Dovecot binds any 127/8 address anyway,
#   and a client then connects from 127.0.0.1.  With ADDR on lo the client's
#   source address equals the server's, and Dovecot counts such a
#   connection as secure and offers plain-text login whatever the config.
t_dovecot_start() {
	[ $# -ge 4 ] || t_fail "usage: t_dovecot_start NAME ADDR CERT KEY [conf lines...]"
	_dname=$1 _da=$2 _dcert=$3 _dkey=$4
	shift 4
	[ -n "$T_DIR" ] || t_fail "t_dovecot_start: call t_setup first"
	_dbase="$T_DIR/$_dname"
	rm -rf "$_dbase"
	mkdir -p "$_dbase/run" "$_dbase/state" || t_fail "cannot create $_dbase"
	# Dovecot's login processes run as dovenull and must reach base_dir.
	chmod 755 "$_dbase" "$_dbase/run"
	_extra=$(for _l in "$@"; do printf '%s\n' "$_l"; done)
	case "$_extra" in
	*disable_plaintext_auth*) _dpa= ;;
	*) _dpa="disable_plaintext_auth = yes" ;;
	esac
	cat >"$_dbase/dovecot.conf" <<EOF
# Private test instance '$_dname', written by tests/lib/dovecot.sh.
base_dir = $_dbase/run
state_dir = $_dbase/state
instance_name = mailsec-$_dname
log_path = $_dbase/dovecot.log
protocols = imap pop3
listen = $_da
ssl = yes
ssl_cert = <$_dcert
ssl_key = <$_dkey
ssl_dh = </usr/share/dovecot/dh.pem
auth_mechanisms = plain login
$_dpa
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$_dbase/home
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = $_da
    port = 143
  }
  inet_listener imaps {
    address = $_da
    port = 993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = $_da
    port = 110
  }
  inet_listener pop3s {
    address = $_da
    port = 995
    ssl = yes
  }
}
$_extra
EOF
	# Dovecot keeps stdout/stderr open: close them or the caller's pipe
	# never ends.
	dovecot -c "$_dbase/dovecot.conf" </dev/null >"$_dbase/start.log" 2>&1 ||
		{ cat "$_dbase/start.log" "$_dbase/dovecot.log" 2>/dev/null >&2;
		  t_fail "dovecot $_dname did not start (log above)"; }
	_dn=50
	while [ ! -s "$_dbase/run/master.pid" ] && [ "$_dn" -gt 0 ]; do
		sleep 0.1; _dn=$((_dn - 1))
	done
	_dpid=$(tr -dc 0-9 <"$_dbase/run/master.pid" 2>/dev/null)
	[ -n "$_dpid" ] || t_fail "dovecot $_dname: no master pid"
	t_pid "$_dpid"
	for _p in 143 993 110 995; do
		t_wait_port "$_da" "$_p" 10 ||
			{ tail -n 20 "$_dbase/dovecot.log" >&2;
			  t_fail "dovecot $_dname: $_da:$_p not listening after 10s"; }
	done
}
