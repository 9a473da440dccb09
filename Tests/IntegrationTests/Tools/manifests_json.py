#!/usr/bin/env python3
"""Prints the Kubernetes objects of YAML manifest files as one JSON array, for
ManifestTests.swift, which has no YAML parser of its own:

  manifests_json.py FILE...   [{"file": FILE, "object": {...}}, ...]

Runs with the venv's python (scripts/install-deps.sh), where PyYAML comes with
kubernetes-validate; Debian's python3-yaml is not visible inside the venv. Empty
documents are skipped. Exits 1 with one line on stderr when a file does not parse.
"""
import json
import sys

import yaml


def main() -> int:
    objects = []
    for path in sys.argv[1:]:
        try:
            with open(path, encoding="utf-8") as stream:
                documents = list(yaml.safe_load_all(stream))
        except (OSError, yaml.YAMLError) as error:
            print(f"{path}: {error}".replace("\n", " "), file=sys.stderr)
            return 1
        for document in documents:
            if document is None:
                continue
            if not isinstance(document, dict):
                print(f"{path}: a document is not a mapping", file=sys.stderr)
                return 1
            objects.append({"file": path, "object": document})
    # default=str: an unquoted date or time becomes its text instead of a crash.
    json.dump(objects, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
