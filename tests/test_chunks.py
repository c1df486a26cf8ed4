"""The one chunking helper: fixed-size chunks, the last padded with zero rows, padding dropped from the results."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vae_tutorial._chunks import chunks, map_chunks


def test_chunks_pad_the_last_one_and_say_how_many_rows_are_real():
    a, b = np.arange(14, dtype=np.float32).reshape(7, 2), np.arange(7)
    got = list(chunks(a, b, chunk_size=3))
    assert [(c.index, c.start, c.valid) for c in got] == [(0, 0, 3), (1, 3, 3), (2, 6, 1)]
    assert all(block.shape[0] == 3 for c in got for block in c.blocks)
    np.testing.assert_array_equal(got[2].blocks[0], [[12, 13], [0, 0], [0, 0]])
    np.testing.assert_array_equal(got[2].blocks[1], [6, 0, 0])
    assert [c.valid for c in chunks(a, chunk_size=100)] == [7]  # never larger than the data


def test_map_chunks_equals_one_call_and_compiles_one_shape():
    shapes = []

    @jax.jit
    def double(x):
        shapes.append(x.shape)  # runs once per compiled shape
        return 2 * x

    x = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    np.testing.assert_array_equal(map_chunks(double, x, chunk_size=4), 2 * x)
    assert shapes == [(4, 4)]  # the tail of 2 rows was padded: no second compile


def test_chunks_work_on_traced_arrays():
    f = jax.jit(lambda x: jnp.concatenate([c.blocks[0][:c.valid] * 3 for c in chunks(x, chunk_size=3)]))
    np.testing.assert_allclose(f(jnp.arange(5.0)), 3 * np.arange(5.0))


def test_chunk_errors():
    with pytest.raises(ValueError, match="chunk_size must be >= 1, got 0"):
        list(chunks(np.zeros(3), chunk_size=0))
    with pytest.raises(ValueError, match=r"same length, got \[3, 4\]"):
        list(chunks(np.zeros(3), np.zeros(4), chunk_size=2))
