#!/usr/bin/env python3
"""The layering test: every #include in the tree stays within what the build declares.

The declarations are written by cmake/SluiceLayers.cmake from src/CMakeLists.txt (the folders
of src/sluice/, each with the folders and third-party libraries it uses), CMakeLists.txt (the
tools) and tests/CMakeLists.txt (test support and unit tests). This checker reads that manifest
and every source file, and fails, naming the file and line, when

  - a file includes a header of a folder its own folder does not declare,
  - a file includes a third-party header (curl, OpenSSL, CLI11, zlib, ...) its folder does not
    declare, or a header that is neither standard, POSIX, nor any declared library's (a new
    library is declared with sluice_third_party() before anything may include it),
  - a quoted include names a file that does not exist or is not under sluice/ or tests/, or a
    sluice or test header is included with <...>,
  - a source file sits in a folder that nothing declares (a new folder must be declared), or
  - the declared folders form a cycle.

Includes inside comments or #if 0 blocks are read as includes too (the tree has none); an
#include of a macro is not checked. Usage:
  check_layering.py --root SOURCE_DIR --manifest BUILD_DIR/layers.manifest
"""

import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
# Where the checked sources are, relative to the root; tests/data holds third-party test vectors
# and tests/layering the checker's own fixtures.
SOURCE_DIRS = ["src", "tools", "tests", "bench"]
SKIPPED_DIRS = {"tests/data", "tests/layering"}
SOURCE_SUFFIXES = (".h", ".cc", ".hpp", ".cpp", ".inc", ".ipp")
# C and POSIX headers any file may include; C++'s own headers are those without a suffix
# (<string>, <cstdio>). Anything else must belong to a declared third-party library.
POSIX_HEADERS = {
    "assert.h", "ctype.h", "dirent.h", "dlfcn.h", "errno.h", "fcntl.h", "fnmatch.h", "grp.h",
    "inttypes.h", "limits.h", "locale.h", "math.h", "netdb.h", "poll.h", "pthread.h", "pwd.h",
    "sched.h", "signal.h", "spawn.h", "stdint.h", "stdio.h", "stdlib.h", "string.h", "strings.h",
    "termios.h", "time.h", "unistd.h",
}
POSIX_PREFIXES = ("sys/", "netinet/", "arpa/", "linux/")


def is_system_header(header):
    if "/" not in header and "." not in header:
        return True  # the C++ standard library
    return header in POSIX_HEADERS or header.startswith(POSIX_PREFIXES)


class Manifest:
    def __init__(self):
        self.third_party = {}  # name -> [header or prefix/]
        self.units = {}  # path -> (set of paths it may include, set of third-party names)

    @staticmethod
    def parse(text):
        manifest = Manifest()
        for number, line in enumerate(text.splitlines(), 1):
            words = line.split()
            if not words:
                continue
            if words[0] == "third_party" and len(words) >= 2:
                manifest.third_party[words[1]] = words[2:]
            elif words[0] == "unit" and len(words) >= 3 and "includes" in words:
                path = words[1]
                rest = words[words.index("includes") + 1:]
                if "third_party" in rest:
                    cut = rest.index("third_party")
                    includes, third_party = rest[:cut], rest[cut + 1:]
                else:
                    includes, third_party = rest, []
                if path in manifest.units:
                    raise ValueError(f"manifest line {number}: {path} is declared twice")
                manifest.units[path] = (set(includes), set(third_party))
            else:
                raise ValueError(f"manifest line {number} not understood: {line!r}")
        return manifest

    def owner_of_header(self, header):
        """The third-party library a <header> belongs to, or None (standard, POSIX)."""
        for name, patterns in self.third_party.items():
            for pattern in patterns:
                if pattern.endswith("/") and header.startswith(pattern):
                    return name
                if header == pattern:
                    return name
        return None

    def homes_of(self, name):
        return sorted(path for path, (_, third_party) in self.units.items()
                      if name in third_party and path.startswith("src/"))


def find_cycle(manifest):
    """A cycle among the src/ folders' declared includes, as a list of paths, or None."""
    graph = {path: sorted(p for p in includes if p.startswith("src/"))
             for path, (includes, _) in manifest.units.items() if path.startswith("src/")}
    state = {}  # path -> 1 while on the stack, 2 when done
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def source_files(root):
    for top in SOURCE_DIRS:
        for directory, subdirs, files in os.walk(os.path.join(root, top)):
            rel_dir = os.path.relpath(directory, root)
            subdirs[:] = sorted(d for d in subdirs
                                if os.path.join(rel_dir, d) not in SKIPPED_DIRS)
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    yield os.path.join(rel_dir, name)


def declared_by(path):
    if path.startswith("src/"):
        return "src/CMakeLists.txt"
    if path.startswith("tests/"):
        return "tests/CMakeLists.txt"
    if path.startswith("bench/"):
        return "bench/CMakeLists.txt"
    return "CMakeLists.txt"


def check(root, manifest):
    """Returns (errors, files checked, includes checked)."""
    errors = []
    cycle = find_cycle(manifest)
    if cycle:
        errors.append("the declared folders form a cycle: " + " -> ".join(cycle))
    for path, (includes, _) in sorted(manifest.units.items()):
        for included in sorted(includes):
            if included not in manifest.units:
                errors.append(f"{path} is declared to use {included}, which is not declared")

    files = includes_checked = 0
    for path in source_files(root):
        files += 1
        unit = path if path in manifest.units else os.path.dirname(path)
        if unit not in manifest.units:
            errors.append(f"{path}: its folder {os.path.dirname(path)} is not declared: add it to "
                          f"{declared_by(path)} with what it uses")
            continue
        own_dir = os.path.dirname(path)
        allowed, third_party = manifest.units[unit]
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        for number, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            includes_checked += 1
            kind, header = m.groups()
            where = f"{path}:{number}"
            if kind == "<":
                if header.startswith(("sluice/", "tests/")):
                    errors.append(f"{where}: <{header}>: include sluice and test headers with "
                                  f"quotes, \"{header}\", so that this check sees them")
                    continue
                owner = manifest.owner_of_header(header)
                if owner is None:
                    if not is_system_header(header):
                        errors.append(f"{where}: <{header}> is neither a standard or POSIX header "
                                      f"nor a declared library's: declare its library with "
                                      f"sluice_third_party() in src/CMakeLists.txt")
                    continue
                if owner not in third_party:
                    homes = ", ".join(manifest.homes_of(owner)) or "no folder"
                    errors.append(f"{where}: <{header}> is {owner}'s, which {unit} does not "
                                  f"declare (its home: {homes}); go through that folder, or "
                                  f"declare {owner} in {declared_by(unit)}")
                continue
            if header.startswith("sluice/"):
                target = os.path.join("src", header)
            elif header.startswith("tests/"):
                target = header
            else:
                errors.append(f"{where}: \"{header}\": include sluice headers as "
                              f"\"sluice/<folder>/x.h\" and test support as \"tests/...\"")
                continue
            if not os.path.isfile(os.path.join(root, target)):
                errors.append(f"{where}: \"{header}\": no such file ({target})")
                continue
            target_dir = os.path.dirname(target)
            if target_dir == own_dir or target_dir in allowed:
                continue
            errors.append(f"{where}: \"{header}\": {unit} may not include {target_dir} "
                          f"({declared_by(unit)} does not declare it for {unit}; a lower folder "
                          f"never includes a higher one)")
    return errors, files, includes_checked


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the source tree")
    parser.add_argument("--manifest", required=True, help="layers.manifest from the build tree")
    args = parser.parse_args(argv)
    try:
        with open(args.manifest, encoding="utf-8") as f:
            manifest = Manifest.parse(f.read())
    except (OSError, ValueError) as e:
        print(f"check_layering: {e}: configure the build first (cmake -S . -B build)",
              file=sys.stderr)
        return 2
    errors, files, includes = check(args.root, manifest)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"check_layering: {len(errors)} problem(s) in {files} files", file=sys.stderr)
        return 1
    print(f"check_layering: {files} files, {includes} includes, {len(manifest.units)} units: "
          f"every include is declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
