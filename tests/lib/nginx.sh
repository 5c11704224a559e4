# nginx as a test HTTPS server; sourced after common.sh.
#
# t_nginx_start NAME ADDR:PORT : runs nginx with $T_DIR/NAME/http.conf (the
#   body of an http { } block: server blocks, written first) as a background
#   job whose pid is registered for cleanup, and waits until ADDR:PORT
#   accepts connections.  Everything it writes (pid, logs, temp files) stays
#   in $T_DIR/NAME.
t_nginx_start() {
	[ $# -eq 2 ] || t_fail "usage: t_nginx_start NAME ADDR:PORT"
	_xd="$T_DIR/$1" _xa=${2%:*} _xp=${2##*:}
	mkdir -p "$_xd/tmp" || t_fail "cannot create $_xd"
	[ -f "$_xd/http.conf" ] || t_fail "t_nginx_start: write $_xd/http.conf first"
	if _l=$(t_listening "$_xa" "$_xp"); then
		t_fail "nginx $1: something already listens where $2 goes: $_l"
	fi
	cat >"$_xd/nginx.conf" <<NGINX_EOF
# Written by tests/lib/nginx.sh for test '$T_NAME'.
worker_processes 1;
daemon off;
master_process on;
user root;
pid $_xd/nginx.pid;
error_log $_xd/error.log info;
events { worker_connections 256; }
http {
	access_log $_xd/access.log;
	client_body_temp_path $_xd/tmp/body;
	proxy_temp_path $_xd/tmp/proxy;
	fastcgi_temp_path $_xd/tmp/fastcgi;
	uwsgi_temp_path $_xd/tmp/uwsgi;
	scgi_temp_path $_xd/tmp/scgi;
	include $_xd/http.conf;
}
NGINX_EOF
	nginx -t -q -p "$_xd" -e "$_xd/error.log" -c "$_xd/nginx.conf" ||
		t_fail "nginx $1: configuration does not load"
	nginx -p "$_xd" -e "$_xd/error.log" -c "$_xd/nginx.conf" \
		</dev/null >"$_xd/stdout" 2>&1 &
	t_pid $!
	t_wait_port "$_xa" "$_xp" 10 ||
		{ cat "$_xd/error.log" >&2; t_fail "nginx $1: $2 not answering"; }
}
