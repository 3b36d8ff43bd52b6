#!/usr/bin/env python3
"""Checks that a tool links only what it uses: none of the shared libraries named after it is
among its direct dependencies (readelf -d: NEEDED), e.g. that sluice-watch, which handles no
images, loads neither zlib, zstd nor ISA-L.

Usage: check_tool_links.py TOOL_BINARY LIBRARY_PREFIX...
"""

import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, forbidden = sys.argv[1], sys.argv[2:]
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True)
    needed = [line.split("[", 1)[1].rstrip("]") for line in out.stdout.splitlines()
              if "(NEEDED)" in line]
    bad = [lib for lib in needed if any(lib.startswith(prefix) for prefix in forbidden)]
    if bad:
        print(f"{binary} links {', '.join(bad)}: it should not (check what its folders declare "
              f"in src/CMakeLists.txt)", file=sys.stderr)
        return 1
    print(f"{binary} needs {', '.join(needed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
