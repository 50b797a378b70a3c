"""The model families; each module holds only what is its own."""
