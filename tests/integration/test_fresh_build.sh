#!/bin/sh
# The first command on a fresh machine (issue 12): in a Debian 12 root made
# with Debian's own tools (debootstrap --variant=minbase: the base system and
# nothing else, no compiler, no -dev package, no make), a clean `git clone` of
# this checkout's HEAD, and there exactly what a user types as root:
#
#   apt-get install make        (a fresh Debian 12 has no make)
#   make run
#
# `make run` must install the build packages itself (apt, inside the root),
# build on the first try and start the daemon, which must serve /metrics on
# 127.0.0.1:9925 (exporter.ini.example, as shipped).  From outside: /-/ready,
# /metrics checked by promtool and line by line, the status page; then the
# daemon is stopped by its pid and everything is torn down.  Also checked:
# `make run` installed none of the test suite's servers and tools.
#
# It fails on the Makefile of 5b0c627, whose link flags were computed when
# the Makefile was read (before `make deps` had installed the -dev packages).
#
# Needs Debian's package mirror (the host's APT sources), so it runs in the
# host's network namespace: the daemon listens on 127.0.0.1:9925, checked to
# be free first; no other test uses that port.  Where the mirror cannot be
# reached (inside a network namespace of its own) it is skipped (exit 77),
# except under CI=true, where that is a failure.
#
# The chroot's mounts (/proc, /sys, /dev, /dev/pts, the apt archive cache)
# are made in a mount namespace of their own (unshare --mount): they are
# undone at the end, and even a SIGKILL cannot leave one behind on the host.
# The bare debootstrap root is cached as a tarball, and apt's package lists
# and the .deb files it downloads are kept (bind-mounted into the root),
# under /var/cache/mailsec_exporter/: repeated runs on one machine skip
# debootstrap and the downloads, not the installs; a new machine makes them.
. "$(dirname "$0")/../lib/common.sh"

SUITE=bookworm
CACHE=${MAILSEC_CACHE:-/var/cache/mailsec_exporter}
ADDR=127.0.0.1 PORT=9925	# exporter.ini.example's listen
RUN_SECS=${FRESH_RUN_SECS:-600}	# apt-get + build + first listen, cold
OUT="$T_ROOT/tests/out/fresh_build"
ROOT="$OUT/root"
# The test suite's own servers and tools (.ci/deps.sh TEST_PKGS without the
# generic ones a build package may pull in): `make run` installs none.
TEST_ONLY="clang postfix dovecot-imapd dovecot-pop3d nsd ldnsutils nginx-light
	prometheus valgrind chromium debootstrap"

skip() {
	if [ "${CI:-}" = true ]; then t_fail "$* (not skipped under CI=true)"; fi
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" -eq 0 ] || t_fail "needs root (debootstrap, chroot, mount)"
for c in debootstrap unshare chroot mount umount flock git curl promtool ss tar; do
	command -v "$c" >/dev/null 2>&1 || t_fail "$c not found (sh .ci/deps.sh installs the test tools)"
done

# mounts_under DIR: mount points at or below DIR in this mount namespace,
# deepest first (mountinfo field 5; octal escapes such as \040 decoded).
mounts_under() {
	awk -v d="$1" '{ p = $5; gsub(/\\040/, " ", p); gsub(/\\011/, "\t", p)
		if (p == d || index(p, d "/") == 1) print length(p) " " p }' \
	    /proc/self/mountinfo | sort -rn | cut -d' ' -f2-
}

# Processes whose root directory is the chroot (ours: nothing else is
# chrooted there): `make run` and all it started (apt-get, dpkg, cc, the
# daemon).  Stopping the runner does not stop them, and a run that was
# SIGKILLed may have left them behind.
chroot_pids() {
	for _d in /proc/[0-9]*; do
		case $(readlink "$_d/root" 2>/dev/null) in
		"$ROOT"|"$ROOT (deleted)") echo "${_d#/proc/}" ;;
		esac
	done
}
# chroot_stop: SIGTERM to each of them, up to 5 s, then SIGKILL; again while
# any is left (a dying parent may have started one), at most 5 rounds.
chroot_stop() {
	_round=0
	while _ps=$(chroot_pids) && [ -n "$_ps" ] && [ "$_round" -lt 5 ]; do
		_round=$((_round + 1))
		echo "stopping what runs in the root: $(for _p in $_ps; do printf '%s(%s) ' "$_p" "$(cat "/proc/$_p/comm" 2>/dev/null)"; done)" >&2
		# shellcheck disable=SC2086
		kill -TERM $_ps 2>/dev/null
		_n=50
		while [ "$_n" -gt 0 ] && [ -n "$(chroot_pids)" ]; do sleep 0.1; _n=$((_n - 1)); done
		_ps=$(chroot_pids)
		# shellcheck disable=SC2086
		[ -z "$_ps" ] || { kill -KILL $_ps 2>/dev/null; sleep 0.5; }
	done
	[ -z "$(chroot_pids)" ]
}

# One run at a time per machine (the cache, the port, $OUT).  A debootstrap
# left running by a SIGKILLed run keeps the lock (fd 9) until it ends; what
# runs in the chroot does not (9>&-), and is stopped below.
mkdir -p "$CACHE/apt-archives/partial" "$CACHE/apt-lists/partial" || t_fail "cannot create $CACHE"
exec 9>"$CACHE/fresh_build.lock"
flock -w 900 9 || t_fail "another fresh-build run holds $CACHE/fresh_build.lock"

# Before t_setup empties $OUT: nothing of an earlier run may still use it.
chroot_stop || t_fail "processes left in $ROOT by an earlier run cannot be stopped: $(chroot_pids)"
for m in $(mounts_under "$OUT"); do
	umount "$m" 2>/dev/null || umount -l "$m" ||
		t_fail "$m is mounted (an earlier run?) and cannot be unmounted"
done
[ -z "$(mounts_under "$OUT")" ] || t_fail "mounts left under $OUT: $(mounts_under "$OUT")"

t_setup fresh_build
daemon=
fresh_cleanup() {
	_frc=$?
	trap - EXIT INT TERM
	# The daemon first, by its pid (t_cleanup), then what else is left in the
	# root, then the runner (its mounts go with it).
	for _e in $T_PIDS; do
		[ "${_e%%:*}" = "$daemon" ] && [ "$(t_starttime "$daemon" 2>/dev/null)" = "${_e#*:}" ] &&
			t_stop_pid "$daemon" 10
	done
	chroot_stop || { echo "cleanup: cannot stop: $(chroot_pids)" >&2; [ "$_frc" -ne 0 ] || _frc=1; }
	t_cleanup
	# Not expected (the chroot's mounts live in the unshared namespace),
	# but nothing is removed while anything is mounted below it.
	for _m in $(mounts_under "$OUT"); do
		echo "cleanup: unmounting $_m" >&2
		umount "$_m" 2>/dev/null || umount -l "$_m"
	done
	if [ -n "$(mounts_under "$OUT")" ] || [ -n "$(chroot_pids)" ]; then
		echo "cleanup: mounts or processes left under $OUT, not removing it:" \
		    "$(mounts_under "$OUT") $(chroot_pids)" >&2
		[ "$_frc" -ne 0 ] || _frc=1
	elif [ -d "$ROOT" ]; then
		rm -rf --one-file-system "$ROOT" "$OUT/base"
	fi
	exit "$_frc"
}
trap 'fresh_cleanup' EXIT

# --- the mirror ------------------------------------------------------------------
# The first Debian mirror of the host's APT sources that carries $SUITE:
# one-line sources.list format or deb822 .sources stanzas.
mirror_from_sources() {
	for _f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$_f" ] || continue
		# deb [options] URI SUITE COMPONENTS...
		awk -v s="$SUITE" '$1 == "deb" { sub(/\[[^]]*\]/, ""); $0 = $0
			if ($3 == s) { print $2; exit } }' "$_f"
	done
	for _f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$_f" ] || continue
		awk -v s="$SUITE" '
			function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") && uris != "") { split(uris, u, " "); print u[1]; found = 1; exit } types = suites = uris = "" }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "uris:" { $1 = ""; uris = $0 }
			END { if (!found) flush() }' "$_f"
	done
}
MIRROR=$(mirror_from_sources | head -n 1)
MIRROR=${MIRROR%/}
case $MIRROR in
http://*|https://*) ;;
*) t_fail "no http(s) Debian mirror for $SUITE in /etc/apt/sources.list{,.d/} (found '${MIRROR}')" ;;
esac
hostport=${MIRROR#*://}; hostport=${hostport%%/*}
mhost=${hostport%:*} mport=${hostport##*:}
[ "$mport" != "$hostport" ] || { case $MIRROR in https:*) mport=443;; *) mport=80;; esac; }
t_log "mirror: $MIRROR"
timeout 10 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$mhost" "$mport" 2>/dev/null ||
	skip "Debian's mirror $mhost:$mport cannot be reached (a network namespace?): this test runs on the host's"

if _l=$(t_listening "$ADDR" "$PORT"); then
	t_fail "$ADDR:$PORT, where \`make run\` listens, is taken (stop that first): $_l"
fi

# --- the bare base root, cached ---------------------------------------------
ARCH=$(dpkg --print-architecture)
BASE="$CACHE/debian-$SUITE-minbase-$ARCH.tar"
UNSAFE_IO=90mailsec-test-unsafe-io
# Written whole (renamed from .tmp), made again when 30 days old or from
# another mirror, removed if it does not unpack.
if [ -s "$BASE" ] && [ "$(cat "$BASE.mirror" 2>/dev/null)" = "$MIRROR" ] &&
    [ -z "$(find "$BASE" -mtime +30)" ]; then
	t_log "base root: $BASE (cached)"
else
	t_log "base root: debootstrap --variant=minbase $SUITE from $MIRROR"
	_t0=$(date +%s)
	# debootstrap mounts /proc and /sys in the target while it works: in a
	# mount namespace of its own, so that even a killed debootstrap leaves
	# nothing mounted here.
	# dpkg in the target reads its dpkg.cfg.d as soon as it is unpacked:
	# no fsync per file while it installs (the bare root is rebuilt from
	# scratch if anything goes wrong).  Not kept in the tarball.
	mkdir -p "$OUT/base/etc/dpkg/dpkg.cfg.d" &&
		echo force-unsafe-io >"$OUT/base/etc/dpkg/dpkg.cfg.d/$UNSAFE_IO" ||
		t_fail "cannot create $OUT/base"
	unshare --mount --propagation private \
	    debootstrap --variant=minbase "$SUITE" "$OUT/base" "$MIRROR" \
	    >"$T_DIR/debootstrap.log" 2>&1 || {
		tail -n 20 "$T_DIR/debootstrap.log" >&2
		t_fail "debootstrap failed (log: $T_DIR/debootstrap.log)"
	}
	rm -f "$OUT/base/etc/dpkg/dpkg.cfg.d/$UNSAFE_IO"
	tar -C "$OUT/base" -cf "$BASE.tmp" . || t_fail "cannot write $BASE.tmp"
	printf '%s\n' "$MIRROR" >"$BASE.mirror" && mv "$BASE.tmp" "$BASE" ||
		t_fail "cannot write $BASE"
	rm -rf --one-file-system "$OUT/base"
	t_log "base root made in $(( $(date +%s) - _t0 ))s: $(du -h "$BASE" | cut -f1)"
fi
mkdir -p "$ROOT" && tar -C "$ROOT" -xf "$BASE" || { rm -f "$BASE"; t_fail "cannot unpack $BASE (removed)"; }
for c in make gcc cc pkg-config; do
	[ ! -e "$ROOT/usr/bin/$c" ] || t_fail "the base root has $c: it is not a bare base system"
done
dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f '${Package}\n' | sort >"$T_DIR/pkgs.before"
# What every installed machine has and a debootstrap root lacks: name
# resolution for the host's network, and the localhost lines of /etc/hosts.
cat /etc/resolv.conf >"$ROOT/etc/resolv.conf" || t_fail "cannot copy /etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
# A throwaway root: dpkg need not fsync every file it unpacks (as in
# Debian's container images).  It changes what takes time, not what is
# installed.
echo force-unsafe-io >"$ROOT/etc/dpkg/dpkg.cfg.d/$UNSAFE_IO"

# --- a clean clone of HEAD ----------------------------------------------------
HEAD=$(git -C "$T_ROOT" rev-parse HEAD) || t_fail "$T_ROOT is not a git checkout"
git -C "$T_ROOT" diff --quiet HEAD -- 2>/dev/null ||
	t_log "note: uncommitted changes in $T_ROOT are not tested (the clone is of HEAD)"
SRC=/root/mailsec_exporter
git clone -q --no-hardlinks --no-checkout "$T_ROOT" "$ROOT$SRC" &&
	git -C "$ROOT$SRC" checkout -q --detach "$HEAD" || t_fail "git clone of $T_ROOT failed"
t_log "clone of $HEAD in $ROOT$SRC"

# --- make run, as typed, in the chroot -----------------------------------------
# Runs in its own mount namespace (unshare execs it: its pid is the test's
# child).  Every mount is undone on the way out; the last line says whether
# any is left.
cat >"$T_DIR/inner.sh" <<'EOF'
set -u
root=$1 cache=$2 src=$3
mounted=
undo() {
	for m in $mounted; do umount "$m" || umount -l "$m"; done
	mounted=
	left=$(awk -v d="$root" 'index($5, d "/") == 1 || $5 == d { print $5 }' /proc/self/mountinfo)
	echo "inner: mounts left: ${left:-none}"
}
trap 'rc=$?; undo; exit $rc' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
mnt() {	# mount point, mount arguments...
	m=$1; shift
	mount "$@" "$m" || exit 1
	mounted="$m $mounted"
}
mnt "$root/proc" -t proc proc
mnt "$root/sys" -t sysfs sysfs
mnt "$root/dev" --bind /dev
mnt "$root/dev/pts" --bind /dev/pts
mnt "$root/var/cache/apt/archives" --bind "$cache/apt-archives"
mnt "$root/var/lib/apt/lists" --bind "$cache/apt-lists"
echo "inner: mounted: $mounted"
chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/sh -c 'cd "$1" || exit 1
	echo "+ apt-get update && apt-get install -y make"
	apt-get -q update >/tmp/apt.log 2>&1 &&
	    DEBIAN_FRONTEND=noninteractive apt-get -q install -y make >>/tmp/apt.log 2>&1 ||
	    { tail -n 20 /tmp/apt.log; exit 1; }
	echo "+ make run"
	exec make run' sh "$src"
rc=$?
echo "inner: make run exited with status $rc"
exit $rc
EOF
t0=$(date +%s)
unshare --mount --propagation private \
    sh "$T_DIR/inner.sh" "$ROOT" "$CACHE" "$SRC" >"$T_DIR/run.log" 2>&1 9>&- &
inner=$!
t_pid "$inner"

# descendants PID: every process below PID.
descendants() {
	for _c in $(pgrep -P "$1"); do echo "$_c"; descendants "$_c"; done
}
t_make= t_deps=	# when "+ make run" and make run's "deps: ..." line appeared
n=$((RUN_SECS * 2))
while :; do
	[ -n "$t_make" ] || ! grep -q '^+ make run$' "$T_DIR/run.log" || t_make=$(date +%s)
	[ -n "$t_deps" ] || ! grep -q '^deps: ' "$T_DIR/run.log" || t_deps=$(date +%s)
	if ! t_running "$inner"; then
		wait "$inner"; _rc=$?
		sed 's/^/    | /' "$T_DIR/run.log" | tail -n 40 >&2
		t_fail "make run ended (status $_rc) before anything listened on $ADDR:$PORT (log: $T_DIR/run.log)"
	fi
	for p in $(descendants "$inner"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = mailsec_exporte ] || continue
		[ "$(readlink "/proc/$p/exe")" = "$ROOT$SRC/mailsec_exporter" ] && daemon=$p
	done
	if [ -n "$daemon" ] && t_port_open "$ADDR" "$PORT"; then break; fi
	[ "$n" -gt 0 ] || { tail -n 30 "$T_DIR/run.log" >&2; t_fail "nothing listens on $ADDR:$PORT after ${RUN_SECS}s"; }
	sleep 0.5; n=$((n - 1))
done
t_pid "$daemon"
t_log "make run: the daemon (pid $daemon) listens on $ADDR:$PORT after $(( $(date +%s) - t0 ))s:" \
    "apt-get install make $(( ${t_make:-$t0} - t0 ))s, make run's packages $(( ${t_deps:-$t0} - ${t_make:-$t0} ))s," \
    "build and start $(( $(date +%s) - ${t_deps:-$t0} ))s"
ss -Hltnp "sport = :$PORT" | grep -q "pid=$daemon," ||
	t_fail "the listener on $ADDR:$PORT is not our daemon (pid $daemon): $(ss -Hltnp "sport = :$PORT")"
grep -q '^deps: installed .*libevent-dev' "$T_DIR/run.log" ||
	t_fail "make run did not install the build packages itself (no 'deps: installed ... libevent-dev' in $T_DIR/run.log)"

# --- what it serves --------------------------------------------------------------
n=120	# the first round is spread over a few seconds
until [ "$(t_http "$T_DIR/ready" GET "http://$ADDR:$PORT/-/ready")" = 200 ]; do
	[ "$n" -gt 0 ] || t_fail "/-/ready is not 200 after 60 s"
	sleep 0.5; n=$((n - 1))
done
M="$T_DIR/metrics"
code=$(t_http "$M" GET "http://$ADDR:$PORT/metrics")
[ "$code" = 200 ] || t_fail "/metrics answered $code"
grep -qi '^content-type: text/plain; version=0.0.4' "$M.headers" ||
	t_fail "/metrics Content-Type: $(grep -i '^content-type' "$M.headers")"
if ! p=$(promtool check metrics <"$M" 2>&1) || [ -n "$p" ]; then
	printf '%s\n' "$p" | head -n 20 >&2
	t_fail "promtool check metrics is not clean on $M"
fi
echo "ok: promtool check metrics clean ($(grep -vc '^#' "$M") samples)"
t_assert_metric "$M" 'mailsec_exporter_config_last_reload_successful' 1
for pp in 25:smtp 587:submission 993:imaps; do
	port=${pp%:*} proto=${pp#*:}
	l="domain=\"\",host=\"127.0.0.1\",address=\"127.0.0.1\",port=\"$port\",protocol=\"$proto\""
	t_metric_value "$M" "mailsec_probe_success{$l}" >/dev/null ||
		t_fail "no mailsec_probe_success for 127.0.0.1:$port in /metrics"
	t_assert_metric "$M" "mailsec_check_success{target=\"127.0.0.1:$port\",kind=\"endpoint\"}" \
	    "$(t_metric_value "$M" "mailsec_probe_success{$l}")"
	# Where no mail server runs (as here, unless the host has one), the
	# first screen says: connection refused.
	if ! t_listening 127.0.0.1 "$port" >/dev/null; then
		t_assert_metric "$M" "mailsec_probe_error_info{$l,step=\"connect\",reason=\"conn\",cause=\"refused\"}" 1
	fi
done
code=$(t_http "$T_DIR/status.html" GET "http://$ADDR:$PORT/")
[ "$code" = 200 ] || t_fail "the status page answered $code"
for port in 25 587 993; do
	grep -q "127.0.0.1:$port" "$T_DIR/status.html" || t_fail "the status page has no row for 127.0.0.1:$port"
	t_listening 127.0.0.1 "$port" >/dev/null ||
		grep -q 'connection refused' "$T_DIR/status.html" || t_fail "the status page does not say 'connection refused'"
done
echo "ok: the status page lists 127.0.0.1:25, :587, :993"

# --- what make run installed --------------------------------------------------
dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f '${Package} ${Status}\n' |
	awk '$NF == "installed" { print $1 }' | sort >"$T_DIR/pkgs.after"
t_log "make run installed $(comm -13 "$T_DIR/pkgs.before" "$T_DIR/pkgs.after" | wc -l) packages (list: $T_DIR/pkgs.after)"
for p in libevent-dev libssl-dev libc-ares-dev libmicrohttpd-dev gcc make pkg-config; do
	grep -qxF "$p" "$T_DIR/pkgs.after" || t_fail "$p is not installed in the root after make run"
done
bad=
for p in $TEST_ONLY; do
	grep -qxF "$p" "$T_DIR/pkgs.after" && bad="$bad $p"
done
[ -z "$bad" ] || t_fail "make run installed test-only packages:$bad"
echo "ok: none of the test suite's packages installed ($(echo $TEST_ONLY | wc -w) checked)"

# --- stop by pid, tear down -------------------------------------------------------
t_stop_pid "$daemon" 10 || t_fail "the daemon (pid $daemon) needed SIGKILL"
t_wait_exit "$inner" 30 || t_fail "make run did not end within 30 s of the daemon's exit"
wait "$inner"; rc=$?
grep -q 'event=shutdown signal=15' "$T_DIR/run.log" || t_fail "no shutdown logged by the daemon"
grep -q '^inner: make run exited with status 0$' "$T_DIR/run.log" ||
	t_fail "make run did not end with status 0 after SIGTERM: $(grep '^inner: make run' "$T_DIR/run.log")"
grep -q '^inner: mounts left: none$' "$T_DIR/run.log" ||
	t_fail "the chroot's mounts were not all undone: $(grep '^inner: mounts left' "$T_DIR/run.log")"
[ "$rc" -eq 0 ] || t_fail "the chroot runner exited $rc"
[ -z "$(mounts_under "$OUT")" ] || t_fail "mounts under $OUT: $(mounts_under "$OUT")"
[ -z "$(chroot_pids)" ] || t_fail "processes left in the root: $(chroot_pids)"
echo "ok: daemon stopped by pid, make run ended 0, no mount and no process left"
t_log "total $(( $(date +%s) - t0 ))s from make run"
echo "all cases passed"
