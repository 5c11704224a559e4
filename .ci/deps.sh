#!/bin/sh
# Installs the Debian packages that the build and the tests need, only those
# that are missing.  `sh .ci/deps.sh build` (make deps, make run): what
# building and running need; `sh .ci/deps.sh demo` (make demo): that and the
# servers the demo starts (deploy/demo/demo.sh); `sh .ci/deps.sh` (make test,
# CI): that and the test suite's servers and tools.  Prints one line: what it installed, or
# "deps: all present".  Quick and silent when everything is there: one
# dpkg-query and a few `command -v`.
set -u
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH

BUILD_PKGS="gcc make pkg-config libevent-dev libssl-dev libc-ares-dev
	libmicrohttpd-dev libinih-dev libpsl-dev libcrypt-dev libunbound-dev
	libcurl4-openssl-dev libyaml-dev zlib1g-dev libgnutls28-dev ca-certificates dns-root-data"
TEST_PKGS="clang postfix dovecot-imapd dovecot-pop3d nsd ldnsutils nginx-light
	prometheus curl openssl valgrind libclang-rt-14-dev iproute2 procps systemd
	chromium debootstrap"
# "package:command" pairs: a package whose command is gone counts as missing.
BUILD_CMDS="gcc:gcc make:make pkg-config:pkg-config"
TEST_CMDS="clang:clang postfix:postfix dovecot-imapd:dovecot nsd:nsd
	ldnsutils:ldns-signzone nginx-light:nginx prometheus:promtool curl:curl
	openssl:openssl valgrind:valgrind iproute2:ip procps:ps debootstrap:debootstrap"
DEMO_PKGS="postfix dovecot-imapd dovecot-pop3d nsd curl openssl iproute2"
DEMO_CMDS="postfix:postfix dovecot-imapd:dovecot nsd:nsd curl:curl openssl:openssl
	iproute2:ip"
case ${1:-} in
build) TEST_PKGS='' TEST_CMDS='' ;;
demo) TEST_PKGS=$DEMO_PKGS TEST_CMDS=$DEMO_CMDS ;;
esac
CMDS="$BUILD_CMDS $TEST_CMDS"

# One dpkg-query for all; packages it does not know print nothing on stdout.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $BUILD_PKGS $TEST_PKGS 2>/dev/null |
	awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }')
missing=
for p in $BUILD_PKGS $TEST_PKGS; do
	printf '%s\n' "$installed" | grep -qxF "$p" || missing="$missing $p"
done
# Any nginx flavour will do (the benchmark installs nginx-light too).
case " $missing " in *" nginx-light "*)
	if command -v nginx >/dev/null 2>&1; then
		missing=$(printf '%s\n' $missing | grep -vxF nginx-light | tr '\n' ' ')
	fi ;;
esac
for pc in $CMDS; do
	p=${pc%%:*} c=${pc#*:}
	command -v "$c" >/dev/null 2>&1 && continue
	case " $missing " in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
missing=${missing# }

if [ -z "$missing" ]; then
	echo "deps: all present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing: $missing; as root run: apt-get update &&" \
		"apt-get install --no-install-recommends $missing" >&2
	exit 1
fi

log=$(mktemp /tmp/mailsec-deps.XXXXXX) || exit 1
export DEBIAN_FRONTEND=noninteractive
# Installing a daemon package must not leave the system's daemon running.  A
# policy-rc.d that answers 101 makes invoke-rc.d / deb-systemd-invoke skip the
# start; use a temporary one if the machine has none (and remove only ours).
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from mailsec_exporter .ci/deps.sh\nexit 101\n' >"$policy" &&
		chmod 755 "$policy" && own_policy=1
fi
restore() { [ -z "$own_policy" ] || rm -f "$policy"; own_policy=; }
trap 'restore' EXIT
trap 'restore; exit 130' INT
trap 'restore; exit 143' TERM

# Were the daemons running before? Only stop what this install started.
pf_pid() { sed -n '1s/[^0-9]//gp' /var/spool/postfix/pid/master.pid 2>/dev/null; }
nsd_pidfile() {
	f=$(nsd-checkconf -o pidfile /etc/nsd/nsd.conf 2>/dev/null) || f=
	echo "${f:-/run/nsd/nsd.pid}"
}
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
pf_before=$(pf_pid); alive "$pf_before" || pf_before=
nsd_before=$(cat "$(nsd_pidfile)" 2>/dev/null); alive "$nsd_before" || nsd_before=

echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
ok=1
apt-get -q update >"$log" 2>&1 || ok=
# shellcheck disable=SC2086
[ -z "$ok" ] || apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends \
	$missing >>"$log" 2>&1 || ok=
restore

# If a postinst started a daemon after all (no policy-rc.d honoured), stop it.
case " $missing " in *" postfix "*)
	pid=$(pf_pid)
	if alive "$pid" && [ -z "$pf_before" ]; then
		postfix stop >>"$log" 2>&1 || kill "$pid" 2>/dev/null
	fi ;;
esac
case " $missing " in *" nsd "*)
	pid=$(cat "$(nsd_pidfile)" 2>/dev/null)
	if alive "$pid" && [ -z "$nsd_before" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nsd ]; then
		kill "$pid" 2>/dev/null
	fi ;;
esac

if [ -z "$ok" ]; then
	tail -n 30 "$log" >&2
	echo "deps: apt-get failed installing: $missing (log: $log)" >&2
	exit 1
fi
for pc in $CMDS; do
	p=${pc%%:*} c=${pc#*:}
	command -v "$c" >/dev/null 2>&1 || { echo "deps: $p installed but $c not found" >&2; exit 1; }
done
rm -f "$log"
echo "deps: installed $missing"
