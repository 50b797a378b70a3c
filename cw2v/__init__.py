"""cw2v: fast compiled word2vec."""
__version__ = "0.1.0"
