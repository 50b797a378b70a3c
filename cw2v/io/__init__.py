"""Everything that touches files: opening (compression detected by content),
atomic writes, corpus readers, vector file formats and native bundles."""
