"""The kernel tree of tree mode (``--tree``): a git checkout of the target
project, behind the typed ``KernelTree`` protocol.

``protocol`` declares what the C analysis and the rules ask of a tree, and
``ApplyProblem``; ``tree.TreeSource`` implements it by applying the series
in a temporary index (``gitrun`` runs git); ``treedefs`` cuts function and
macro definitions out of C source text.  The checkout is read only from
here; ``reviewpatch.csource`` holds the C facts, runs no git, and names
``KernelTree`` only in its annotations.
"""

from __future__ import annotations

__all__ = ["ApplyProblem", "Definition", "KernelTree"]

from reviewpatch.kernel.protocol import ApplyProblem, KernelTree
from reviewpatch.kernel.treedefs import Definition
