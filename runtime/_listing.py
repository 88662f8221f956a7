"""Not copied: stands in for the package's ``_listing`` (rendered from the
catalogue) so that ``cli`` type-checks where it stands."""

from typing import Final

LISTING: Final[dict[str, dict[str, object]]] = {}
