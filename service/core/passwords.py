"""The password policy (NIST SP 800-63B: length and a block list, no composition rules).

A password has 12 to 200 characters, is not the username, is not one character or a
short pattern repeated, and is not one of the passwords every guessing list starts with.
"""

from __future__ import annotations

MIN_LENGTH = 12
MAX_LENGTH = 200
# Lower-cased; any password that is one of these, or one of these with digits or
# punctuation around it, is refused.
_COMMON = frozenset(
    """password passw0rd p@ssword p@ssw0rd qwerty qwertyuiop azerty letmein welcome admin
    administrator iloveyou monkey dragon football baseball master sunshine princess
    shadow trustno1 changeme secret default ballistics firearms police examiner
    abcdefghijkl abc123 123456789012 1234567890 0123456789 qwerty123 password1
    welcome1 letmein1 zaq12wsx 1q2w3e4r5t6y""".split()
)


def password_problem(password: str, username: str = ""):
    """Why ``password`` is refused (a :class:`service.intel.words.Phrase`: ``str()`` is its
    English, a page says it in its reader's language), or None if the policy accepts it."""
    from service import reasons

    if len(password) < MIN_LENGTH:
        return reasons.password_too_short(MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return reasons.password_too_long(MAX_LENGTH)
    if "\x00" in password:
        return reasons.password_nul()
    lowered = password.lower()
    if username and lowered == username.lower():
        return reasons.password_is_username()
    for period in range(1, 5):
        unit = lowered[:period]
        if unit * (len(lowered) // period) + unit[: len(lowered) % period] == lowered:
            return reasons.password_repeated()
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,;:?/ ")
    if lowered in _COMMON or core in _COMMON:
        return reasons.password_common()
    return None
