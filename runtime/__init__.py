"""wsauth's runtime as source: ``session``, ``plan``, ``seam``, ``steps`` and ``cli``
are copied verbatim into the generated package (``generated/wsauth/``) by
``python -m generator``, beside the exchange modules.

This file (and ``_listing.py``) is not copied: it stands in for the package's ``__init__`` (rendered
from the catalogue) so that these files type-check where they stand.
"""

from typing import Final as _Final

__version__: _Final[str] = "0.0.0"
EXCHANGES: _Final[tuple[str, ...]] = ()
UNSUPPORTED: _Final[dict[str, str]] = {}
