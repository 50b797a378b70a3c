"""Families of command-line commands, registered by cw2v.cli."""
