#!/usr/bin/env python3
"""Checks that the layering test can fail: on a copy of the real tree with the real manifest, a
lower folder including a higher one, a third-party header outside its home, a missing header, a
quoted include outside sluice/ and tests/, and an undeclared folder are each reported with the
file and line; so is a cycle in a manifest. The untouched copy passes.

Usage: check_layering_test.py --root SOURCE_DIR --manifest BUILD_DIR/layers.manifest
"""

import argparse
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_layering  # noqa: E402

ARGS = None


def copy_tree(root, into):
    """Copies the checked source files (only those) of the tree."""
    for path in check_layering.source_files(root):
        os.makedirs(os.path.join(into, os.path.dirname(path)), exist_ok=True)
        shutil.copy(os.path.join(root, path), os.path.join(into, path))


class CheckLayeringTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(ARGS.manifest, encoding="utf-8") as f:
            cls.manifest = check_layering.Manifest.parse(f.read())

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-layering-")
        copy_tree(ARGS.root, self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def append(self, path, line):
        full = os.path.join(self.tmp, path)
        with open(full, encoding="utf-8") as f:
            count = len(f.read().splitlines())
        with open(full, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        return count + 1

    def errors(self):
        errors, files, _ = check_layering.check(self.tmp, self.manifest)
        self.assertGreater(files, 100)
        return errors

    def test_the_real_tree_passes(self):
        self.assertEqual(self.errors(), [])

    def test_a_lower_folder_including_a_higher_one_is_named_with_its_line(self):
        line = self.append("src/sluice/util/error.h", '#include "sluice/watch/watcher.h"')
        errors = self.errors()
        self.assertEqual(len(errors), 1, errors)
        self.assertTrue(errors[0].startswith(f"src/sluice/util/error.h:{line}: "), errors[0])
        self.assertIn("src/sluice/util may not include src/sluice/watch", errors[0])

    def test_a_sibling_not_declared_is_refused_too(self):
        line = self.append("src/sluice/image/tar_reader.cc", '#include "sluice/net/http.h"')
        errors = self.errors()
        self.assertEqual(errors, [errors[0]])
        self.assertTrue(errors[0].startswith(f"src/sluice/image/tar_reader.cc:{line}: "))

    def test_a_unit_test_may_not_reach_above_its_folder(self):
        self.append("tests/unit/util/uri_test.cc", '#include "sluice/aws/sigv4.h"')
        errors = self.errors()
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("tests/unit/util may not include src/sluice/aws", errors[0])

    def test_a_third_party_header_outside_its_home_is_named(self):
        line = self.append("src/sluice/aws/sigv4.cc", "#include <curl/curl.h>")
        errors = self.errors()
        self.assertEqual(len(errors), 1, errors)
        self.assertTrue(errors[0].startswith(f"src/sluice/aws/sigv4.cc:{line}: <curl/curl.h>"))
        self.assertIn("curl's", errors[0])
        self.assertIn("src/sluice/net", errors[0])

    def test_an_undeclared_library_and_an_angled_sluice_header_are_refused(self):
        self.append("src/sluice/util/uri.cc", "#include <yaml-cpp/yaml.h>")
        self.append("src/sluice/util/uri.cc", "#include <sluice/watch/watcher.h>")
        self.append("src/sluice/util/uri.cc", "#include <sys/mman.h>")  # POSIX: fine
        errors = self.errors()
        self.assertEqual(len(errors), 2, errors)
        self.assertIn("<yaml-cpp/yaml.h> is neither a standard or POSIX header", errors[0])
        self.assertIn("include sluice and test headers with quotes", errors[1])

    def test_a_missing_header_and_a_bare_include_are_refused(self):
        self.append("src/sluice/net/http.h", '#include "sluice/nowhere/x.h"')
        self.append("src/sluice/net/http.h", '#include "http.h"')
        errors = self.errors()
        self.assertEqual(len(errors), 2, errors)
        self.assertIn("no such file", errors[0])
        self.assertIn("include sluice headers as", errors[1])

    def test_an_undeclared_folder_is_refused(self):
        os.makedirs(os.path.join(self.tmp, "src/sluice/extra"))
        with open(os.path.join(self.tmp, "src/sluice/extra/x.cc"), "w", encoding="utf-8") as f:
            f.write('#include "sluice/util/error.h"\n')
        errors = self.errors()
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("src/sluice/extra is not declared", errors[0])

    def test_a_cycle_in_the_declarations_is_refused(self):
        manifest = check_layering.Manifest.parse(
            "unit src/sluice/a includes src/sluice/b third_party\n"
            "unit src/sluice/b includes src/sluice/c third_party\n"
            "unit src/sluice/c includes src/sluice/a third_party\n")
        self.assertEqual(check_layering.find_cycle(manifest),
                         ["src/sluice/a", "src/sluice/b", "src/sluice/c", "src/sluice/a"])
        self.assertIsNone(check_layering.find_cycle(self.manifest))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--manifest", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
