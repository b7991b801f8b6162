"""Tests of the labelled detection corpus, its labels, the scoring arithmetic and the baselines."""
