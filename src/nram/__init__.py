"""Neural Random-Access Machines (Kurach, Andrychowicz & Sutskever, ICLR 2016) in JAX."""

__version__ = "0.1.0"
