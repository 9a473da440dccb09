#!/usr/bin/env bash
# Renders share-manager's alerts from their one source, deploy/prometheus/share-manager-rules.yaml,
# into the PrometheusRule next to it and the "Alerts" section of docs/metrics.md (verbatim,
# between the alerts:begin/end markers). With --check, changes nothing and exits 1 when
# either differs from what it would render (AlertRulesTests runs that).
set -euo pipefail
cd "$(dirname "$0")/.."
source=deploy/prometheus/share-manager-rules.yaml
rule=deploy/prometheus/share-manager-prometheusrule.yaml
doc=docs/metrics.md

render_rule() {
    cat <<'HEAD'
# Generated from share-manager-rules.yaml by scripts/render-alerts.sh: edit that file, not this.
# For the Prometheus Operator; the release label must match your Prometheus resource's
# ruleSelector.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: share-manager
  namespace: share-manager
  labels:
    app.kubernetes.io/name: share-manager
    release: prometheus
spec:
HEAD
    # The source without its leading comment, indented under spec.
    sed '1,/^groups:/{/^#/d}' "$source" | sed 's/^\(.\)/  \1/'
}

render_doc() {
    awk -v src="$source" '
        /<!-- alerts:begin -->/ { print; print "```yaml"; while ((getline line < src) > 0) print line; print "```"; skip = 1; next }
        /<!-- alerts:end -->/ { skip = 0 }
        !skip { print }
    ' "$doc"
}

if [ "${1:-}" = --check ]; then
    status=0
    diff -u "$rule" <(render_rule) || { echo "$rule is stale: run scripts/render-alerts.sh" >&2; status=1; }
    diff -u "$doc" <(render_doc) || { echo "$doc's alerts are stale: run scripts/render-alerts.sh" >&2; status=1; }
    grep -q '<!-- alerts:begin -->' "$doc" || { echo "$doc has no alerts:begin marker" >&2; status=1; }
    exit $status
fi
render_rule > "$rule"
render_doc > "$doc.tmp" && mv "$doc.tmp" "$doc"
