#!/usr/bin/env bash
# Renders the diagrams in docs/diagrams/ to SVG next to them: *.dot with Graphviz, *.msc
# (sequence charts) with mscgen, both from Debian. The SVGs are committed so the docs show
# them without either tool; drift is checked by re-running this script and looking at
# `git diff`.
set -euo pipefail
cd "$(dirname "$0")/.."
need() {
    command -v "$1" >/dev/null && return
    [ "$(id -u)" -eq 0 ] || { echo "diagrams.sh: needs $1 (apt-get install $2)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}
need dot graphviz
need mscgen mscgen
for source in docs/diagrams/*.dot; do
    dot -Tsvg "$source" -o "${source%.dot}.svg"
    echo "rendered ${source%.dot}.svg"
done
for source in docs/diagrams/*.msc; do
    [ -e "$source" ] || continue
    mscgen -T svg -i "$source" -o "${source%.msc}.svg"
    echo "rendered ${source%.msc}.svg"
done
