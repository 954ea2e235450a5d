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


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is refused, or None if the policy accepts it."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password must have at most {MAX_LENGTH} characters"
    if "\x00" in password:
        return "the password may not contain NUL characters"
    lowered = password.lower()
    if username and lowered == username.lower():
        return "the password may not be the username"
    for period in range(1, 5):
        unit = lowered[:period]
        if unit * (len(lowered) // period) + unit[: len(lowered) % period] == lowered:
            return "the password may not be a short pattern repeated"
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,;:?/ ")
    if lowered in _COMMON or core in _COMMON:
        return "the password is on the list of commonly used passwords"
    return None
