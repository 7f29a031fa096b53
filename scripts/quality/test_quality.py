"""Unit tests of the benchmark's scoring and generator (stdlib unittest;
run with `python -m unittest discover scripts/quality`)."""

import tempfile
import unittest
from pathlib import Path

from score import merged, score


class ScoreTest(unittest.TestCase):
    truth = {("A", "1"): "x", ("B", "1"): "x", ("B", "2"): "x", ("A", "2"): "y", ("B", "3"): "z"}

    def test_perfect_linkage(self):
        answers = {("A", "1"): "u", ("B", "1"): "u", ("B", "2"): "u", ("A", "2"): "v", ("B", "3"): "w"}
        s = score(self.truth, answers)
        self.assertEqual((s["precision"], s["recall"], s["true_pairs"]), (1.0, 1.0, 3))

    def test_false_and_missed_pairs(self):
        # x's B/2 was not sent; y and z were merged.
        answers = {("A", "1"): "u", ("B", "1"): "u", ("A", "2"): "v", ("B", "3"): "v"}
        s = score(self.truth, answers)
        self.assertEqual((s["correct_pairs"], s["linked_pairs"], s["true_pairs"]), (1, 2, 3))
        self.assertAlmostEqual(s["precision"], 0.5)
        self.assertAlmostEqual(s["recall"], 1 / 3)
        self.assertAlmostEqual(s["f1"], 0.4)

    def test_cross_and_within_partner_pairs(self):
        answers = {k: "u" for k in self.truth}
        cross = score(self.truth, answers, "cross")
        within = score(self.truth, answers, "within")
        # True pairs: A1-B1, A1-B2 (cross), B1-B2 (within).
        self.assertEqual((cross["true_pairs"], within["true_pairs"]), (2, 1))
        self.assertEqual(cross["linked_pairs"] + within["linked_pairs"], 10)
        self.assertEqual((cross["correct_pairs"], within["correct_pairs"]), (2, 1))

    def test_merged_lists_only_uuids_of_several_people(self):
        answers = {("A", "1"): "u", ("B", "1"): "u", ("A", "2"): "v", ("B", "3"): "v", ("B", "2"): "w",
                   ("C", "9"): "v"}
        self.assertEqual(merged(self.truth, answers), [("v", {"y": [("A", "2")], "z": [("B", "3")]})])
        self.assertEqual(merged(self.truth, {}), [])

    def test_nothing_linked(self):
        s = score(self.truth, {})
        self.assertEqual((s["precision"], s["recall"]), (1.0, 0.0))


class GeneratorTest(unittest.TestCase):
    def test_same_seed_same_files(self):
        from population import generate

        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            fa, ta = generate("twins", 200, 7, Path(a))
            fb, tb = generate("twins", 200, 7, Path(b))
            self.assertEqual(ta, tb)
            for p in fa:
                self.assertEqual(fa[p].read_text(), fb[p].read_text())
            self.assertGreaterEqual(len(set(ta.values())), 200)

    def test_twins_share_all_but_first_name(self):
        from population import Generator, multiples

        g = Generator(3)
        for _ in range(50):
            a, b = multiples(g, 2)
            x, y = a.states[0], b.states[0]
            self.assertEqual((x.last, x.dob, x.zip, x.city), (y.last, y.dob, y.zip, y.city))
            self.assertNotEqual(x.first, y.first)


if __name__ == "__main__":
    unittest.main()
