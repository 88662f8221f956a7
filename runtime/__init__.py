"""wsauth's runtime as source: ``session``, ``plan``, ``seam`` and ``steps``
are copied verbatim into the generated package (``generated/wsauth/``) by
``python -m generator``, beside the exchange modules.

This file is not copied: it stands in for the package's ``__init__`` (rendered
from the catalogue) so that these files type-check where they stand.
"""

from typing import Final as _Final

EXCHANGES: _Final[tuple[str, ...]] = ()
UNSUPPORTED: _Final[dict[str, str]] = {}
