"""Commands: preprocess (to be filled)."""


def register(app) -> None:
    pass
