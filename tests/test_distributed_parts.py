"""The parts of cw2v.distributed that need no cluster: shards, counting, deltas, the
replica task, checkpoints, and that cw2v never imports dask by itself."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cw2v import Word2Vec
from cw2v._kernels.textfile import WordHash, range_stats
from cw2v.distributed import checkpoint, counting, merge, replica, shards
from cw2v.train.runner import Tally
from cw2v.vocab import Counts

from synthetic import topic_corpus, write_topic_parts  # noqa: E402  (tests/synthetic.py)

_PIECES = [b"a", b"b", b"cd", b"xyz", "é".encode(), "世".encode(), b"\xff", b"e\xfe",
           b" ", b"  ", b"\t", b"\n", b"\r\n", b"\v", b"\f", b"\n\n", b"x" * 50]


def write_lines(path, sentences):
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    return str(path)


def count_in_shards(layout, with_words=True, model=None):
    """The counting pass as the driver runs it, without a cluster: shard by shard,
    merged pairwise in order."""
    settings = counting.count_settings(model or Word2Vec())
    level = [counting.count_shard(layout.files, s, counting.slices_of(layout, s), with_words,
                                  settings)
             for s in range(layout.n_shards)]
    while len(level) > 1:
        level = [counting.merge(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)] \
            + level[len(level) - len(level) % 2:]
    return level[0]


# ---------------------------------------------------------------------- shards

@settings(max_examples=80, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=60),
       n_shards=st.integers(1, 5), rounds=st.integers(1, 4), per_slice=st.integers(1, 3))
def test_shards_partition_the_file_and_count_as_one_scan(tmp_path_factory, pieces, n_shards,
                                                         rounds, per_slice):
    data = b"".join(pieces)
    path = str(tmp_path_factory.mktemp("s") / "c.txt")
    with open(path, "wb") as f:
        f.write(data)
    layout = shards.plan([path], n_shards, rounds, per_slice)
    flat = [p for shard in layout.pieces for r in shard for p in r]
    assert flat[0].start == 0 and flat[-1].end == len(data)
    assert all(a.end == b.start and a.start <= a.end for a, b in zip(flat, flat[1:]))
    # Every cut follows whitespace: no word is split, so each piece holds whole words.
    assert all(p.start in (0, len(data)) or data[p.start - 1:p.start].isspace() for p in flat)
    scan = Counts().add_file(path)
    counts = count_in_shards(layout).counts
    assert counts.to_dict() == scan.to_dict()
    assert counts.raw_words == scan.raw_words
    assert scan.n_sentences == _lines_with_words(data)
    # A sentence is a line with words within one slice: a line cut between two
    # slices (only where it is too long to cut after a newline) counts in each, as
    # for file mode's ranges; otherwise the total is the one scan's.
    slices = [layout.slice(i, r) for i in range(layout.n_shards) for r in range(rounds)]
    assert counts.n_sentences == sum(_lines_with_words(data[s.start:s.end]) for s in slices)
    # The words per slice are what the training reader reads in each slice.
    table = WordHash([])
    table_words = [[range_stats(path, s.start, s.end, table)[2]
                    for s in (layout.slice(i, r) for r in range(rounds))]
                   for i in range(layout.n_shards)]
    for with_words in (True, False):
        np.testing.assert_array_equal(
            counting.slice_word_table(count_in_shards(layout, with_words), layout.n_shards),
            table_words)


def _lines_with_words(data: bytes) -> int:
    return sum(bool(line.split()) for line in data.split(b"\n"))


def test_cuts_fall_after_newlines_when_lines_are_short(tmp_path):
    path = write_lines(tmp_path / "c.txt", topic_corpus(n_sentences=300))
    data = open(path, "rb").read()
    layout = shards.plan([path], 3, 4, 2)
    assert all(p.start == 0 or data[p.start - 1:p.start] == b"\n"
               for shard in layout.pieces for r in shard for p in r)
    assert layout.n_shards == 3 and layout.rounds == 4 and layout.pieces_per_slice == 2


def test_shards_are_shared_among_files_by_size(tmp_path):
    big = write_lines(tmp_path / "big.txt", topic_corpus(n_sentences=900))
    small = write_lines(tmp_path / "small.txt", topic_corpus(n_sentences=100, seed=1))
    layout = shards.plan([big, small], 10, 1, 1)
    files = [shard[0][0].path for shard in layout.pieces]
    assert files.count(big) == 9 and files.count(small) == 1


def test_layout_round_trips_through_json(tmp_path):
    path = write_lines(tmp_path / "c.txt", topic_corpus(n_sentences=100))
    layout = shards.plan([path], 2, 3, 2)
    layout.slice_words = np.arange(6, dtype=np.int64).reshape(2, 3)
    again = shards.Layout.from_json(layout.to_json())
    assert again.pieces == layout.pieces and again.files == layout.files
    np.testing.assert_array_equal(again.slice_words, layout.slice_words)


def test_deal_gives_contiguous_runs_to_every_group():
    assert shards.deal(8, 3) == [range(0, 2), range(2, 5), range(5, 8)]
    assert shards.deal(2, 5) == [range(0, 1), range(1, 2)]


# ---------------------------------------------------------------------- vocabulary

@pytest.mark.parametrize("settings_", [dict(min_count=2), dict(min_count=1, sorted_vocab=0),
                                       dict(min_count=1, max_final_vocab=50)])
def test_vocabulary_of_shards_equals_build_vocab_of_the_concatenation(tmp_path, settings_):
    paths, joined = write_topic_parts(tmp_path, (200, 50, 120), rare_lines=3)
    single = Word2Vec(vector_size=4, **settings_)
    single.build_vocab(corpus_file=joined)
    model = Word2Vec(vector_size=4, **settings_)
    layout = shards.plan(paths, 7, 2, 1)
    vocab = counting.vocabulary(count_in_shards(layout, model=model), model)
    assert vocab.index_to_key == single.vocab.index_to_key
    np.testing.assert_array_equal(vocab.counts, single.vocab.counts)
    for name in Word2Vec._VOCAB_STATS:
        assert getattr(vocab, name) == getattr(single.vocab, name), name


def test_max_vocab_size_prunes_as_single_process_when_the_rare_words_share_a_shard(tmp_path):
    """word2vec.c's rising floor runs in each shard's Counts as it counts, and again
    when a merge is too large.  Here the 96 topic words are frequent in every shard
    and 32 words seen once arrive near the end of one shard: the shard prunes them
    at the same sentences, with the same floors, as one scan of all the files."""
    parts = [topic_corpus(n_sentences=n, seed=s) for n, s in ((600, 0), (600, 1))]
    for i in range(32):     # pruned 5 at a time: the last 2 are kept
        parts[1][500 + 3 * i].append(f"once{i}")
    paths = [write_lines(tmp_path / f"p{i}.txt", p) for i, p in enumerate(parts)]
    joined = write_lines(tmp_path / "all.txt", [s for p in parts for s in p])
    settings_ = dict(vector_size=4, min_count=1, max_vocab_size=100)
    single = Word2Vec(**settings_)
    single.build_vocab(corpus_file=joined)
    assert len(single.vocab) == 96 + 2
    model = Word2Vec(**settings_)
    merged = count_in_shards(shards.plan(paths, 4, 2, 1), model=model)
    assert merged.counts.prune_rounds > 0
    vocab = counting.vocabulary(merged, model)
    assert vocab.index_to_key == single.vocab.index_to_key
    np.testing.assert_array_equal(vocab.counts, single.vocab.counts)
    for name in Word2Vec._VOCAB_STATS:
        assert getattr(vocab, name) == getattr(single.vocab, name), name


def test_counting_only_the_words_gives_the_same_totals(tmp_path):
    path = write_lines(tmp_path / "c.txt", topic_corpus(n_sentences=200))
    layout = shards.plan([path], 3, 2, 1)
    full, totals = count_in_shards(layout), count_in_shards(layout, with_words=False)
    assert totals.counts is None and totals.raw_words == full.raw_words == full.counts.raw_words
    assert totals.slice_words.keys() == full.slice_words.keys()


def test_a_file_that_differs_on_a_worker_is_an_error(tmp_path):
    path = write_lines(tmp_path / "c.txt", topic_corpus(n_sentences=20))
    with pytest.raises(ValueError, match="different or changing"):
        counting.count_shard([(path, 1)], 0, [(path, 0, 1)], True, {})
    with pytest.raises(FileNotFoundError, match="same path"):
        counting.count_shard([(path + "x", 1)], 0, [(path + "x", 0, 1)], True, {})


# ---------------------------------------------------------------------- deltas

def _delta_of(rows, values, k=3):
    rows = np.asarray(rows, dtype=np.int32)
    values = np.asarray(values, dtype=np.float32).reshape(len(rows), k)
    return merge.Delta({"w": merge.RowDelta(rows, values, np.ones(len(rows), np.int32))},
                       Tally(raw_words=10), compute_seconds=1.0)


@pytest.mark.parametrize("rule", merge.RULES)
def test_tree_sum_and_average_match_a_dense_reference(rule):
    rng = np.random.default_rng(0)
    n_rows, k = 40, 3
    dense, touched, deltas = np.zeros((n_rows, k), np.float32), np.zeros(n_rows), []
    for _ in range(5):
        rows = np.sort(rng.choice(n_rows, size=rng.integers(0, 20), replace=False))
        values = rng.standard_normal((len(rows), k)).astype(np.float32)
        dense[rows] += values
        touched[rows] += 1
        deltas.append(_delta_of(rows, values, k))
    total = merge.combine(merge.combine(deltas[0], deltas[1]),
                          merge.combine(deltas[2], merge.combine(deltas[3], deltas[4])))
    assert total.replicas == 5 and total.tally.raw_words == 50
    expected = {"touched": dense / np.maximum(touched, 1)[:, None], "replicas": dense / 5,
                "sum": dense}[rule]
    got = np.zeros_like(dense)
    merge.apply_average({"w": got}, total, rule)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(total.matrices["w"].rows, np.flatnonzero(touched))
    np.testing.assert_array_equal(total.matrices["w"].touched, touched[touched > 0])


def test_unknown_averaging_rule_is_refused():
    with pytest.raises(ValueError, match="touched"):
        merge.apply_average({"w": np.zeros((2, 3), np.float32)}, _delta_of([1], [1, 2, 3]),
                            "median")


def test_take_changes_finds_changed_rows_and_resets_them():
    pristine = {"w": np.arange(12, dtype=np.float32).reshape(4, 3) / 7}
    working = {"w": pristine["w"].copy()}
    working["w"][1, 2] += 0.5
    working["w"][3] = np.nan
    changes = merge.take_changes(working, pristine)
    np.testing.assert_array_equal(changes["w"].rows, [1, 3])
    np.testing.assert_array_equal(working["w"], pristine["w"])
    assert changes["w"].values[0, 2] == np.float32(pristine["w"][1, 2] + np.float32(0.5)) \
        - pristine["w"][1, 2]


# ---------------------------------------------------------------------- replica task

def _recipe_and_task(tmp_path, **overrides):
    path = write_lines(tmp_path / "c.txt", topic_corpus(n_sentences=200))
    model = Word2Vec(vector_size=8, min_count=1, seed=2, workers=1)
    model.build_vocab(corpus_file=path)
    params = {name: getattr(model, name) for name in model._PARAMS}
    recipe = replica.Recipe(Word2Vec, params, model.vocab, False, shards.file_sizes([path]))
    size = os.path.getsize(path)
    task = replica.RoundTask(**dict(dict(
        run_id="test", version=0, epoch=0, alpha_begin=0.025, alpha_end=0.02, seed=1,
        threads=1, pieces=[replica.PieceTask(path, 0, size, 2000, 0)]), **overrides))
    return model, recipe, task


def test_a_round_task_is_pure_and_its_replica_follows_versions(tmp_path):
    model, recipe, task = _recipe_and_task(tmp_path)
    try:
        with pytest.raises(replica.ReplicaBehind, match="version None"):
            replica.train_round(task, None, None, None)
        first = replica.train_round(task, None, recipe, replica.Snapshot(0, None))
        again = replica.train_round(task, None, None, None)    # same version, same work
        assert first.tally == again.tally and first.tally.raw_words == 2000
        for name, d in first.matrices.items():
            np.testing.assert_array_equal(d.rows, again.matrices[name].rows)
            np.testing.assert_array_equal(d.values, again.matrices[name].values)
        # The replica started from the driver's initial weights, and moves as the driver
        # does: it averages the round's summed deltas by the same rule.
        merge.apply_average(model._matrices(), first, task.average)
        task.version = 1
        replica.train_round(task, first, None, None)
        held = replica._replicas[("test", "local")]
        for name, matrix in model._matrices().items():
            np.testing.assert_array_equal(held.pristine[name], matrix)
        task.version = 3
        with pytest.raises(replica.ReplicaBehind, match="at version 1, the round needs 3"):
            replica.train_round(task, None, None, None)
        snapshot = replica.Snapshot(3, {k: m + 1 for k, m in model._matrices().items()})
        replica.train_round(task, None, recipe, snapshot)
        np.testing.assert_array_equal(held.pristine["w_out_ns"], model.w_out_ns + 1)
    finally:
        assert replica.drop_run("test") == 1


# ---------------------------------------------------------------------- checkpoints

def test_checkpoint_keeps_only_the_newest(tmp_path):
    model, _, _ = _recipe_and_task(tmp_path)
    folder = str(tmp_path / "ckpt")
    assert checkpoint.load_latest(folder, Word2Vec) is None
    checkpoint.save(folder, model, {"version": 3, "epoch": 0})
    checkpoint.save(folder, model, {"version": 6, "epoch": 1})
    loaded, progress = checkpoint.load_latest(folder, Word2Vec)
    assert progress["version"] == 6 and progress["epoch"] == 1
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    assert sorted(os.listdir(folder)) == ["latest.json", "round-00000006"]


# ---------------------------------------------------------------------- dask stays optional

def test_importing_cw2v_and_its_distributed_package_imports_no_dask():
    code = ("import sys, cw2v, cw2v.distributed, cw2v.distributed.rounds; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(__file__))
    assert out.stdout.strip() == "[]"


def test_fit_without_dask_says_how_to_install_it(monkeypatch, tmp_path):
    import cw2v.distributed
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "cw2v\[dask\]"'):
        cw2v.distributed.fit(Word2Vec(), str(tmp_path / "c.txt"))
