"""UGRNN and NAS against the TensorFlow 1 contrib equations (docs/method.md §2), recomputed here with numpy."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from rnncells.models.cells import NASCell, UGRNNCell

ATOL = 1e-6


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def ugrnn_step(x, h, kernel, bias, forget_bias=1.0):
    g, c = np.split(np.concatenate([x, h], axis=-1) @ kernel + bias, 2, axis=-1)
    u = sigmoid(g + forget_bias)
    return u * h + (1.0 - u) * np.tanh(c)


def nas_step(x, c, m, w_input, w_state, bias=None, w_proj=None):
    a = np.split(x @ w_input, 8, axis=-1)
    b = np.split(m @ w_state + (0.0 if bias is None else bias), 8, axis=-1)
    l0 = sigmoid(a[0] + b[0])
    l1 = relu(a[1] + b[1])
    l2 = sigmoid(a[2] + b[2])
    l3 = relu(a[3] * b[3])
    l4 = np.tanh(a[4] + b[4])
    l5 = sigmoid(a[5] + b[5])
    l6 = np.tanh(a[6] + b[6])
    l7 = sigmoid(a[7] + b[7])
    k0 = np.tanh(np.tanh(l0 * l1) + c)
    k1 = np.tanh(l2 + l3)
    k2 = np.tanh(l4 * l5)
    k3 = sigmoid(l6 + l7)
    new_c = k0 * k1
    new_m = np.tanh(new_c * np.tanh(k2 + k3))
    if w_proj is not None:
        new_m = new_m @ w_proj
    return new_c, new_m


def random_weights(cell: keras.Layer, rng: np.random.Generator) -> list[np.ndarray]:
    """Give every weight of a built cell a known value of unit scale, so that every branch is exercised."""
    values = [rng.normal(0.0, 0.7, size=tuple(w.shape)).astype("float32") for w in cell.weights]
    cell.set_weights(values)
    return values


def as_numpy(tensor) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype="float64")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def test_ugrnn_one_step_matches_equations(rng):
    batch, input_dim, units = 3, 5, 4
    cell = UGRNNCell(units)
    cell.build((batch, input_dim))
    kernel, bias = random_weights(cell, rng)
    assert kernel.shape == (input_dim + units, 2 * units) and bias.shape == (2 * units,)
    x = rng.normal(size=(batch, input_dim)).astype("float32")
    h = rng.normal(size=(batch, units)).astype("float32")

    output, new_states = cell(x, [h])

    expected = ugrnn_step(x.astype("float64"), h.astype("float64"), kernel, bias, forget_bias=1.0)
    np.testing.assert_allclose(as_numpy(output), expected, atol=ATOL, rtol=0)
    assert len(new_states) == 1
    np.testing.assert_allclose(as_numpy(new_states[0]), expected, atol=ATOL, rtol=0)


def test_ugrnn_forget_bias_enters_the_gate(rng):
    cell = UGRNNCell(4, forget_bias=-2.5)
    cell.build((2, 3))
    kernel, bias = random_weights(cell, rng)
    x = rng.normal(size=(2, 3)).astype("float32")
    h = rng.normal(size=(2, 4)).astype("float32")
    output, _ = cell(x, [h])
    np.testing.assert_allclose(as_numpy(output), ugrnn_step(x, h, kernel, bias, forget_bias=-2.5), atol=ATOL, rtol=0)
    assert np.abs(as_numpy(output) - ugrnn_step(x, h, kernel, bias, forget_bias=1.0)).max() > 1e-3


@pytest.mark.parametrize("use_bias", [False, True])
def test_nas_one_step_matches_equations(rng, use_bias):
    batch, input_dim, units = 3, 5, 4
    cell = NASCell(units, use_bias=use_bias)
    cell.build((batch, input_dim))
    weights = random_weights(cell, rng)
    w_input, w_state = weights[:2]
    bias = weights[2] if use_bias else None
    assert w_input.shape == (input_dim, 8 * units) and w_state.shape == (units, 8 * units)
    assert len(weights) == (3 if use_bias else 2)
    x = rng.normal(size=(batch, input_dim)).astype("float32")
    c = rng.normal(size=(batch, units)).astype("float32")
    m = rng.normal(size=(batch, units)).astype("float32")

    output, (new_c, new_m) = cell(x, [c, m])

    expected_c, expected_m = nas_step(x, c, m, w_input, w_state, bias=bias)
    np.testing.assert_allclose(as_numpy(new_c), expected_c, atol=ATOL, rtol=0)
    np.testing.assert_allclose(as_numpy(new_m), expected_m, atol=ATOL, rtol=0)
    np.testing.assert_allclose(as_numpy(output), expected_m, atol=ATOL, rtol=0)


def test_nas_third_branch_multiplies_input_and_state(rng):
    """l3 = relu(a3 * b3): with a zero state the product vanishes, where a sum would not."""
    cell = NASCell(2)
    cell.build((1, 3))
    w_input, w_state = random_weights(cell, rng)
    x = rng.normal(size=(1, 3)).astype("float32")
    c = rng.normal(size=(1, 2)).astype("float32")
    m = rng.normal(size=(1, 2)).astype("float32")
    new_c, _ = nas_step(x, c, m, w_input, w_state)

    a = np.split(x @ w_input, 8, axis=-1)
    b = np.split(m @ w_state, 8, axis=-1)
    l3_as_sum = relu(a[3] + b[3])
    assert not np.allclose(relu(a[3] * b[3]), l3_as_sum)
    _, (cell_c, _) = cell(x, [c, m])
    np.testing.assert_allclose(as_numpy(cell_c), new_c, atol=ATOL, rtol=0)


def test_nas_projection_shrinks_the_output_state(rng):
    batch, input_dim, units, num_proj = 2, 3, 6, 4
    cell = NASCell(units, num_proj=num_proj)
    assert cell.state_size == [units, num_proj] and cell.output_size == num_proj
    cell.build((batch, input_dim))
    w_input, w_state, w_proj = random_weights(cell, rng)
    assert w_state.shape == (num_proj, 8 * units) and w_proj.shape == (units, num_proj)
    x = rng.normal(size=(batch, input_dim)).astype("float32")
    c = rng.normal(size=(batch, units)).astype("float32")
    m = rng.normal(size=(batch, num_proj)).astype("float32")

    output, (new_c, new_m) = cell(x, [c, m])

    expected_c, expected_m = nas_step(x, c, m, w_input, w_state, w_proj=w_proj)
    assert as_numpy(output).shape == (batch, num_proj)
    np.testing.assert_allclose(as_numpy(new_c), expected_c, atol=ATOL, rtol=0)
    np.testing.assert_allclose(as_numpy(new_m), expected_m, atol=ATOL, rtol=0)
    np.testing.assert_allclose(as_numpy(output), expected_m, atol=ATOL, rtol=0)


def test_ugrnn_three_steps_through_rnn_layer(rng):
    batch, steps, input_dim, units = 2, 3, 5, 4
    layer = keras.layers.RNN(UGRNNCell(units), return_sequences=True, return_state=True)
    x = rng.normal(size=(batch, steps, input_dim)).astype("float32")
    h0 = rng.normal(size=(batch, units)).astype("float32")
    layer.build((batch, steps, input_dim))
    kernel, bias = random_weights(layer.cell, rng)

    sequence, final_state = layer(x, initial_state=[h0])

    h = h0.astype("float64")
    expected = []
    for t in range(steps):
        h = ugrnn_step(x[:, t], h, kernel, bias)
        expected.append(h)
    np.testing.assert_allclose(as_numpy(sequence), np.stack(expected, axis=1), atol=ATOL, rtol=0)
    np.testing.assert_allclose(as_numpy(final_state), h, atol=ATOL, rtol=0)

    from_zero = layer(x)[0]
    h = np.zeros((batch, units))
    for t in range(steps):
        h = ugrnn_step(x[:, t], h, kernel, bias)
    np.testing.assert_allclose(as_numpy(from_zero)[:, -1], h, atol=ATOL, rtol=0)


@pytest.mark.parametrize("num_proj", [None, 3])
def test_nas_three_steps_through_rnn_layer(rng, num_proj):
    batch, steps, input_dim, units = 2, 3, 5, 4
    layer = keras.layers.RNN(NASCell(units, num_proj=num_proj), return_sequences=True, return_state=True)
    layer.build((batch, steps, input_dim))
    weights = random_weights(layer.cell, rng)
    w_proj = weights[2] if num_proj else None
    x = rng.normal(size=(batch, steps, input_dim)).astype("float32")
    c = rng.normal(size=(batch, units)).astype("float32")
    m = rng.normal(size=(batch, num_proj or units)).astype("float32")

    sequence, final_c, final_m = layer(x, initial_state=[c, m])

    c, m = c.astype("float64"), m.astype("float64")
    expected = []
    for t in range(steps):
        c, m = nas_step(x[:, t], c, m, weights[0], weights[1], w_proj=w_proj)
        expected.append(m)
    np.testing.assert_allclose(as_numpy(sequence), np.stack(expected, axis=1), atol=ATOL, rtol=0)
    np.testing.assert_allclose(as_numpy(final_c), c, atol=ATOL, rtol=0)
    np.testing.assert_allclose(as_numpy(final_m), m, atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    "cell",
    [UGRNNCell(7, forget_bias=0.5, kernel_initializer="orthogonal"), NASCell(5, num_proj=3, use_bias=True)],
    ids=["ugrnn", "nas"],
)
def test_cells_serialize_by_registered_name(cell):
    assert keras.saving.get_registered_name(type(cell)) == f"rnncells>{type(cell).__name__}"
    serialized = keras.saving.serialize_keras_object(cell)
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(cell)
    assert restored.get_config() == cell.get_config()
    assert restored.state_size == cell.state_size and restored.output_size == cell.output_size


def test_cells_refuse_bad_sizes():
    with pytest.raises(ValueError, match="units 0"):
        UGRNNCell(0)
    with pytest.raises(ValueError, match="units -1"):
        NASCell(-1)
    with pytest.raises(ValueError, match="num_proj 0"):
        NASCell(4, num_proj=0)
