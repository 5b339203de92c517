"""simsa's one HTTP client: the kiosk's sync, the auditor, the demo, the simulator and the
benchmarks all speak to the server through it (docs/ARCHITECTURE.md).

- :mod:`client.errors` — the error tree every foreign exception is converted into;
- :mod:`client.transport` — one session, timeouts, bounded retries honouring ``Retry-After``;
- :mod:`client.api` — :class:`LedgerClient`, the API's routes as methods;
- :mod:`client.proofs` — tree heads, consistency, inclusion and witnessed checkpoints,
  checked through ``shared``.
"""

from .api import PAGE, LedgerClient
from .errors import ClientError, ServerRefused, ServerUnavailable, network_reason
from .transport import TIMEOUT, RetryPolicy

__all__ = [
    "PAGE",
    "TIMEOUT",
    "ClientError",
    "LedgerClient",
    "RetryPolicy",
    "ServerRefused",
    "ServerUnavailable",
    "network_reason",
]
