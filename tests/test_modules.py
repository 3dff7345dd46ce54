"""Every module's fuzzy form against brute-force Eq. 2, and against its exact form."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nram import modules

PURE = [name for name in modules.PAPER_MODULES if modules.get(name).kind == "pure"]
SIZES = [2, 7, 13, 64]  # tiny, prime, and >= 64
BATCH_SHAPES = [(), (3,), (2, 3)]


def random_distributions(key: jax.Array, shape: tuple[int, ...], size: int) -> jax.Array:
    # Sharp and flat rows alike: exponentiated Gaussians with a random temperature.
    logits = jax.random.normal(key, (*shape, size)) * 3.0
    return jax.nn.softmax(logits, axis=-1)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PURE)
def test_fuzzy_equals_brute_force_eq2(name: str, size: int) -> None:
    module = modules.get(name)
    for index, shape in enumerate(BATCH_SHAPES):
        first_key, second_key = jax.random.split(jax.random.key(size * 100 + index))
        first = random_distributions(first_key, shape, size)
        second = random_distributions(second_key, shape, size)
        fast = module.fuzzy(first, second)
        reference = modules.brute_force(module, first, second)
        assert fast.shape == (*shape, size)
        np.testing.assert_allclose(fast, reference, atol=1e-5, rtol=0)
        # Outputs are distributions.
        assert float(jnp.min(fast)) >= 0.0
        np.testing.assert_allclose(jnp.sum(fast, axis=-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", PURE)
def test_one_hot_inputs_give_the_one_hot_of_exact(name: str) -> None:
    module = modules.get(name)
    size = 11
    values = np.arange(size)
    first_values, second_values = np.meshgrid(values, values, indexing="ij")
    first = jax.nn.one_hot(first_values.ravel(), size)
    second = jax.nn.one_hot(second_values.ravel(), size)
    results = np.asarray(module.fuzzy(first, second))
    for row, (a, b) in enumerate(zip(first_values.ravel(), second_values.ravel(), strict=True)):
        expected = np.zeros(size)
        expected[module.exact(a, b, size)] = 1.0
        np.testing.assert_allclose(results[row], expected, atol=1e-5)


def test_exact_semantics_follow_the_paper() -> None:
    size = 10
    assert modules.get("inc").exact(9, 0, size) == 0  # mod M
    assert modules.get("dec").exact(0, 0, size) == 9
    assert modules.get("sub").exact(2, 5, size) == 7
    assert modules.get("add").exact(7, 5, size) == 2
    assert modules.get("lt").exact(3, 4, size) == 1 and modules.get("lt").exact(4, 4, size) == 0
    assert modules.get("le").exact(4, 4, size) == 1
    assert modules.get("min").exact(3, 8, size) == 3 and modules.get("max").exact(3, 8, size) == 8
    assert modules.get("two").exact(0, 0, size) == 2


def test_custom_module_gets_eq2_generically() -> None:
    module = modules.register("test_mul", 2, lambda a, b, m: a * b, replace=True)
    unary = modules.register("test_double", 1, lambda a, b, m: 2 * a, replace=True)
    constant = modules.register("test_five", 0, lambda a, b, m: 5, replace=True)
    first_key, second_key = jax.random.split(jax.random.key(7))
    for size in (7, 16):
        first = random_distributions(first_key, (4,), size)
        second = random_distributions(second_key, (4,), size)
        for custom in (module, unary, constant):
            np.testing.assert_allclose(
                custom.fuzzy(first, second), modules.brute_force(custom, first, second), atol=1e-5
            )


def test_unknown_module_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known modules: read, zero"):
        modules.get("nope")


def test_bad_registrations_are_refused() -> None:
    with pytest.raises(ValueError, match="arity must be 0, 1 or 2"):
        modules.register("test_bad", 3, lambda a, b, m: 0)
    with pytest.raises(ValueError, match="exists already"):
        modules.register("add", 2, lambda a, b, m: 0)


def test_fft_kernels_never_go_negative() -> None:
    # Near-one-hot inputs are where FFT round-off shows as tiny negative probabilities.
    size = 64
    first = jax.nn.one_hot(jnp.arange(size), size) * (1 - 1e-6) + 1e-6 / size
    for name in ("add", "sub"):
        assert float(jnp.min(modules.get(name).fuzzy(first, first[::-1]))) >= 0.0
