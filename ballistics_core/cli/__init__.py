"""The ``ballistics`` command line: thin wrappers over the public functions."""
