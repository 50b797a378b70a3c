"""Per-key attributes of KeyedVectors (gensim's "vecattrs") and per-row lock factors.

gensim 4 keeps one NumPy array per attribute name in ``kv.expandos``, element
``i`` belonging to key ``i``, and ``kv.get_vecattr("king", "count")`` is the
way gensim 4 code reads a word's corpus count. cw2v stores attributes the same
way, with one difference: the ``"count"`` attribute *is* ``kv.counts`` (the
same int64 array), so counts are never kept twice and cannot disagree.

Lock factors (``kv.vectors_lockf``, float32, one per row) scale the training
updates of each input vector: 0.0 freezes the row, 1.0 trains it normally.
They cost nothing until used: no array exists until a row's factor is set or
the array is asked for, and :meth:`VectorAttributes.lock_factors` tells a
trainer whether any row differs from 1.

The mixin keeps both in step with the rows: :meth:`_resize_attributes` when
rows are added or dropped, :meth:`_permute_attributes` when they are reordered.
:func:`attribute_arrays` and :func:`restore_attributes` turn them into bundle
arrays and back, for any saver (KeyedVectors, a model).
"""
from __future__ import annotations

import numpy as np

from cw2v.io import bundle as persist

COUNT = "count"
_LOCKF_ARRAY = "vectors_lockf"


class VectorAttributes:
    """Mixin for KeyedVectors: ``expandos``, ``counts``, ``vectors_lockf``.

    The host sets ``self.expandos = {}`` and ``self._vectors_lockf = None``
    and keeps ``index_to_key`` (whose length is the number of rows).
    """

    # ------------------------------------------------------------------ counts

    @property
    def counts(self):
        """int64 ``(V,)`` corpus count of each key, or None when unknown (``expandos["count"]``)."""
        return self.expandos.get(COUNT)

    @counts.setter
    def counts(self, value):
        if value is None:
            self.expandos.pop(COUNT, None)
        else:
            self.expandos[COUNT] = check_counts(value, len(self.index_to_key))

    # ------------------------------------------------------------------ gensim's vecattr API

    def allocate_vecattrs(self, attrs=None, types=None):
        """Make sure each attribute in ``attrs`` has an array of ``len(self)`` values.

        A new attribute starts as zeros of its type (Python ``int`` means int64,
        ``str`` a Python-object array). An existing one keeps its values and is
        grown with zeros or cut to the current number of keys. With no
        arguments, every existing attribute is brought to the current length.
        Raises ``TypeError`` when a type cannot be stored in the attribute's
        existing array without loss.
        """
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[attr].dtype for attr in attrs]
        elif types is None:
            raise TypeError("allocate_vecattrs needs one type per attribute (types=[...])")
        attrs, types = list(attrs), list(types)
        if len(attrs) != len(types):
            raise ValueError(f"{len(attrs)} attributes but {len(types)} types")
        size = len(self.index_to_key)
        for attr, kind in zip(attrs, types):
            dtype = _attribute_dtype(attr, kind)
            current = self.expandos.get(attr)
            if current is None:
                self.expandos[attr] = np.zeros(size, dtype=dtype)
                continue
            if not np.can_cast(dtype, current.dtype, casting="safe"):
                raise TypeError(f"attribute {attr!r} holds {current.dtype} values; {dtype} values cannot be "
                                "stored in it without loss")
            self.expandos[attr] = _resized(current, size, fill=0)

    def set_vecattr(self, key, attr, val):
        """Store ``val`` as attribute ``attr`` of ``key`` (creating the attribute for every key)."""
        kind = type(val)
        if isinstance(val, np.generic):
            kind = val.dtype
        index = self.get_index(key)
        self.allocate_vecattrs([attr], [kind])
        self._writable_attribute(attr)[index] = val

    def get_vecattr(self, key, attr):
        """Attribute ``attr`` of ``key``: e.g. ``get_vecattr("king", "count")``, its corpus count.

        ``KeyError`` when the key is unknown, or when no key has that
        attribute (the message lists those that exist).
        """
        index = self.get_index(key)
        values = self.expandos.get(attr)
        if values is None:
            known = ", ".join(map(repr, sorted(self.expandos))) or "none"
            hint = (" These vectors carry no counts: the word2vec file formats do not store them; pass "
                    "fvocab= (a word2vec.c -save-vocab file) to load_word2vec_format to read them."
                    if attr == COUNT else "")
            raise KeyError(f"no attribute {attr!r} is stored for these vectors (attributes: {known}).{hint}")
        return values[index]

    def _writable_attribute(self, attr):
        values = self.expandos[attr]
        if not values.flags.writeable:  # loaded with mmap="r"
            values = self.expandos[attr] = values.copy()
        return values

    # ------------------------------------------------------------------ lock factors

    @property
    def vectors_lockf(self):
        """float32 ``(V,)`` lock factor of each row: its training updates are multiplied by it.

        0.0 freezes a row (e.g. pretrained vectors brought in with
        :meth:`intersect_word2vec_format`), 1.0 trains it. Allocated as ones
        on first access, so ``kv.vectors_lockf[i] = 0.0`` works at once.
        """
        if self._vectors_lockf is None or len(self._vectors_lockf) != len(self.index_to_key):
            self._vectors_lockf = _resized(self._vectors_lockf, len(self.index_to_key), fill=1)
        return self._vectors_lockf

    @vectors_lockf.setter
    def vectors_lockf(self, value):
        # gensim 4 models start with a 1-element array; a scalar or one
        # element broadcasts to every row, so code written for that works.
        value = np.asarray(value, dtype=np.float32)
        size = len(self.index_to_key)
        if value.ndim == 0 or value.shape == (1,):
            value = np.full(size, value.reshape(()), dtype=np.float32)
        if value.shape != (size,):
            raise ValueError(f"vectors_lockf needs one factor per row: shape ({size},), got {value.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError("vectors_lockf holds NaN or infinity; use 0.0 (frozen) to 1.0 (trained)")
        self._vectors_lockf = np.array(value, dtype=np.float32)

    def lock_factors(self):
        """The lock factors for a trainer: float32 ``(V,)``, or None when every row's factor is 1."""
        if self._vectors_lockf is None:
            return None
        lockf = self.vectors_lockf  # brought to the current number of rows
        return None if np.all(lockf == 1) else lockf

    # ------------------------------------------------------------------ keeping rows in step

    def _resize_attributes(self, size):
        """Grow (zeros; lock factor 1) or cut every per-row array to ``size`` rows."""
        for attr, values in self.expandos.items():
            self.expandos[attr] = _resized(values, size, fill=0)
        if self._vectors_lockf is not None:
            self._vectors_lockf = _resized(self._vectors_lockf, size, fill=1)

    def _permute_attributes(self, order):
        """Reorder every per-row array: new row ``i`` is old row ``order[i]``."""
        for attr, values in self.expandos.items():
            self.expandos[attr] = values[order]
        if self._vectors_lockf is not None:
            self._vectors_lockf = self.vectors_lockf[order]


def carry_attributes(old, new):
    """Give ``new`` the attributes (counts aside) and lock factors of ``old``, row for row.

    For a vocabulary update that builds new vectors in which every old key
    keeps its row: old rows keep their values, added rows start at 0 (lock
    factor 1), as gensim's attributes do when its vocabulary grows.
    """
    size = len(new.index_to_key)
    for attr, values in old.expandos.items():
        if attr != COUNT:
            new.expandos[attr] = _resized(values, size, fill=0).copy()
    if old._vectors_lockf is not None:
        new._vectors_lockf = _resized(old.vectors_lockf, size, fill=1).copy()


def check_counts(counts, n):
    """``counts`` as an int64 ``(n,)`` array; ValueError/TypeError naming what is wrong."""
    counts = np.asarray(counts)
    if counts.shape != (n,):
        raise ValueError(f"counts must have shape ({n},), got {counts.shape}")
    if counts.dtype.kind not in "iu":
        raise TypeError(f"counts must be integers, got {counts.dtype}")
    return counts.astype(np.int64, copy=False)


def attribute_arrays(kv):
    """Bundle form of ``kv``'s attributes other than counts, and of its lock factors.

    Returns ``(meta, arrays)``: ``meta`` a JSON-able list describing each
    attribute, ``arrays`` the ``.npy`` arrays to store beside it. Numbers and
    booleans are stored as they are, text as packed strings with a mask of
    the keys still holding the 0 every attribute starts with; other Python
    objects cannot be saved without pickle, so ``TypeError`` names them.
    """
    meta, arrays = [], {}
    for number, (attr, values) in enumerate(sorted(kv.expandos.items())):
        if attr == COUNT:
            continue  # stored as the "counts" array, as before attributes existed
        stem = f"vecattr_{number}"
        if values.dtype != object:
            arrays[stem] = values
            meta.append({"name": attr, "array": stem, "kind": "number"})
            continue
        unset = np.array([_is_unset(v) for v in values], dtype=bool)
        bad = next((v for v in values if not isinstance(v, str) and not _is_unset(v)), _NOTHING)
        if bad is not _NOTHING:
            raise TypeError(f"attribute {attr!r} holds a {type(bad).__name__} ({bad!r}); only numbers, "
                            "booleans and str can be saved (nothing is pickled)")
        texts = ["" if missing else value for value, missing in zip(values.tolist(), unset.tolist())]
        arrays[stem + "_utf8"], arrays[stem + "_offsets"] = persist.pack_strings(texts)
        arrays[stem + "_unset"] = unset
        meta.append({"name": attr, "array": stem, "kind": "str"})
    if kv.lock_factors() is not None:
        arrays[_LOCKF_ARRAY] = kv.vectors_lockf
    return meta, arrays


def restore_attributes(kv, meta, arrays):
    """Put back what :func:`attribute_arrays` saved; ValueError if it does not fit ``kv``."""
    size = len(kv.index_to_key)
    if not isinstance(meta, list):
        raise ValueError("the attribute list is not a list")
    for entry in meta:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
                or entry.get("kind") not in ("number", "str") or not isinstance(entry.get("array"), str):
            raise ValueError(f"bad attribute entry {entry!r}")
        stem = entry["array"]
        try:
            if entry["kind"] == "number":
                values = np.array(arrays[stem])
            else:
                values = np.array(persist.unpack_strings(arrays[stem + "_utf8"], arrays[stem + "_offsets"]),
                                  dtype=object)
                unset = np.asarray(arrays[stem + "_unset"], dtype=bool)
                if unset.shape == values.shape:
                    values[unset] = 0
        except KeyError as missing:
            raise ValueError(f"the array {missing} of attribute {entry['name']!r} is missing") from None
        if values.shape != (size,):
            raise ValueError(f"attribute {entry['name']!r} has shape {values.shape}, expected ({size},)")
        kv.expandos[entry["name"]] = values
    if _LOCKF_ARRAY in arrays:
        kv.vectors_lockf = arrays[_LOCKF_ARRAY]


_NOTHING = object()


def _is_unset(value):
    """The 0 an object attribute holds before a value is set (not False, not 0.0 from a user)."""
    return type(value) is int and value == 0


def _attribute_dtype(attr, kind):
    """NumPy dtype for values of Python or NumPy type ``kind`` (gensim's conventions)."""
    if kind is int:
        dtype = np.dtype(np.int64)  # not the platform's C long (32 bits on Windows)
    elif kind is str:
        dtype = np.dtype(object)  # not NumPy's fixed-width strings, which pad every value
    else:
        dtype = np.dtype(kind)
    if attr == COUNT and dtype.kind not in "iub":
        raise TypeError(f"the 'count' attribute holds integer counts, not {dtype}")
    if attr == COUNT:
        dtype = np.dtype(np.int64)
    return dtype


def _resized(values, size, fill):
    """``values`` (or nothing) cut or padded with ``fill`` to ``size`` elements; same array if it fits."""
    if values is not None and len(values) == size:
        return values
    dtype = np.float32 if values is None else values.dtype
    out = np.full(size, fill, dtype=dtype)
    if values is not None:
        keep = min(len(values), size)
        out[:keep] = values[:keep]
    return out
