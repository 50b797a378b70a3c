"""Training on a Dask cluster: one replica per worker, synchronous rounds, sparse deltas.

    >>> from dask.distributed import Client
    >>> from cw2v import FastText, Word2Vec
    >>> import cw2v.distributed
    >>> client = Client("tcp://scheduler:8786")
    >>> model = Word2Vec(vector_size=300, sg=1, epochs=5)
    >>> cw2v.distributed.fit(model, ["/shared/corpus/part-0.txt", "/shared/corpus/part-1.txt"],
    ...                      client=client, rounds_per_epoch=20)
    >>> model.save("model")          # an ordinary model from here on
    >>> cw2v.distributed.fit(FastText(vector_size=300, bucket=2_000_000), "/shared/corpus.txt")

A FastText model trains the same way: its input matrix (V word rows, then
``bucket`` n-gram rows) is one of the matrices a replica sends the changed
rows of, so a round's delta carries the n-gram buckets its words touched.
Each replica holds two copies of every matrix (``bucket`` included).

The layout, corpus to vectors:

* ``shards.py``: line-aligned byte ranges of the files (shards, one slice
  per round, one piece per thread);
* ``counting.py``: each shard counted on a worker, counts merged in a tree,
  the vocabulary selected once on the driver;
* ``replica.py``: what runs on a worker (its replica and the round task);
* ``merge.py``: sparse deltas, their tree sum and the averaging rules;
* ``rounds.py``: the driver (rounds, schedule, history, faults, logs);
* ``checkpoint.py``: the model and where training stands, every N rounds.

Importing this package does not import dask; :func:`fit` does, and says how
to install it when it is missing.
"""
from __future__ import annotations

__all__ = ["fit", "require_dask"]


def require_dask():
    """The ``distributed`` module, or an ImportError that says how to install it."""
    try:
        import distributed
    except ImportError as err:
        raise ImportError(
            f"cw2v.distributed needs dask's distributed scheduler, which cannot be imported "
            f"({err}); install it with pip install \"cw2v[dask]\" (or pip install "
            f"\"dask[distributed]\")") from err
    return distributed


def fit(model, corpus_file, client=None, **options):
    """Train ``model`` on plain-text files with a Dask cluster; returns ``model``, trained.

    ``model``: a configured ``Word2Vec`` or ``FastText``, untrained or with a vocabulary
    (without one, the vocabulary is counted on the cluster: shard counts
    merged in a tree, pruned and selected once, equal to single-process
    ``build_vocab(corpus_file=...)`` on the files one after the other).
    ``corpus_file``: a path or a list of paths that every worker can read
    at the same place (shared storage), plain text, one sentence per line.
    ``client``: a ``distributed.Client`` (default: the current one).

    Each epoch is a number of synchronous rounds.  In a round every replica
    (one per worker, built there once from the vocabulary and the seed)
    trains its slice of the corpus with all its threads through cw2v's file
    mode, sends back the rows it changed, and the summed, averaged update
    goes back to every replica.  The driver owns the learning-rate schedule
    (by global word count) and ``model.training_history``, one entry per
    epoch, whose ``raw_words`` are the words of the files; a worker that dies
    mid-round loses nothing, its work runs again elsewhere.

    Options (keyword only):

    epochs : int, default model.epochs
    rounds_per_epoch : int, default 12
        Synchronisations per epoch: more keep replicas closer (better
        vectors with many replicas), fewer move fewer bytes.  12 kept the
        moving of deltas under 10% of the round time on the 100 MB
        benchmark (README); a larger corpus makes longer rounds.
    shards : int, optional
        Byte ranges the files are cut into (default: 4 per worker present
        at the start), dealt among the replicas of each round, so that
        the work of a worker that leaves is shared among the others.
    replicas : int, optional
        Replicas per round (default: the workers present at the start of
        each round).  Fixing it makes a run's result independent of worker
        failures (bit-identical with ``threads=1``).
    threads : int, optional
        Threads per replica (default: the largest worker's thread count).
        Start workers with ``--nthreads`` equal to their cores.
    average : {"replicas", "touched", "sum"}, default "replicas"
        How the replicas' deltas of a row combine: the mean over all (with
        alpha_scale = N a word seen by one replica moves as far as in one
        process), the mean over the replicas that changed it, or their sum.
    alpha_scale : float, optional
        The replicas' learning rates are the global schedule's times this
        (default: the number of replicas of the round for the two means, 1
        for the sum), so that a mean over N replicas moves a word as far as
        one process training on the same words would.  With many replicas,
        keep ``alpha * alpha_scale`` moderate (lower it, and use more
        rounds per epoch).
    full_sync_every : int, default 0
        Every that many rounds, every replica replaces its weights by the
        driver's (a broadcast of the whole model).  Replicas apply the same
        float32 updates as the driver and stay bit-identical without it;
        0 never does it.
    checkpoint_dir : str, optional; checkpoint_every : int, default 0
        Save the model and the run's progress there every that many rounds.
    resume : bool, default False
        Continue from the newest checkpoint in ``checkpoint_dir`` (with the
        epochs and schedule of the run that wrote it), if there is one.
    retries : int, default 2
        Reruns of a task that raised (a dead worker's task always runs again).
    start_alpha, end_alpha, compute_loss, callbacks :
        As in ``Word2Vec.train``.
    on_round : callable, optional
        Called with a :class:`~cw2v.distributed.rounds.RoundReport` after
        every round (words/s, communication time, bytes moved).
    """
    from cw2v.distributed.rounds import fit as _fit
    return _fit(model, corpus_file, client, **options)
