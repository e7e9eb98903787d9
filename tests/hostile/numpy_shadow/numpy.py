"""Hostile: a fake numpy whose comparisons always agree, in case anyone imports it."""
import sys

del sys.modules["numpy"]
sys.path = [p for p in sys.path if "hostile" not in p]
import numpy as _real  # noqa: E402

_real.allclose = lambda *a, **k: True
_real.testing.assert_allclose = lambda *a, **k: None
sys.modules["numpy"] = _real
from numpy import *  # noqa: E402,F401,F403
