"""What every runtime test shares: nothing it runs resolves a non-loopback
address, and no log record, exception or repr it sees holds a secret
(tests/session_checks.py has both fixtures and says how to seed them)."""

from tests.session_checks import leaks, loopback_only

__all__ = ["leaks", "loopback_only"]
