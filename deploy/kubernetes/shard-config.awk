# awk -v n=N -v prefix=mailsec-exporter- -f shard-config.awk exporter.ini
# writes PREFIX0.ini .. PREFIX(N-1).ini: the [exporter] section (and the
# lines before the first section) in each, every other section in the one
# shard a hash of its header picks, so a section stays on its shard when
# others are added or removed.
BEGIN { for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i; shard = -1 }
function hash(s,    i, x) {
	x = 0
	for (i = 1; i <= length(s); i++) x = (x * 31 + ord[substr(s, i, 1)]) % 1000003
	return x
}
/^[ \t]*\[/ { shard = $0 ~ /^[ \t]*\[exporter\]/ ? -1 : hash($0) % n }
{
	if (shard < 0) { for (i = 0; i < n; i++) print > (prefix i ".ini") }
	else print > (prefix shard ".ini")
}
