"""Subcommands of the ``cw2v`` command line that live in their own modules."""
