"""Exceptions with messages meant for the person who submitted the input."""


class BallisticsError(Exception):
    """Base class: the message is one line that names the problem."""


class ScanFormatError(BallisticsError):
    """A file could not be read as a scan (corrupt, hostile, unsupported, wrong units)."""


class ScanContentError(BallisticsError):
    """A scan was read but holds nothing usable (empty, all-NaN, too small)."""


class ParamsMismatchError(BallisticsError):
    """Signatures made with different parameter digests must not be mixed."""
