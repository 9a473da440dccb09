#!/usr/bin/env python3
"""A real NFSv4.1 client for share-manager's integration tests (nfs-rs, userspace:
the kernel here has no NFS client).

  nfs_client.py write URL PATH SIZE   writes SIZE random bytes, prints their sha256
  nfs_client.py read URL PATH         reads the whole file, prints its sha256 and size
  nfs_client.py wait-size URL BYTES SECONDS
                                      stays connected, printing fs_stat's total bytes, until
                                      it reaches BYTES (exit 0) or SECONDS pass (exit 1)

URL is nfs://HOST:PORT/VOLUME?version=4.1. Exits non-zero with one line on stderr on failure.
"""
import hashlib
import os
import sys
import time

from nfs_rs import Client


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    verb, url, path = sys.argv[1], sys.argv[2], sys.argv[3]
    with Client.connect(url, connect_timeout=10, operation_timeout=60) as client:
        if verb == "wait-size":
            wanted, deadline = int(sys.argv[3]), time.monotonic() + float(sys.argv[4])
            print("connected", client.fs_stat().total_bytes, flush=True)
            while time.monotonic() < deadline:
                total = client.fs_stat().total_bytes
                if total >= wanted:
                    print("grown", total, flush=True)
                    return 0
                time.sleep(0.5)
            print(f"still {client.fs_stat().total_bytes} bytes, wanted {wanted}", file=sys.stderr)
            return 1
        if verb == "write":
            data = os.urandom(int(sys.argv[4]))
            with client.open(path, "wb") as file:
                written = file.write(data)
            if written != len(data):
                print(f"short write: {written} of {len(data)} bytes", file=sys.stderr)
                return 1
            print(hashlib.sha256(data).hexdigest(), len(data))
        elif verb == "read":
            with client.open(path, "rb") as file:
                data = file.read()
            print(hashlib.sha256(data).hexdigest(), len(data))
        else:
            print(f"unknown verb {verb}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # one line for the test's failure message
        print(f"nfs_client: {type(error).__name__}: {error}".replace("\n", " "), file=sys.stderr)
        sys.exit(1)
