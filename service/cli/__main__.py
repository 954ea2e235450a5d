"""``python -m service.cli``: the ``ballistics`` command."""

if __name__ == "__main__":
    from service.cli import main

    main()
