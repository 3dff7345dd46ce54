"""The NRAM's modules (the paper's "gates"), exact on integers and fuzzy on distributions.

A value is an integer in Z_M = {0..M-1}; a fuzzy value is a probability distribution over
Z_M, an array of shape (..., M). For independent inputs A and B a module m has the fuzzy
form of the paper's Eq. 2:

    P(m(A, B) = c) = sum_{a,b} P(A = a) P(B = b) [m(a, b) = c]

Built-in modules compute that sum without an M x M x M tensor: EQ is a dot product,
LT/LE/MIN/MAX come from cumulative sums in O(M), ADD and SUB are circular convolution and
correlation, INC and DEC are rolls. A module registered by a user gets Eq. 2 generically.
READ and WRITE touch the memory and are executed by the machine itself (`nram.machine`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from nram.errors import ModuleError

IntFunction = Callable[[int, int, int], int]
"""exact(a, b, M) -> int in Z_M; one-argument modules ignore b, constants both."""

FuzzyFunction = Callable[[Array, Array], Array]
"""fuzzy(A, B) -> distribution, all of shape (..., M)."""

Kind = Literal["pure", "read", "write"]


@dataclass(frozen=True)
class Module:
    """One module: a name, an arity (0, 1 or 2), its integer function and its fuzzy form."""

    name: str
    arity: int
    function: IntFunction
    fuzzy_function: FuzzyFunction
    kind: Kind = "pure"

    def exact(self, a: int, b: int, memory_size: int) -> int:
        return int(self.function(int(a), int(b), memory_size)) % memory_size

    def fuzzy(self, first: Array, second: Array) -> Array:
        if self.kind != "pure":
            raise ValueError(f"{self.name} touches the memory: the machine executes it")
        return self.fuzzy_function(first, second)


# --- fuzzy kernels -----------------------------------------------------------------------


def _one_hot_like(value: int, like: Array) -> Array:
    return jnp.broadcast_to(
        jax.nn.one_hot(value % like.shape[-1], like.shape[-1], dtype=like.dtype), like.shape
    )


def _bernoulli(p_one: Array, like: Array) -> Array:
    """The distribution over Z_M of a 0/1 outcome that is 1 with probability p_one."""
    p_one = p_one[..., None]
    return (1 - p_one) * _one_hot_like(0, like) + p_one * _one_hot_like(1, like)


def _at_most(dist: Array) -> Array:
    """P(X <= c) for every c: a cumulative sum, O(M)."""
    return jnp.cumsum(dist, axis=-1)


def _strictly_below(dist: Array) -> Array:
    """P(X < c) for every c."""
    return _at_most(dist) - dist


def _circular_convolution(first: Array, second: Array) -> Array:
    """P(A + B = c mod M) by FFT. FFT round-off leaves values near -1e-7: clamp them at 0."""
    size = first.shape[-1]
    spectrum = jnp.fft.rfft(first, axis=-1) * jnp.fft.rfft(second, axis=-1)
    return jnp.maximum(jnp.fft.irfft(spectrum, n=size, axis=-1), 0.0).astype(first.dtype)


def _circular_correlation(first: Array, second: Array) -> Array:
    """P(A - B = c mod M) by FFT: convolution with B's spectrum conjugated."""
    size = first.shape[-1]
    spectrum = jnp.fft.rfft(first, axis=-1) * jnp.conj(jnp.fft.rfft(second, axis=-1))
    return jnp.maximum(jnp.fft.irfft(spectrum, n=size, axis=-1), 0.0).astype(first.dtype)


def _less_than(first: Array, second: Array) -> Array:
    return _bernoulli(jnp.sum(second * _strictly_below(first), axis=-1), first)


def _less_equal(first: Array, second: Array) -> Array:
    return _bernoulli(jnp.sum(second * _at_most(first), axis=-1), first)


def _equal(first: Array, second: Array) -> Array:
    return _bernoulli(jnp.sum(first * second, axis=-1), first)


def _minimum(first: Array, second: Array) -> Array:
    # min = c: A = c and B >= c, or B = c and A > c (so a tie is counted once).
    first_above = 1 - _at_most(first)  # P(A > c)
    second_at_least = 1 - _strictly_below(second)  # P(B >= c)
    return first * second_at_least + second * first_above


def _maximum(first: Array, second: Array) -> Array:
    # max = c: A = c and B <= c, or B = c and A < c.
    return first * _at_most(second) + second * _strictly_below(first)


def _constant(value: int) -> FuzzyFunction:
    return lambda first, second: _one_hot_like(value, first)


def _generic_fuzzy(arity: int, function: IntFunction) -> FuzzyFunction:
    """Eq. 2 for any integer function: tabulate m(a, b) and add each pair's mass to its cell.

    O(M^2) per example; the table is built once per memory size, at trace time.
    """

    def table(size: int) -> np.ndarray:
        return np.array(
            [[function(a, b, size) % size for b in range(size)] for a in range(size)],
            dtype=np.int32,
        )

    def fuzzy(first: Array, second: Array) -> Array:
        size = first.shape[-1]
        results = table(size)
        if arity == 0:
            return _one_hot_like(int(results[0, 0]), first)
        if arity == 1:
            return jnp.zeros_like(first).at[..., results[:, 0]].add(first)
        joint = (first[..., :, None] * second[..., None, :]).reshape(*first.shape[:-1], -1)
        return jnp.zeros_like(first).at[..., results.reshape(-1)].add(joint)

    return fuzzy


def brute_force(module: Module, first: Array, second: Array) -> Array:
    """Eq. 2 written out: sum over all (a, b, c) with an explicit M x M x M indicator.

    The independent reference the fast kernels are tested and benchmarked against.
    """
    size = first.shape[-1]
    table = np.array([[module.exact(a, b, size) for b in range(size)] for a in range(size)])
    indicator = jnp.asarray(table[:, :, None] == np.arange(size), dtype=first.dtype)
    # Full float32 precision: a GPU's default TF32 would make the reference the imprecise side.
    return jnp.einsum(
        "...a,...b,abc->...c", first, second, indicator, precision=jax.lax.Precision.HIGHEST
    )


# --- the registry ------------------------------------------------------------------------

_REGISTRY: dict[str, Module] = {}


def register(
    name: str,
    arity: int,
    function: IntFunction,
    fuzzy: FuzzyFunction | None = None,
    *,
    replace: bool = False,
) -> Module:
    """Add a module. Without `fuzzy`, its fuzzy form is Eq. 2 computed generically."""
    if arity not in (0, 1, 2):
        raise ModuleError(f"module {name!r}: arity must be 0, 1 or 2, got {arity}")
    if name in _REGISTRY and not replace:
        raise ModuleError(
            f"a module named {name!r} exists already; pass replace=True to replace it"
        )
    module = Module(name, arity, function, fuzzy or _generic_fuzzy(arity, function))
    _REGISTRY[name] = module
    return module


def get(name: str) -> Module:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ModuleError(f"unknown module {name!r}; known modules: {', '.join(names())}") from None


def names() -> list[str]:
    return list(_REGISTRY)


def sequence(module_names: tuple[str, ...] | list[str], repeat: int = 1) -> tuple[Module, ...]:
    """The modules a machine runs each timestep: the named sequence, repeated."""
    if repeat < 1:
        raise ModuleError(f"repeat must be >= 1, got {repeat}")
    return tuple(get(name) for name in module_names) * repeat


def _unused(first: Array, second: Array) -> Array:
    raise ValueError("READ and WRITE are executed by the machine")


_REGISTRY["read"] = Module("read", 1, lambda a, b, m: 0, _unused, kind="read")
register("zero", 0, lambda a, b, m: 0, _constant(0))
register("one", 0, lambda a, b, m: 1, _constant(1))
register("two", 0, lambda a, b, m: 2, _constant(2))
register("inc", 1, lambda a, b, m: a + 1, lambda first, second: jnp.roll(first, 1, axis=-1))
register("add", 2, lambda a, b, m: a + b, _circular_convolution)
register("sub", 2, lambda a, b, m: a - b, _circular_correlation)
register("dec", 1, lambda a, b, m: a - 1, lambda first, second: jnp.roll(first, -1, axis=-1))
register("lt", 2, lambda a, b, m: int(a < b), _less_than)
register("le", 2, lambda a, b, m: int(a <= b), _less_equal)
register("eq", 2, lambda a, b, m: int(a == b), _equal)
register("min", 2, lambda a, b, m: min(a, b), _minimum)
register("max", 2, lambda a, b, m: max(a, b), _maximum)
# WRITE returns ZERO (docs/spec.md §3).
_REGISTRY["write"] = Module("write", 2, lambda a, b, m: 0, _unused, kind="write")

PAPER_MODULES: tuple[str, ...] = (
    "read", "zero", "one", "two", "inc", "add", "sub", "dec",
    "lt", "le", "eq", "min", "max", "write",
)  # fmt: skip
"""The sequence used in all of the paper's experiments."""
