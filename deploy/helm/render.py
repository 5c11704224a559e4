#!/usr/bin/env python3
"""Renders deploy/helm/mailsec-exporter the way `helm template` would, for
the small part of Helm's template language the chart uses, because helm is
not packaged in Debian 12.  Anything else in a template is an error, so the
chart cannot silently grow past what this checks.

  render.py CHART [-f VALUES.yaml]... [--name NAME] [--namespace NS]

Supported: {{ .Values.a.b }}, .Release.Name, .Release.Namespace,
.Chart.Version, .Chart.AppVersion, {{ .Files.Get "path" }}, the pipes
| quote, | nindent N, | indent N, toYaml X, not X, {{ if X }} / {{ with X }}
... {{ end }} (with: `.` is X inside), and the {{- / -}} trimming.  The
output is the templates in file name order, each document after a
"# Source: CHART/templates/NAME" line, as helm template prints them.
"""
import argparse
import json
import os
import re
import sys

import yaml

ACTION = re.compile(r"{{(-?)\s*(.*?)\s*(-?)}}", re.S)


class TemplateError(Exception):
    pass


def merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v
    return a


def truthy(v):
    return not (v is None or v is False or v == 0 or v == "" or v == {} or v == [])


def go_str(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (dict, list)):
        raise TemplateError("a map or list printed without toYaml: %r" % (v,))
    return str(v)


def indent(s, n):
    pad = " " * n
    return pad + s.replace("\n", "\n" + pad)


class Renderer:
    def __init__(self, chart, values, name, namespace):
        self.chart = chart
        meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
        self.root = {"Values": values, "Release": {"Name": name, "Namespace": namespace},
                     "Chart": {"Version": meta["version"], "AppVersion": meta.get("appVersion", "")}}

    def files_get(self, path):
        full = os.path.realpath(os.path.join(self.chart, path))
        return open(full).read()

    def lookup(self, path, dot):
        if path == ".":
            return dot
        if not path.startswith("."):
            raise TemplateError("not a value: %s" % path)
        cur = self.root if path.split(".")[1] in ("Values", "Release", "Chart") else dot
        for part in path[1:].split("."):
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
                raise TemplateError("bad name %r in %s" % (part, path))
            if not isinstance(cur, dict):
                raise TemplateError("%s: not a map at %s" % (path, part))
            cur = cur.get(part)
        return cur

    def command(self, words, dot, piped, has_piped):
        fn, args = words[0], words[1:]
        if fn == ".Files.Get":
            if len(args) != 1 or not re.fullmatch(r'"[^"]+"', args[0]):
                raise TemplateError(".Files.Get wants one quoted path")
            return self.files_get(args[0][1:-1])
        if fn == "toYaml":
            v = self.lookup(args[0], dot) if args else piped
            if v is None:
                return ""
            return yaml.safe_dump(v, default_flow_style=False, sort_keys=False).rstrip("\n")
        if fn == "quote":
            if args or not has_piped:
                raise TemplateError("quote is used as | quote")
            return json.dumps(go_str(piped))
        if fn in ("nindent", "indent"):
            if len(args) != 1 or not args[0].isdigit() or not has_piped:
                raise TemplateError("%s N is used as | %s N" % (fn, fn))
            s = indent(go_str(piped), int(args[0]))
            return "\n" + s if fn == "nindent" else s
        if fn == "not":
            if has_piped or len(args) != 1:
                raise TemplateError("not is used as not .X")
            return not truthy(self.lookup(args[0], dot))
        if fn.startswith(".") and not args:
            return self.lookup(fn, dot)
        raise TemplateError("unsupported: %s" % " ".join(words))

    def pipeline(self, text, dot):
        v, has = None, False
        for part in text.split("|"):
            words = part.split()
            if not words:
                raise TemplateError("empty pipeline element in {{ %s }}" % text)
            v = self.command(words, dot, v, has)
            has = True
        return v

    def render(self, src):
        # Tokens with the trimming applied.
        toks, pos = [], 0
        for m in ACTION.finditer(src):
            text = src[pos:m.start()]
            if m.group(1):
                text = text.rstrip(" \t\n")
            if toks and toks[-1][0] == "act" and toks[-1][2]:
                text = text.lstrip(" \t\n")
            toks.append(("text", text))
            toks.append(("act", m.group(2), bool(m.group(3))))
            pos = m.end()
        text = src[pos:]
        if toks and toks[-1][0] == "act" and toks[-1][2]:
            text = text.lstrip(" \t\n")
        toks.append(("text", text))
        out, i = self.block(toks, 0, self.root["Values"], True)
        if i != len(toks):
            raise TemplateError("{{ end }} without {{ if }}")
        return out

    def block(self, toks, i, dot, on):
        out = []
        while i < len(toks):
            t = toks[i]
            if t[0] == "text":
                if on:
                    out.append(t[1])
                i += 1
                continue
            act = t[1]
            if act == "end":
                return "".join(out), i
            m = re.fullmatch(r"(if|with)\s+(.+)", act)
            if m:
                v = self.pipeline(m.group(2), dot) if on else None
                inner, j = self.block(toks, i + 1, v if m.group(1) == "with" else dot,
                                      on and truthy(v))
                if j >= len(toks):
                    raise TemplateError("{{ %s }} without {{ end }}" % act)
                out.append(inner)
                i = j + 1
                continue
            if act.startswith("/*") or act in ("else",) or act.startswith(("range", "define", "template", "include", "$")):
                raise TemplateError("unsupported: {{ %s }}" % act)
            if on:
                out.append(go_str(self.pipeline(act, dot)))
            i += 1
        return "".join(out), i


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("chart")
    ap.add_argument("-f", "--values", action="append", default=[])
    ap.add_argument("--name", default="mailsec-exporter")
    ap.add_argument("--namespace", default="monitoring")
    a = ap.parse_args()
    values = yaml.safe_load(open(os.path.join(a.chart, "values.yaml"))) or {}
    for f in a.values:
        merge(values, yaml.safe_load(open(f)) or {})
    r = Renderer(a.chart, values, a.name, a.namespace)
    tdir = os.path.join(a.chart, "templates")
    name = os.path.basename(os.path.normpath(a.chart))
    for f in sorted(os.listdir(tdir)):
        if not f.endswith(".yaml"):
            continue
        try:
            text = r.render(open(os.path.join(tdir, f)).read())
        except TemplateError as e:
            sys.exit("%s: %s" % (f, e))
        if text.strip():
            sys.stdout.write("---\n# Source: %s/templates/%s\n%s\n" % (name, f, text.strip("\n")))


if __name__ == "__main__":
    main()
