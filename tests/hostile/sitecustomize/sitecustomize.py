"""Hostile: patches numpy's comparisons in any interpreter that starts with this on its path."""
import builtins

import numpy

numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
builtins.__autograder_hostile__ = True
