"""Commands: serve (to be filled)."""


def register(app) -> None:
    pass
