"""Neural Random-Access Machines (Kurach, Andrychowicz & Sutskever, ICLR 2016) in JAX."""

import os

__version__ = "0.1.0"

# One single-threaded XLA process per core is the faster use of a small machine
# (docs/speed.md): `nram`, its sweep workers and the benchmarks ask for it.
SINGLE_THREADED_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def use_single_threaded_xla() -> None:
    """Ask for SINGLE_THREADED_XLA unless XLA_FLAGS is set already (a user's own flags win).
    XLA reads them when JAX starts, so call this before any JAX computation."""
    os.environ.setdefault("XLA_FLAGS", SINGLE_THREADED_XLA)
