#!/bin/sh
# The deployment files in deploy/ (and doc/mailsec_exporter.8), checked with
# the real tools:
#   (a) promtool check rules / test rules on deploy/prometheus/alerts*.yml
#   (b) promtool check config on every deploy/prometheus/prometheus*.yml; the
#       Kubernetes YAML parses; the ConfigMap's exporter.ini passes
#       --check-config, and so do the 3 shards shard-config.awk makes of it;
#       the Grafana dashboard is JSON with its variables; the Dockerfile's
#       runtime packages provide every library the binary links; the man
#       page renders without groff warnings
#   (c) systemd-analyze verify of deploy/systemd/mailsec_exporter.service
#       (ExecStart pointed at ./mailsec_exporter, the man page from doc/) and
#       its `systemd-analyze security --offline=yes` exposure (<= 2.0)
#   (d) a real Postfix on 127.0.10.40 (STARTTLS, a certificate with 10 days
#       left), the exporter daemon on 127.0.0.1:19940 probing it, and Debian's
#       Prometheus on 127.0.0.1:19090 scraping it every second with
#       alerts.yml loaded: every query of every panel of
#       deploy/grafana/mailsec.json (and the variables' label_values) runs
#       through the HTTP API without error, and the panels about data this
#       target has return something; the /probe sharding of
#       prometheus-probe-sharded.yml (its job appended to this Prometheus,
#       exporters moved to refused loopback ports) sends every target of
#       mailsec-probe-targets.yml to exactly the exporter hashmod picks
#   (e) /api/v1/rules lists every group of alerts.yml, every rule evaluates
#       without error, and MailsecCertExpiringSoon is pending for the target
# Loopback only: 127.0.10.40, 127.0.0.1:19940, :19090, :19950-19952 (nothing
# listens there: the sharded job's scrapes are refused).
. "$(dirname "$0")/../lib/common.sh"
t_setup deploy

D=$T_ROOT/deploy
A=127.0.10.40
EXP_LISTEN=127.0.0.1:19940
PROM_LISTEN=127.0.0.1:19090
PROM_URL=http://$PROM_LISTEN
CA=$T_DIR/ca
PY=python3

command -v promtool >/dev/null 2>&1 || t_fail "promtool not found (Debian package prometheus)"
command -v "$PY" >/dev/null 2>&1 || t_fail "python3 not found"

# --- (a) alerting rules -----------------------------------------------------
t_log "(a) promtool check rules / test rules"
out=$(promtool check rules "$D/prometheus/alerts.yml" 2>&1) ||
	{ printf '%s\n' "$out" >&2; t_fail "promtool check rules $D/prometheus/alerts.yml"; }
printf '%s\n' "$out" | grep -q 'SUCCESS' || t_fail "promtool check rules: no SUCCESS: $out"
echo "ok: check rules: $(printf '%s\n' "$out" | grep -o '[0-9]* rules found')"
out=$(cd "$D/prometheus" && promtool test rules alerts_test.yml 2>&1) ||
	{ printf '%s\n' "$out" >&2; t_fail "promtool test rules deploy/prometheus/alerts_test.yml"; }
echo "ok: test rules"

# The mixin: alerts.yml is what mixin/generate.py makes of alerts.yml.in and
# config.yml (thresholds and the job selector in one place); another config
# makes other thresholds, and a bad one is refused.
"$PY" "$D/prometheus/mixin/generate.py" --check ||
	t_fail "deploy/prometheus/alerts.yml differs from what mixin/generate.py makes"
sed -e 's/^certExpiryWarningDays: 21/certExpiryWarningDays: 30/' \
	-e "s/^jobSelector: .*/jobSelector: 'job=\"mail\"'/" \
	"$D/prometheus/mixin/config.yml" >"$T_DIR/mixin.yml"
"$PY" "$D/prometheus/mixin/generate.py" --config "$T_DIR/mixin.yml" --out "$T_DIR/alerts30.yml" ||
	t_fail "mixin: generate.py with another config"
grep -q '< 30 \* 86400' "$T_DIR/alerts30.yml" && grep -q 'up{job="mail"} == 0' "$T_DIR/alerts30.yml" ||
	t_fail "mixin: the config's thresholds and job selector are not in the rules"
promtool check rules "$T_DIR/alerts30.yml" >/dev/null 2>&1 || t_fail "mixin: promtool check rules of the other config"
printf 'jobSelector: up\n' >"$T_DIR/bad.yml"
"$PY" "$D/prometheus/mixin/generate.py" --config "$T_DIR/bad.yml" --out "$T_DIR/bad.out" 2>"$T_DIR/bad.err" &&
	t_fail "mixin: a config without the other keys passed"
grep -q 'missing' "$T_DIR/bad.err" || t_fail "mixin: $(cat "$T_DIR/bad.err")"
echo "ok: mixin: alerts.yml is generated from mixin/config.yml (checked, and with other values)"

# Every alert has a test that expects it firing and one that expects none.
"$PY" - "$D/prometheus/alerts.yml" "$D/prometheus/alerts_test.yml" <<'EOF' || t_fail "alerts without a firing and a not-firing test (above)"
import re, sys
alerts = re.findall(r"^\s*- alert: (\S+)", open(sys.argv[1]).read(), re.M)
firing, quiet, cur = set(), set(), None
for line in open(sys.argv[2]):
    m = re.match(r"\s*alertname: (\S+)", line)
    if m:
        cur = m.group(1)
    elif cur and re.match(r"\s*exp_alerts: \[\]", line):
        quiet.add(cur)
    elif cur and re.match(r"\s*exp_alerts:\s*$", line):
        firing.add(cur)
bad = [a for a in alerts if a not in firing or a not in quiet]
for a in bad:
    print("no %s test for %s" % ("firing" if a not in firing else "not-firing", a), file=sys.stderr)
print("ok: %d alerts, each with a firing and a not-firing test" % len(alerts))
sys.exit(1 if bad or not alerts else 0)
EOF

# --- (b) configs --------------------------------------------------------------
# Every alert's runbook_url is its section of doc/runbook.md, and every
# section there is an alert's.
"$PY" - "$D/prometheus/alerts.yml" "$T_ROOT/doc/runbook.md" <<'EOF' || t_fail "runbook_url annotations (above)"
import re, sys
text = open(sys.argv[1]).read()
blocks = re.split(r"^\s*- alert: ", text, flags=re.M)[1:]
sections = re.findall(r"^## (\S+)\s*$", open(sys.argv[2]).read(), re.M)
bad, names = [], []
for b in blocks:
    name = b.split()[0]
    names.append(name)
    m = re.search(r'^\s*runbook_url: "doc/runbook\.md#([a-z0-9]+)"\s*$', b, re.M)
    if not m or m.group(1) != name.lower():
        bad.append("%s: no runbook_url \"doc/runbook.md#%s\"" % (name, name.lower()))
    if name not in sections:
        bad.append("%s: no \"## %s\" section in doc/runbook.md" % (name, name))
for s in sections:
    if s not in names:
        bad.append("doc/runbook.md: section %s is no alert" % s)
for x in bad:
    print(x, file=sys.stderr)
print("ok: %d alerts, each with its runbook section" % len(names))
sys.exit(1 if bad else 0)
EOF

t_log "(b) promtool check config, manifests, dashboard JSON"
n=0
for f in "$D"/prometheus/prometheus*.yml; do
	[ -f "$f" ] || continue
	out=$(promtool check config "$f" 2>&1) ||
		{ printf '%s\n' "$out" >&2; t_fail "promtool check config $f"; }
	echo "ok: check config $(basename "$f")"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || t_fail "expected prometheus.yml and prometheus-probe-sharded.yml in $D/prometheus, found $n configs"

# Kubernetes: every file parses (PyYAML when present), and the ConfigMap's
# exporter.ini is a valid config for this build.
"$PY" - "$D/kubernetes" "$T_DIR/k8s-exporter.ini" <<'EOF' || t_fail "Kubernetes manifests (above)"
import glob, sys
try:
    import yaml
except ImportError:
    yaml = None
ini = None
for f in sorted(glob.glob(sys.argv[1] + "/**/*.yaml", recursive=True)):
    if yaml is None:
        continue
    for doc in yaml.safe_load_all(open(f)):
        if not doc:
            continue
        for k in ("apiVersion", "kind", "metadata"):
            if k not in doc:
                sys.exit("%s: a document without %s" % (f, k))
        if doc["kind"] == "ConfigMap" and "exporter.ini" in doc.get("data", {}):
            ini = doc["data"]["exporter.ini"]
    print("ok: %s parses" % f[len(sys.argv[1]) + 1:])
if yaml is None:
    # Without PyYAML: the block scalar under "exporter.ini: |".
    lines = open(sys.argv[1] + "/configmap.yaml").read().split("\n")
    for i, l in enumerate(lines):
        if l.strip() == "exporter.ini: |":
            ind = len(l) - len(l.lstrip()) + 2
            body = []
            for m in lines[i + 1:]:
                if m.strip() and len(m) - len(m.lstrip()) < ind:
                    break
                body.append(m[ind:])
            ini = "\n".join(body)
    print("SKIP: no PyYAML, manifests not parsed; exporter.ini taken from the block scalar")
if not ini:
    sys.exit("no exporter.ini in a ConfigMap in " + sys.argv[1])
if "listen = 0.0.0.0:9925" not in ini:
    sys.exit("the ConfigMap's exporter.ini must listen on 0.0.0.0:9925")
open(sys.argv[2], "w").write(ini)
EOF
# ca_file of the container (/etc/ssl/certs/ca-certificates.crt) may be absent here.
sed "s#^ca_file *=.*#ca_file = $T_ROOT/README.md#" "$T_DIR/k8s-exporter.ini" >"$T_DIR/k8s-check.ini"
out=$("$T_BIN" --config "$T_DIR/k8s-check.ini" --check-config 2>&1) ||
	{ printf '%s\n' "$out" >&2; t_fail "the ConfigMap's exporter.ini fails --check-config"; }
echo "ok: ConfigMap exporter.ini: $out"

# The /probe pattern's config (sharded/configmap-probe.yaml): it loads, has
# probe_allow (else every /probe is a 403) and a [module] for every module
# the targets file names (else a 400).
"$PY" - "$D/kubernetes/sharded/configmap-probe.yaml" "$D/prometheus/mailsec-probe-targets.yml" \
    "$T_DIR/k8s-probe.ini" <<'EOF' || t_fail "sharded/configmap-probe.yaml (above)"
import re, sys
import yaml
ini = None
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc.get("kind") == "ConfigMap":
        ini = doc["data"]["probe.ini"]
if not ini:
    sys.exit("no probe.ini in " + sys.argv[1])
modules = set(re.findall(r"^\[module ([^\]]+)\]", ini, re.M))
want = {g.get("labels", {}).get("module", "smtp") for g in yaml.safe_load(open(sys.argv[2]))}
if want - modules:
    sys.exit("modules of the targets file missing from probe.ini: %s" % sorted(want - modules))
if not re.search(r"^probe_allow *= *\S", ini, re.M):
    sys.exit("probe.ini has no probe_allow: every /probe would answer 403")
if "listen = 0.0.0.0:9925" not in ini:
    sys.exit("probe.ini must listen on 0.0.0.0:9925")
open(sys.argv[3], "w").write(ini)
print("ok: probe.ini has probe_allow and the modules %s" % sorted(want))
EOF
sed "s#^ca_file *=.*#ca_file = $T_ROOT/README.md#" "$T_DIR/k8s-probe.ini" >"$T_DIR/k8s-probe-check.ini"
pout=$("$T_BIN" --config "$T_DIR/k8s-probe-check.ini" --check-config 2>&1) ||
	{ printf '%s\n' "$pout" >&2; t_fail "sharded/configmap-probe.yaml's probe.ini fails --check-config"; }
echo "ok: probe.ini: $pout"

# The Helm chart (deploy/helm): helm is not packaged in Debian 12, so
# deploy/helm/render.py renders it as `helm template` would (the subset of
# the template language the chart uses; anything else is an error), and the
# manifests get the checks the others get: every document parses and has
# apiVersion, kind, metadata; the exporter.ini loads; the PrometheusRule is
# alerts.yml and passes promtool; the dashboard is mailsec.json; the
# web-config Secret loads with --web.config.file.  helm lint and helm
# template run too where helm is installed.
H=$D/helm/mailsec-exporter
cat >"$T_DIR/helm-values.yaml" <<EOF
probe:
  enabled: true
  additionalLabels: {release: kube-prometheus-stack}
prometheusRule:
  additionalLabels: {release: kube-prometheus-stack, role: alert-rules}
webConfig: |
  basic_auth_users:
    prometheus: $(printf 'x\n' | "$T_BIN" --hash-password)
EOF
# shards: the StatefulSet of scale-out A, each pod its shard of k8s-check.ini
# as shard-config.awk splits it (prefix = the release name), and a
# cert-manager TLS Secret mounted for the web config.
mkdir -p "$T_DIR/helm-shards-in"
awk -v n=3 -v prefix="$T_DIR/helm-shards-in/mailsec-exporter-" -f "$D/kubernetes/shard-config.awk" \
	"$T_DIR/k8s-check.ini" || t_fail "shard-config.awk for the chart failed"
"$PY" - "$T_DIR/helm-shards-in" >"$T_DIR/helm-shards-values.yaml" <<'EOF' || t_fail "shard values"
import os, sys, yaml
d = sys.argv[1]
configs = {f: open(os.path.join(d, f)).read() for f in sorted(os.listdir(d))}
print(yaml.safe_dump({"shards": {"enabled": True, "replicas": len(configs), "configs": configs},
                      "tlsSecret": "mailsec-exporter-tls"}))
EOF
for variant in default overlay shards; do
	set -- "$H"
	[ "$variant" = overlay ] && set -- "$H" -f "$T_DIR/helm-values.yaml"
	[ "$variant" = shards ] && set -- "$H" -f "$T_DIR/helm-shards-values.yaml"
	"$PY" "$D/helm/render.py" "$@" >"$T_DIR/helm-$variant.yaml" ||
		t_fail "render.py $variant failed"
	if command -v helm >/dev/null 2>&1; then
		helm lint "$@" >"$T_DIR/helm-lint.out" 2>&1 || t_fail "helm lint: $(cat "$T_DIR/helm-lint.out")"
		helm template mailsec-exporter "$@" --namespace monitoring >/dev/null ||
			t_fail "helm template $variant failed"
	fi
	"$PY" - "$T_DIR/helm-$variant.yaml" "$T_DIR/helm-$variant" "$D" "$variant" <<'EOF' || t_fail "Helm chart, $variant values (above)"
import json, os, sys
import yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
out, D, variant = sys.argv[2], sys.argv[3], sys.argv[4]
os.makedirs(out, exist_ok=True)
kinds = {}
for d in docs:
    for k in ("apiVersion", "kind", "metadata"):
        if k not in d:
            sys.exit("a document without %s: %r" % (k, d)[:300])
    if d["metadata"].get("namespace") != "monitoring":
        sys.exit("%s %s: not in the release's namespace" % (d["kind"], d["metadata"]["name"]))
    kinds.setdefault(d["kind"], []).append(d)
workload = "StatefulSet" if variant == "shards" else "Deployment"
want = {"ConfigMap", workload, "Service", "ServiceMonitor", "PrometheusRule"}
if variant == "overlay":
    want |= {"Probe", "Secret"}
if not want <= set(kinds):
    sys.exit("missing kinds: %s" % sorted(want - set(kinds)))
if ({"Deployment", "StatefulSet"} - {workload}) & set(kinds):
    sys.exit("both a Deployment and a StatefulSet")
for c in kinds["ConfigMap"]:
    if "exporter.ini" in c["data"]:
        open(out + "/exporter.ini", "w").write(c["data"]["exporter.ini"])
    elif c["metadata"]["name"].endswith("-shards"):
        for f, text in c["data"].items():
            open(out + "/" + f, "w").write(text)
    elif "mailsec.json" in c["data"]:
        if json.loads(c["data"]["mailsec.json"]) != json.load(open(D + "/grafana/mailsec.json")):
            sys.exit("the dashboard ConfigMap is not deploy/grafana/mailsec.json")
        if c["metadata"]["labels"].get("grafana_dashboard") != "1":
            sys.exit("the dashboard ConfigMap lacks the sidecar's label")
rule = kinds["PrometheusRule"][0]
if rule["spec"] != yaml.safe_load(open(D + "/prometheus/alerts.yml")):
    sys.exit("the PrometheusRule's spec is not deploy/prometheus/alerts.yml")
open(out + "/rules.yml", "w").write(yaml.safe_dump(rule["spec"]))
w = kinds[workload][0]
pod = w["spec"]["template"]
c0 = pod["spec"]["containers"][0]
args = c0["args"]
svc = kinds["Service"][0]
sm = kinds["ServiceMonitor"][0]
for sel in (w["spec"]["selector"]["matchLabels"], svc["spec"]["selector"], sm["spec"]["selector"]["matchLabels"]):
    if any(pod["metadata"]["labels"].get(k) != v for k, v in sel.items()):
        sys.exit("a selector %r does not match the pods' labels" % (sel,))
if variant == "shards":
    shards = [c for c in kinds["ConfigMap"] if c["metadata"]["name"].endswith("-shards")]
    if not shards:
        sys.exit("no shards ConfigMap")
    names = sorted(shards[0]["data"])
    n = w["spec"]["replicas"]
    if names != ["%s-%d.ini" % (w["metadata"]["name"], i) for i in range(n)]:
        sys.exit("replicas %d, shard files %r: pod i must find NAME-i.ini" % (n, names))
    if svc["spec"].get("clusterIP") != "None" or w["spec"]["serviceName"] != svc["metadata"]["name"]:
        sys.exit("the StatefulSet's serviceName is not the headless Service")
    if "--config.file=/etc/mailsec_exporter/$(POD_NAME).ini" not in args or \
            c0["env"][0] != {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}:
        sys.exit("pods do not read their own shard: %r %r" % (args, c0.get("env")))
    vols = {v["name"]: v for v in pod["spec"]["volumes"]}
    if vols["config"]["configMap"]["name"] != shards[0]["metadata"]["name"]:
        sys.exit("the config volume is not the shards ConfigMap")
    if vols["tls"]["secret"]["secretName"] != "mailsec-exporter-tls" or \
            {"name": "tls", "mountPath": "/etc/mailsec_exporter/tls", "readOnly": True} not in c0["volumeMounts"]:
        sys.exit("tlsSecret not mounted at /etc/mailsec_exporter/tls")
    open(out + "/shards.list", "w").write("\n".join(names) + "\n")
elif "--config.file=/etc/mailsec_exporter/exporter.ini" not in args:
    sys.exit("the Deployment does not read exporter.ini: %r" % args)
if variant == "overlay":
    if rule["metadata"]["labels"].get("role") != "alert-rules":
        sys.exit("additionalLabels not on the PrometheusRule")
    if kinds["Probe"][0]["spec"]["prober"]["path"] != "/probe":
        sys.exit("the Probe does not use /probe")
    open(out + "/web-config.yml", "w").write(kinds["Secret"][0]["stringData"]["web-config.yml"])
    if "--web.config.file=/etc/mailsec_exporter/web/web-config.yml" not in args:
        sys.exit("webConfig set, but no --web.config.file in the args: %r" % args)
elif any(a.startswith("--web.config.file") for a in args):
    sys.exit("--web.config.file without a webConfig")
print("ok: Helm chart (%s values): %s" % (variant, ", ".join("%d %s" % (len(v), k) for k, v in sorted(kinds.items()))))
EOF
	promtool check rules "$T_DIR/helm-$variant/rules.yml" >"$T_DIR/helm-rules.out" 2>&1 ||
		t_fail "promtool check rules of the chart's PrometheusRule: $(cat "$T_DIR/helm-rules.out")"
	if [ "$variant" = shards ]; then
		# every shard loads, and together they hold every target
		sum=0
		for f in $(cat "$T_DIR/helm-shards/shards.list"); do
			o=$("$T_BIN" --config "$T_DIR/helm-shards/$f" --check-config 2>&1) ||
				{ printf '%s\n' "$o" >&2; t_fail "the chart's shard $f fails --check-config"; }
			sum=$((sum + $(echo "$o" | sed -n 's/.*OK, \([0-9]*\) targets.*/\1/p')))
		done
		want=$("$T_BIN" --config "$T_DIR/k8s-check.ini" --check-config | sed -n 's/.*OK, \([0-9]*\) targets.*/\1/p')
		[ "$sum" -eq "$want" ] || t_fail "the chart's shards hold $sum targets, the config $want"
		echo "ok: Helm chart (shards): rules pass promtool, $(wc -l <"$T_DIR/helm-shards/shards.list") shards hold the $want targets"
		continue
	fi
	sed "s#^ca_file *=.*#ca_file = $T_ROOT/README.md#" "$T_DIR/helm-$variant/exporter.ini" >"$T_DIR/helm-$variant/check.ini"
	set -- --config "$T_DIR/helm-$variant/check.ini" --check-config
	[ "$variant" = overlay ] && set -- "$@" --web.config.file "$T_DIR/helm-$variant/web-config.yml"
	hout=$("$T_BIN" "$@" 2>&1) || { printf '%s\n' "$hout" >&2; t_fail "the chart's config ($variant) fails --check-config"; }
	echo "ok: Helm chart ($variant): rules pass promtool, the config loads: $hout"
done
command -v helm >/dev/null 2>&1 || echo "ok: helm not installed (not in Debian 12): rendered by deploy/helm/render.py"

# The scale-out splitter: 3 valid shards that hold the targets between them.
mkdir -p "$T_DIR/shards"
awk -v n=3 -v prefix="$T_DIR/shards/s" -f "$D/kubernetes/shard-config.awk" "$T_DIR/k8s-check.ini" ||
	t_fail "shard-config.awk failed"
total=$(echo "$out" | sed -n 's/.*OK, \([0-9]*\) targets.*/\1/p')
sum=0
for i in 0 1 2; do
	o=$("$T_BIN" --config "$T_DIR/shards/s$i.ini" --check-config 2>&1) ||
		{ printf '%s\n' "$o" >&2; t_fail "shard $i of shard-config.awk fails --check-config"; }
	sum=$((sum + $(echo "$o" | sed -n 's/.*OK, \([0-9]*\) targets.*/\1/p')))
done
[ -n "$total" ] && [ "$sum" -eq "$total" ] ||
	t_fail "shard-config.awk: the 3 shards hold $sum targets, the config $total"
echo "ok: shard-config.awk: $total targets in 3 valid shards"

"$PY" - "$D/grafana/mailsec.json" <<'EOF' || t_fail "dashboard $D/grafana/mailsec.json (above)"
import json, sys
d = json.load(open(sys.argv[1]))
names = {v["name"]: v for v in d["templating"]["list"]}
for v in ("domain", "host"):
    if v not in names:
        sys.exit("no $%s variable" % v)
if "label_values(mailsec_probe_success, domain)" not in json.dumps(names["domain"]):
    sys.exit("$domain is not label_values(mailsec_probe_success, domain)")
ds = [v for v in names.values() if v["type"] == "datasource"]
if not ds:
    sys.exit("no datasource variable")
ids = [p["id"] for p in d["panels"]]
if len(ids) != len(set(ids)):
    sys.exit("duplicate panel ids")
for p in d["panels"]:
    for t in p.get("targets", []):
        if t.get("datasource", {}).get("uid") != "${%s}" % ds[0]["name"]:
            sys.exit("panel %r: a target not on ${%s}" % (p["title"], ds[0]["name"]))
print("ok: dashboard %r, schemaVersion %s, %d panels" % (d["title"], d["schemaVersion"], len(d["panels"])))
EOF

# Dockerfile: the runtime stage installs the package of every library the
# binary links (readelf NEEDED -> dpkg -S), and only existing packages.
RT=$("$PY" - "$D/docker/Dockerfile" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
last = text[text.rindex("\nFROM "):]
m = re.search(r"apt-get install -y --no-install-recommends((?:[^&]|\\\n)*)&&", last)
print(" ".join(w for w in m.group(1).split() if w != "\\") if m else "")
EOF
)
[ -n "$RT" ] || t_fail "no apt-get install in the runtime stage of $D/docker/Dockerfile"
for p in $RT; do
	dpkg-query -W "$p" >/dev/null 2>&1 || apt-cache show "$p" >/dev/null 2>&1 ||
		t_fail "Dockerfile runtime package $p: neither installed nor known to apt"
done
if command -v readelf >/dev/null 2>&1; then
	for so in $(readelf -d "$T_BIN" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		pk=$(dpkg -S "*/$so" 2>/dev/null | cut -d: -f1 | tr ', ' '\n\n' | sort -u)
		ok=
		for p in $pk; do
			case " $RT libc6 " in *" $p "*) ok=$p ;; esac
		done
		[ -n "$ok" ] || t_fail "the binary needs $so (package: ${pk:-unknown}), not installed by the Dockerfile's runtime stage ($RT)"
	done
	echo "ok: Dockerfile runtime packages ($RT) cover every library the binary links"
else
	echo "SKIP: readelf not found: Dockerfile runtime libraries not checked"
fi

# The man page: groff renders it without a warning.
if command -v groff >/dev/null 2>&1; then
	out=$(groff -man -Tutf8 -ww -z "$T_ROOT/doc/mailsec_exporter.8" 2>&1)
	[ $? -eq 0 ] && [ -z "$out" ] ||
		{ printf '%s\n' "$out" >&2; t_fail "groff -man -ww doc/mailsec_exporter.8: warnings above"; }
	echo "ok: doc/mailsec_exporter.8 renders without warnings"
else
	echo "SKIP: groff not installed: doc/mailsec_exporter.8 not checked"
fi

# --- (c) systemd unit -----------------------------------------------------------
UNIT=$D/systemd/mailsec_exporter.service
[ -f "$UNIT" ] || t_fail "no $UNIT"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: (c) systemd-analyze not installed (Debian package systemd): unit not verified"
else
	t_log "(c) systemd-analyze verify / security"
	mkdir -p "$T_DIR/unit" "$T_DIR/man/man8"
	grep -q '^ExecStart=/usr/local/bin/mailsec_exporter --config /etc/mailsec_exporter/exporter.ini$' "$UNIT" ||
		t_fail "$UNIT: ExecStart is not /usr/local/bin/mailsec_exporter --config /etc/mailsec_exporter/exporter.ini"
	sed "s#/usr/local/bin/mailsec_exporter#$T_BIN#g" "$UNIT" >"$T_DIR/unit/mailsec_exporter.service"
	# verify runs man(1) for Documentation=man:...: give it the page from doc/.
	cp "$T_ROOT/doc/mailsec_exporter.8" "$T_DIR/man/man8/" 2>/dev/null ||
		t_fail "doc/mailsec_exporter.8 is missing (the unit's Documentation= names it)"
	man=
	command -v man >/dev/null 2>&1 || { man=--man=no; echo "SKIP: man(1) not installed: Documentation= not checked"; }
	out=$(cd "$T_DIR/unit" && MANPATH=$T_DIR/man systemd-analyze verify $man ./mailsec_exporter.service 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		printf '%s\n' "$out" >&2
		t_fail "systemd-analyze verify: status $rc, output above (want 0 and no output)"
	fi
	echo "ok: systemd-analyze verify clean"
	out=$(cd "$T_DIR/unit" && systemd-analyze security --offline=yes ./mailsec_exporter.service 2>&1)
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	if [ -z "$score" ]; then
		printf '%s\n' "$out" | tail -n 5 >&2
		echo "SKIP: systemd-analyze security --offline=yes gave no score (systemd older than 252?)"
	else
		awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
			{ printf '%s\n' "$out" | grep '✗' >&2; t_fail "exposure $score, want <= 2.0 (above: what is open)"; }
		echo "ok: systemd-analyze security exposure $score"
	fi
fi

# --- (d) a live stack -----------------------------------------------------------
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make)"
command -v prometheus >/dev/null 2>&1 || t_fail "prometheus not found (Debian package prometheus)"
command -v curl >/dev/null 2>&1 || t_fail "curl not found"
for hp in "$EXP_LISTEN" "$PROM_LISTEN" 127.0.0.1:19950 127.0.0.1:19951 127.0.0.1:19952; do
	if _l=$(t_listening "${hp%:*}" "${hp##*:}"); then t_fail "$hp is taken: $_l"; fi
done

t_log "(d) Postfix on $A, exporter on $EXP_LISTEN, Prometheus on $PROM_LISTEN"
t_ca "$CA"
t_cert "$CA" soon "$A" "IP:$A,DNS:mail40.test" 1 10
t_addr "$A"
t_postfix_start pf "$A" mail40.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/soon.chain.pem" "smtpd_tls_key_file = $CA/soon.key"

cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = $EXP_LISTEN
timeout = 5s
interval = 1m
ca_file = $CA/ca.crt

[endpoint $A:25]
protocol = smtp
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" >"$T_DIR/exporter.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"
n=40
until [ "$(t_http "$T_DIR/ready" GET "http://$EXP_LISTEN/-/ready")" = 200 ]; do
	t_running "$EXP" || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter exited (log above)"; }
	n=$((n - 1))
	[ "$n" -gt 0 ] || t_fail "exporter /-/ready not 200 after 20 s"
	sleep 0.5
done
echo "ok: exporter ready"

# Prometheus: this test's job, plus the sharded /probe job of
# prometheus-probe-sharded.yml with its exporters moved to loopback ports.
SHARD_CFG=$D/prometheus/prometheus-probe-sharded.yml
PT=$D/prometheus/mailsec-probe-targets.yml
{
	cat <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $D/prometheus/alerts.yml
scrape_configs:
  - job_name: mailsec
    static_configs:
      - targets: ["$EXP_LISTEN"]
EOF
	# The scrape_configs entries of the sharded file, but its exporter job.
	awk '/^scrape_configs:/ { on = 1; next } /^[^ #]/ { on = 0 }
	     /^  - job_name: mailsec-exporter *$/ { on = 0 } on' "$SHARD_CFG" |
		sed -e "s#mailsec-exporter-\\([0-9]\\)\\.mailsec-exporter\\.monitoring\\.svc:9925#127.0.0.1:1995\\1#" \
		    -e "s#files: \\[mailsec-probe-targets.yml\\]#files: [$PT]#"
} >"$T_DIR/prometheus.yml"
grep -q 'job_name: mailsec-probe' "$T_DIR/prometheus.yml" ||
	t_fail "no mailsec-probe job taken from $SHARD_CFG"
grep -q 'mailsec-exporter-[0-9]' "$T_DIR/prometheus.yml" &&
	t_fail "exporter names left in $T_DIR/prometheus.yml (the sed no longer matches $SHARD_CFG)"
out=$(promtool check config "$T_DIR/prometheus.yml" 2>&1) ||
	{ printf '%s\n' "$out" >&2; t_fail "promtool check config of the test's Prometheus config"; }
echo "ok: check config of the test's config (with the sharded job)"

prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/prom" \
	--web.listen-address="$PROM_LISTEN" --log.level=warn >"$T_DIR/prometheus.log" 2>&1 </dev/null &
PROM=$!
t_pid "$PROM"

# q EXPR: instant query; prints the JSON answer (or nothing when no answer).
q() { curl -s --max-time 10 "$PROM_URL/api/v1/query" --data-urlencode "query=$1" 2>/dev/null; }

n=60
until q 'up{job="mailsec"} == 1' | grep -q '"value"'; do
	t_running "$PROM" || { tail -n 20 "$T_DIR/prometheus.log" >&2; t_fail "prometheus exited (log above)"; }
	n=$((n - 1))
	[ "$n" -gt 0 ] || { tail -n 20 "$T_DIR/prometheus.log" >&2; t_fail "Prometheus has not scraped the exporter (up == 1) in 30 s"; }
	sleep 0.5
done
t_log "Prometheus scrapes the exporter"
# rate() over the counters needs two scrapes, the audit's metrics its end.
n=40
until q 'count_over_time(mailsec_tls_version_accepted[1m]) >= 2' | grep -q '"value"'; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || t_fail "no mailsec_tls_version_accepted scraped twice within 20 s (TLS audit not run?)"
	sleep 0.5
done

# Every target of every panel, with the variables set to this test's values.
# Exit status 1 on any query error or on an empty answer for a panel about
# data this target has.
t_log "(d) dashboard queries"
"$PY" - "$D/grafana/mailsec.json" "$PROM_URL" "$A" <<'EOF' || t_fail "dashboard queries (above)"
import json, re, sys, time, urllib.parse, urllib.request

dash, url, addr = sys.argv[1], sys.argv[2], sys.argv[3]
# $host as Grafana puts a value into a regex matcher: escaped, as a PromQL
# string (127\\.0\\.10\\.40).
VARS = {"domain": ".*", "host": re.escape(addr).replace("\\", "\\\\"), "job": "mailsec",
        "__rate_interval": "1m", "__interval": "15s", "__range": "1h", "__range_s": "3600"}
# Panels this target has data for: an empty answer is a failure.
MUST = ["Endpoints probed", "Probes failing", "No STARTTLS", "Certificates not verified",
        "Certificates < 21 days", "Earliest expiry (days)", "Endpoints", "Certificate days left",
        "Certificate details", "TLS versions accepted", "Plaintext authentication offered",
        "Negotiated TLS", "Probe duration by phase", "Probe duration per endpoint",
        "Probes finished", "Probes in flight and queued", "Exporter memory and CPU", "Exporter status"]
# Panels that may be empty here: nothing failing, no weak suite, no
# SPF/DKIM/DMARC checks (the target is an [endpoint]); and single targets
# of MUST panels: the verification error of a certificate that verifies.
MAY_BE_EMPTY = ["Weak cipher classes accepted", "SPF and DMARC", "DKIM selectors", "Probe failures"]
EMPTY_OK = {("Certificate details", "D")}


def subst(expr):
    def one(m):
        name = m.group(1) or m.group(2)
        if name not in VARS:
            if name.isdigit():      # label_replace's $1
                return m.group(0)
            raise KeyError("unknown variable $%s in %s" % (name, expr))
        return VARS[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", one, expr)


def get(path, **params):
    u = url + path + "?" + urllib.parse.urlencode(params, doseq=True)
    try:
        with urllib.request.urlopen(u, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


d = json.load(open(dash))
fail, seen, n = [], set(), 0
for p in d["panels"]:
    for t in p.get("targets", []):
        expr = subst(t["expr"])
        n += 1
        # A panel's data may come a scrape later: retry an empty answer.
        for attempt in range(10):
            r = get("/api/v1/query", query=expr)
            must = p["title"] in MUST and (p["title"], t["refId"]) not in EMPTY_OK
            if r.get("status") != "success" or r["data"]["result"] or not must:
                break
            time.sleep(0.5)
        what = "%r %s: %s" % (p["title"], t["refId"], expr)
        if r.get("status") != "success":
            fail.append("%s -> %s: %s" % (what, r.get("errorType"), r.get("error")))
        elif must and not r["data"]["result"]:
            fail.append("%s -> empty" % what)
        elif p["title"] not in MUST + MAY_BE_EMPTY:
            fail.append("%s: panel in neither list of the test" % what)
        else:
            print("ok: %s -> %d series" % (what, len(r["data"]["result"])))
        seen.add(p["title"])
missing = [m for m in MUST if m not in seen]
if missing:
    fail.append("panels the test expects are gone: %s" % missing)

# The variables: label_values(METRIC{...}, LABEL) through the labels API.
for v in d["templating"]["list"]:
    if v["type"] != "query":
        continue
    qs = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
    m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", qs.strip())
    if not m:
        fail.append("variable $%s: not label_values(...): %s" % (v["name"], qs))
        continue
    r = get("/api/v1/label/%s/values" % m.group(2), **{"match[]": subst(m.group(1))})
    if r.get("status") != "success":
        fail.append("variable $%s: %s -> %s" % (v["name"], qs, r.get("error")))
        continue
    want = {"host": addr, "job": "mailsec"}.get(v["name"])
    if want and want not in r["data"]:
        fail.append("variable $%s: %s -> %s, want %s in it" % (v["name"], qs, r["data"], want))
    else:
        print("ok: variable $%s -> %s" % (v["name"], r["data"]))

for f in fail:
    print("FAIL: " + f, file=sys.stderr)
print("%d queries, %d failures" % (n, len(fail)))
sys.exit(1 if fail else 0)
EOF

# The sharded /probe job: each target of the targets file once, through the
# exporter its hashmod bucket names (Prometheus' hashmod: the low 8 bytes of
# the MD5 of the value, big-endian, modulo N).
t_log "(d) /probe sharding"
n_file=$(grep -c '^ *- [^ ]*:[0-9][0-9]* *$' "$PT")
"$PY" - "$PROM_URL" "$n_file" <<'EOF' || t_fail "sharded /probe job (above)"
import hashlib, json, sys, time, urllib.parse, urllib.request
url, n_file = sys.argv[1], int(sys.argv[2])
N, PORT0 = 3, 19950
for attempt in range(20):
    with urllib.request.urlopen(url + "/api/v1/targets", timeout=10) as r:
        data = json.load(r)["data"]
    act = [t for t in data["activeTargets"] if t["labels"].get("job") == "mailsec-probe"]
    if len(act) >= n_file:
        break
    time.sleep(0.5)
drop = [t for t in data["droppedTargets"] if t["discoveredLabels"].get("job") == "mailsec-probe"]
fail, per = [], {}
for t in act:
    target = t["discoveredLabels"]["__address__"]
    module = t["discoveredLabels"].get("module") or "smtp"
    bucket = int.from_bytes(hashlib.md5(target.encode()).digest()[8:], "big") % N
    u = urllib.parse.urlsplit(t["scrapeUrl"])
    qs = urllib.parse.parse_qs(u.query)
    want = "127.0.0.1:%d" % (PORT0 + bucket)
    if u.netloc != want or u.path != "/probe" or qs != {"target": [target], "module": [module]}:
        fail.append("%s: scraped as %s, want http://%s/probe?module=%s&target=%s" % (target, t["scrapeUrl"], want, module, target))
    if t["labels"].get("instance") != target or t["labels"].get("module") != module:
        fail.append("%s: labels %s, want instance=%s module=%s" % (target, t["labels"], target, module))
    per[bucket] = per.get(bucket, 0) + 1
targets = [t["discoveredLabels"]["__address__"] for t in act]
if len(act) != n_file or len(set(targets)) != n_file:
    fail.append("%d active targets (%d distinct), want the %d of the targets file" % (len(act), len(set(targets)), n_file))
if drop:
    fail.append("%d targets dropped: %s" % (len(drop), [t["discoveredLabels"]["__address__"] for t in drop]))
for f in fail:
    print("FAIL: " + f, file=sys.stderr)
if not fail:
    print("ok: %d targets, each once, through exporter bucket %s" % (len(act), dict(sorted(per.items()))))
sys.exit(1 if fail else 0)
EOF

# --- (e) rules loaded and evaluating ----------------------------------------------
t_log "(e) rules"
"$PY" - "$PROM_URL" "$D/prometheus/alerts.yml" "$A" <<'EOF' || t_fail "rules in Prometheus (above)"
import json, re, sys, time, urllib.request
url, rules_file, addr = sys.argv[1:4]
want_groups = re.findall(r"^  - name: (\S+)", open(rules_file).read(), re.M)
want_alerts = re.findall(r"^\s*- alert: (\S+)", open(rules_file).read(), re.M)
fail = []
for attempt in range(20):
    with urllib.request.urlopen(url + "/api/v1/rules", timeout=10) as r:
        groups = json.load(r)["data"]["groups"]
    rules = [x for g in groups for x in g["rules"]]
    pending = [a for x in rules for a in x.get("alerts", [])
               if x["name"] == "MailsecCertExpiringSoon" and a["labels"].get("address") == addr]
    # Every rule evaluated at least once, and the expiring certificate seen.
    if rules and all(x.get("lastEvaluation", "").startswith("2") and x.get("health") != "unknown" for x in rules) and pending:
        break
    time.sleep(0.5)
names = [g["name"] for g in groups]
for g in want_groups:
    if g not in names:
        fail.append("group %s not loaded (loaded: %s)" % (g, names))
got_alerts = [x["name"] for x in rules]
for a in want_alerts:
    if a not in got_alerts:
        fail.append("alert %s not loaded" % a)
for x in rules:
    if x.get("health") != "ok":
        fail.append("rule %s: health %s, %s" % (x["name"], x.get("health"), x.get("lastError")))
if not pending or pending[0]["state"] not in ("pending", "firing"):
    fail.append("MailsecCertExpiringSoon is not pending for %s (10 days left): %s" % (addr, pending))
for f in fail:
    print("FAIL: " + f, file=sys.stderr)
if not fail:
    print("ok: %d groups, %d rules, all healthy; MailsecCertExpiringSoon %s for %s"
          % (len(groups), len(rules), pending[0]["state"], addr))
sys.exit(1 if fail else 0)
EOF

t_running "$EXP" || t_fail "the exporter died during the test"
t_running "$PROM" || t_fail "prometheus died during the test"
echo "all cases passed"
