"""Names for the numpy arrays the engine passes around.

A night's data lives in flat arrays indexed by request, space or eligible pair (see
`engine.eligibility` and `engine.solver.problem`); these aliases say what their elements are.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

IntArray: TypeAlias = npt.NDArray[np.int64]
"""Indices, minutes, metres, objective weights; one or two dimensions."""

BoolArray: TypeAlias = npt.NDArray[np.bool_]
"""Masks: per request, per space, per pair, or a (requests x spaces) block."""

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""Coordinates in metres."""
