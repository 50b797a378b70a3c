"""Commands of the ``cw2v`` command line that live in their own module.

Each module has ``register(command)``, which cw2v.cli calls with its
sub-command factory, and raises cw2v.cli's CommandError / UsageError.
"""
