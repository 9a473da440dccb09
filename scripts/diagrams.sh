#!/usr/bin/env bash
# Renders the diagrams in docs/diagrams/*.dot to SVG next to them (Graphviz from Debian).
# The SVGs are committed so the docs show them; ManifestTests-style drift is checked by
# re-running this script and looking at `git diff`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "diagrams.sh: needs Graphviz's dot (apt-get install graphviz)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null
fi
for source in docs/diagrams/*.dot; do
    dot -Tsvg "$source" -o "${source%.dot}.svg"
    echo "rendered ${source%.dot}.svg"
done
