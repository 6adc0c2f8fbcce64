"""build_model: shapes, training, .keras round trips, stateful carry and reset, seeding (docs/method.md §2)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from rnncells.config.model import CELLS, ModelConfig
from rnncells.config.records import ConfigError
from rnncells.models.cells import NASCell, UGRNNCell
from rnncells.models.factory import (
    build_model,
    copy_trainable_weights,
    make_recurrent_layer,
    recurrent_layers,
    reset_states,
    track_carried_state,
)

VOCAB = 6
UNITS = 8

EXPECTED_LAYER = {
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
    "rnn": keras.layers.SimpleRNN,
    "ugrnn": keras.layers.RNN,
    "nas": keras.layers.RNN,
}
EXPECTED_CELL = {"ugrnn": UGRNNCell, "nas": NASCell}


def tokens(batch: int, steps: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, VOCAB, size=(batch, steps)).astype("int32")


def predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(model(x, training=False)))


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("cell", CELLS)
def test_model_shape_and_layers(cell, layers):
    model = build_model(ModelConfig(cell=cell, layers=layers, units=UNITS), VOCAB)
    assert predict(model, tokens(3, 7)).shape == (3, 7, VOCAB)
    assert predict(model, tokens(2, 4)).shape == (2, 4, VOCAB)

    rnns = recurrent_layers(model)
    assert [layer.name for layer in rnns] == [f"{cell}_{depth}" for depth in range(1, layers + 1)]
    for layer in rnns:
        assert type(layer) is EXPECTED_LAYER[cell]
        assert layer.return_sequences and not layer.stateful
        if cell in EXPECTED_CELL:
            assert type(layer.cell) is EXPECTED_CELL[cell]
        assert layer.cell.units == UNITS
    assert [layer.name for layer in model.layers] == ["tokens", "embedding", *(r.name for r in rnns), "logits"]
    assert model.get_layer("embedding").output_dim == UNITS
    assert model.get_layer("logits").units == VOCAB and model.get_layer("logits").activation.__name__ == "linear"


def test_embedding_dim_and_dropout_layer():
    model = build_model(ModelConfig(cell="gru", units=UNITS, embedding_dim=5, dropout=0.25), VOCAB)
    assert model.get_layer("embedding").output_dim == 5
    assert model.get_layer("dropout").rate == 0.25
    assert [layer.name for layer in model.layers] == ["tokens", "embedding", "dropout", "gru_1", "logits"]
    assert "dropout" not in [layer.name for layer in build_model(ModelConfig(cell="gru"), VOCAB).layers]


def test_simple_rnn_uses_tanh():
    model = build_model(ModelConfig(cell="rnn", units=UNITS), VOCAB)
    assert recurrent_layers(model)[0].cell.activation.__name__ == "tanh"


@pytest.mark.parametrize("cell", CELLS)
def test_training_lowers_the_loss(cell):
    keras.utils.set_random_seed(0)
    pattern = np.array([0, 1, 2, 3, 4, 5, 4, 3, 2, 1], dtype="int32")
    stream = np.tile(pattern, 9)
    windows = np.stack([stream[i : i + 11] for i in range(0, 66, 3)])  # 22 windows of 10 inputs + shifted targets
    x, y = windows[:, :-1], windows[:, 1:]
    model = build_model(ModelConfig(cell=cell, layers=1, units=16), VOCAB)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.02),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    before = model.evaluate(x, y, batch_size=22, verbose=0)
    model.fit(x, y, batch_size=11, epochs=15, shuffle=False, verbose=0)
    after = model.evaluate(x, y, batch_size=22, verbose=0)
    assert before == pytest.approx(np.log(VOCAB), abs=0.2)  # an untrained model is near uniform
    assert after < 0.6 * before  # measured 0.03-0.38 of the start across cells and backends


@pytest.mark.parametrize("stateful", [False, True], ids=["stateless", "stateful"])
@pytest.mark.parametrize("cell", CELLS)
def test_keras_file_round_trip(tmp_path, cell, stateful):
    keras.utils.set_random_seed(1)
    config = ModelConfig(cell=cell, layers=2, units=UNITS, dropout=0.1)
    model = build_model(config, VOCAB, batch_size=2, stateful=stateful)
    path = tmp_path / f"{cell}.keras"
    model.save(path)

    loaded = keras.saving.load_model(path)

    x = tokens(2, 6, seed=3)
    reset_states(model)
    reset_states(loaded)
    np.testing.assert_allclose(predict(loaded, x), predict(model, x), atol=1e-6, rtol=0)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert [layer.stateful for layer in recurrent_layers(loaded)] == [stateful, stateful]
    if cell in EXPECTED_CELL:
        assert type(recurrent_layers(loaded)[0].cell) is EXPECTED_CELL[cell]
    if stateful:  # the loaded model carries its state too
        np.testing.assert_allclose(predict(loaded, x), predict(model, x), atol=1e-6, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_stateful_model_carries_and_resets_state(cell):
    model = build_model(ModelConfig(cell=cell, layers=2, units=UNITS), VOCAB, batch_size=3, stateful=True)
    x = tokens(3, 5, seed=4)
    first = predict(model, x)
    second = predict(model, x)
    assert np.abs(second - first).max() > 1e-7  # same input, carried state: different logits

    reset_states(model)
    np.testing.assert_allclose(predict(model, x), first, atol=1e-6, rtol=0)

    stateless = build_model(ModelConfig(cell=cell, layers=2, units=UNITS), VOCAB)
    stateless.set_weights(model.get_weights())
    np.testing.assert_allclose(predict(stateless, x), first, atol=1e-6, rtol=0)
    joined = predict(stateless, np.concatenate([x, x], axis=1))
    np.testing.assert_allclose(joined[:, 5:], second, atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_stateful_training_carries_state_on_every_backend(cell):
    """train_on_batch on window 2 starts from window 1's final state, as one stateless pass over both."""
    config = ModelConfig(cell=cell, layers=2, units=UNITS)
    model = build_model(config, VOCAB, batch_size=2, stateful=True)
    track_carried_state(model)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss=loss)
    stream = tokens(2, 9, seed=5)
    first = float(model.train_on_batch(stream[:, :4], stream[:, 1:5]))
    second = float(model.train_on_batch(stream[:, 4:8], stream[:, 5:9]))
    for layer in recurrent_layers(model):
        assert np.abs(keras.ops.convert_to_numpy(layer.states[0])).max() > 0

    stateless = build_model(config, VOCAB)
    copy_trainable_weights(model, stateless)
    joined = predict(stateless, stream[:, :8])
    expected = float(loss(stream[:, 5:9], joined[:, 4:8]))
    assert second == pytest.approx(expected, rel=1e-4)
    assert first == pytest.approx(float(loss(stream[:, 1:5], joined[:, :4])), rel=1e-4)
    reset_states(model)
    assert float(model.train_on_batch(stream[:, :4], stream[:, 1:5])) == pytest.approx(first, rel=1e-5)


def test_reset_states_leaves_stateless_models_alone():
    model = build_model(ModelConfig(cell="lstm", layers=2, units=UNITS), VOCAB)
    x = tokens(2, 4)
    before = predict(model, x)
    reset_states(model)
    np.testing.assert_array_equal(predict(model, x), before)


@pytest.mark.parametrize("cell", CELLS)
def test_same_seed_same_initial_weights(cell):
    def weights_for(seed: int) -> list[np.ndarray]:
        keras.utils.set_random_seed(seed)
        return build_model(ModelConfig(cell=cell, layers=2, units=UNITS), VOCAB).get_weights()

    first, again, other = weights_for(5), weights_for(5), weights_for(6)
    assert len(first) == len(again)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_bad_arguments_are_refused():
    with pytest.raises(ConfigError, match="stateful model needs a fixed batch_size"):
        build_model(ModelConfig(), VOCAB, stateful=True)
    with pytest.raises(ConfigError, match="vocab_size 0"):
        build_model(ModelConfig(), 0)
    with pytest.raises(ConfigError, match="batch_size 0"):
        build_model(ModelConfig(), VOCAB, batch_size=0)
    with pytest.raises(ConfigError, match="unknown cell 'tree'"):
        build_model(ModelConfig(cell="tree"), VOCAB)
    with pytest.raises(ConfigError, match="unknown cell 'tree'"):
        make_recurrent_layer("tree", 4)
    with pytest.raises(ConfigError, match="layers 6"):
        build_model(ModelConfig(layers=6), VOCAB)
