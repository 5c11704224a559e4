#!/bin/sh
# Installs the Debian packages `make bench` needs, only those missing: nginx
# with its mail module (the STARTTLS server), NSD, blackbox_exporter,
# testssl.sh, python3 (the driver) and unshare.  No daemon is left running:
# a temporary policy-rc.d keeps the packages' own services from starting.
set -u
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH

PKGS="nginx-light libnginx-mod-mail nsd prometheus-blackbox-exporter testssl.sh
	python3 util-linux openssl iproute2 ldnsutils"
CMDS="nginx-light:nginx nsd:nsd prometheus-blackbox-exporter:prometheus-blackbox-exporter
	testssl.sh:testssl python3:python3 util-linux:unshare openssl:openssl ldnsutils:ldns-signzone"

installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null |
	awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }')
missing=
for p in $PKGS; do
	printf '%s\n' "$installed" | grep -qxF "$p" || missing="$missing $p"
done
# Any nginx flavour with the mail module will do: do not pull nginx-light
# onto a machine that has nginx-core or nginx-full.
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
[ -f /usr/lib/nginx/modules/ngx_mail_module.so ] ||
	case " $missing " in *" libnginx-mod-mail "*) ;; *) missing="$missing libnginx-mod-mail" ;; esac
missing=$(echo $missing)
if [ -z "$missing" ]; then
	echo "bench deps: all present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "bench deps: missing: $missing; as root: apt-get install $missing" >&2
	exit 1
fi
policy=/usr/sbin/policy-rc.d own_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from mailsec_exporter bench/deps.sh\nexit 101\n' >"$policy" &&
		chmod 755 "$policy" && own_policy=1
fi
restore() { [ -z "$own_policy" ] || rm -f "$policy"; own_policy=; }
trap 'restore' EXIT
trap 'restore; exit 130' INT
trap 'restore; exit 143' TERM
log=$(mktemp /tmp/mailsec-bench-deps.XXXXXX) || exit 1
export DEBIAN_FRONTEND=noninteractive
ok=1
apt-get -q update >"$log" 2>&1 || ok=
# shellcheck disable=SC2086
[ -z "$ok" ] || apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends \
	$missing >>"$log" 2>&1 || ok=
restore
if [ -z "$ok" ]; then
	tail -n 30 "$log" >&2
	echo "bench deps: apt-get failed installing: $missing (log: $log)" >&2
	exit 1
fi
rm -f "$log"
echo "bench deps: installed $missing"
