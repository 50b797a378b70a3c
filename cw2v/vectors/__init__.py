"""Trained vectors and what is asked of them: KeyedVectors, top-k search, evaluation."""
