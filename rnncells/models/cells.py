"""The two uncommon cells of the study, UGRNN and NAS, as Keras 3 RNN cells (docs/method.md §2).

Both follow TensorFlow 1 contrib's ``UGRNNCell`` and ``NASCell`` equation for equation, written with
``keras.ops`` only so they run on every Keras backend. Wrap a cell in ``keras.layers.RNN`` to use it.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

NAS_BASE = 8  # the NAS cell's first layer has 8 branches, each of `units` wide


@keras.saving.register_keras_serializable(package="rnncells")
class UGRNNCell(keras.Layer):
    """Update-gate RNN cell (Collins, Sohl-Dickstein and Sussillo, ICLR 2017).

    One kernel on ``[x, h]`` with a bias: ``[g, c] = split([x, h] @ W + b, 2)``,
    ``u = sigmoid(g + forget_bias)``, ``h' = u * h + (1 - u) * tanh(c)``; the output is ``h'``.

    Args:
        units: size of the state ``h`` and of the output.
        forget_bias: added to the gate before the sigmoid, so that the cell starts by keeping its state.
        kernel_initializer: initializer of the ``(input_dim + units, 2 * units)`` kernel
            (TensorFlow 1's default, Glorot uniform, unless given).
        bias_initializer: initializer of the ``2 * units`` bias (zeros, as TensorFlow 1's ``_Linear``).
    """

    def __init__(
        self,
        units: int,
        forget_bias: float = 1.0,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if units < 1:
            raise ValueError(f"UGRNNCell units {units} must be at least 1")
        self.units = int(units)
        self.forget_bias = float(forget_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError("UGRNNCell needs a known input size (the last axis of its input)")
        self.kernel = self.add_weight(
            shape=(input_dim + self.units, 2 * self.units), initializer=self.kernel_initializer, name="kernel"
        )
        self.bias = self.add_weight(shape=(2 * self.units,), initializer=self.bias_initializer, name="bias")

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, Any]:
        state = states[0] if isinstance(states, (list, tuple)) else states
        gate_and_candidate = ops.matmul(ops.concatenate([inputs, state], axis=-1), self.kernel) + self.bias
        gate, candidate = ops.split(gate_and_candidate, 2, axis=-1)
        update = ops.sigmoid(gate + self.forget_bias)
        new_state = update * state + (1.0 - update) * ops.tanh(candidate)
        return new_state, [new_state] if isinstance(states, (list, tuple)) else new_state

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "forget_bias": self.forget_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }


@keras.saving.register_keras_serializable(package="rnncells")
class NASCell(keras.Layer):
    """The recurrent cell found by neural architecture search (Zoph and Le, ICLR 2017).

    State ``(c, m)``. ``A = x @ Wi`` and ``B = m @ Wm`` (plus a bias on ``B`` only if ``use_bias``), each split
    into 8 parts ``a0..a7``, ``b0..b7``; then

    - layer 1: ``l0 = σ(a0+b0)``, ``l1 = relu(a1+b1)``, ``l2 = σ(a2+b2)``, ``l3 = relu(a3*b3)``,
      ``l4 = tanh(a4+b4)``, ``l5 = σ(a5+b5)``, ``l6 = tanh(a6+b6)``, ``l7 = σ(a7+b7)``;
    - layer 2: ``k0 = tanh(tanh(l0*l1) + c)``, ``k1 = tanh(l2+l3)``, ``k2 = tanh(l4*l5)``, ``k3 = σ(l6+l7)``;
    - layer 3: ``c' = k0*k1``, ``m' = tanh(c' * tanh(k2+k3))``, projected by ``m' @ Wp`` if ``num_proj``.

    Args:
        units: size of the cell state ``c``.
        num_proj: size of the output and of ``m`` when set (a projection kernel without bias); ``units`` if None.
        use_bias: add a ``8 * units`` bias to the recurrent term (off, as in TensorFlow 1 and the study).
        kernel_initializer: initializer of ``Wi`` ``(input_dim, 8 * units)``.
        recurrent_initializer: initializer of ``Wm`` ``(num_proj or units, 8 * units)``.
        projection_initializer: initializer of ``Wp`` ``(units, num_proj)``.
        bias_initializer: initializer of the bias when ``use_bias``.
    """

    def __init__(
        self,
        units: int,
        num_proj: int | None = None,
        use_bias: bool = False,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "glorot_uniform",
        projection_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if units < 1:
            raise ValueError(f"NASCell units {units} must be at least 1")
        if num_proj is not None and num_proj < 1:
            raise ValueError(f"NASCell num_proj {num_proj} must be at least 1, or None for no projection")
        self.units = int(units)
        self.num_proj = None if num_proj is None else int(num_proj)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.projection_initializer = keras.initializers.get(projection_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        output_size = self.units if self.num_proj is None else self.num_proj
        self.state_size = [self.units, output_size]
        self.output_size = output_size

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError("NASCell needs a known input size (the last axis of its input)")
        self.kernel = self.add_weight(
            shape=(input_dim, NAS_BASE * self.units), initializer=self.kernel_initializer, name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.output_size, NAS_BASE * self.units),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(shape=(NAS_BASE * self.units,), initializer=self.bias_initializer, name="bias")
        if self.num_proj is not None:
            self.projection_kernel = self.add_weight(
                shape=(self.units, self.num_proj),
                initializer=self.projection_initializer,
                name="projection_kernel",
            )

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, list[Any]]:
        cell_prev, output_prev = states
        from_input = ops.split(ops.matmul(inputs, self.kernel), NAS_BASE, axis=-1)
        recurrent = ops.matmul(output_prev, self.recurrent_kernel)
        if self.use_bias:
            recurrent = recurrent + self.bias
        from_state = ops.split(recurrent, NAS_BASE, axis=-1)
        a, b = from_input, from_state

        l0 = ops.sigmoid(a[0] + b[0])
        l1 = ops.relu(a[1] + b[1])
        l2 = ops.sigmoid(a[2] + b[2])
        l3 = ops.relu(a[3] * b[3])  # a product, not a sum: the searched architecture chose it
        l4 = ops.tanh(a[4] + b[4])
        l5 = ops.sigmoid(a[5] + b[5])
        l6 = ops.tanh(a[6] + b[6])
        l7 = ops.sigmoid(a[7] + b[7])

        k0 = ops.tanh(ops.tanh(l0 * l1) + cell_prev)
        k1 = ops.tanh(l2 + l3)
        k2 = ops.tanh(l4 * l5)
        k3 = ops.sigmoid(l6 + l7)

        new_cell = k0 * k1
        new_output = ops.tanh(new_cell * ops.tanh(k2 + k3))
        if self.num_proj is not None:
            new_output = ops.matmul(new_output, self.projection_kernel)
        return new_output, [new_cell, new_output]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "num_proj": self.num_proj,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "projection_initializer": keras.initializers.serialize(self.projection_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
