"""Open ballistic-intelligence engine: cartridge-case signatures and their comparison.

Layers point one way: ``io`` -> ``preprocess``/``signature`` -> ``compare``/``decide``
-> ``store``/``search``. Algorithms take arrays and never read files.
"""

__version__ = "0.1.0"

# Bumped whenever a change can alter a score; stored with every signature and score.
ALGORITHM_VERSION = "bce-0.4.0"

from ballistics_core.scan import Scan  # noqa: E402
from ballistics_core.errors import BallisticsError, ScanFormatError  # noqa: E402

__all__ = ["Scan", "BallisticsError", "ScanFormatError", "ALGORITHM_VERSION", "__version__"]
