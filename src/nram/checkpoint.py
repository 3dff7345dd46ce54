"""Checkpoints: a pytree's arrays and a JSON header in one .npz file, never through pickle.

A checkpoint is written to a temporary file beside its destination, flushed to disk, then
renamed over it (`rundir.atomic_write`), so an interruption or a full disk leaves either the
old checkpoint or the new one, never a half-written file. Loading needs a template pytree of
the same structure (the trainer builds one from the run's config); every leaf's shape and
dtype is checked against it, the zip's CRCs catch corruption, and `allow_pickle=False` means
a checkpoint can never run code.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import jax
import numpy as np

from nram.errors import CheckpointError
from nram.rundir import atomic_write

FORMAT = "nram-checkpoint-1"


def _is_key(leaf: Any) -> bool:
    return hasattr(leaf, "dtype") and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def save(path: str | Path, tree: Any, header: dict[str, Any]) -> None:
    path = Path(path)
    leaves = jax.tree_util.tree_leaves(tree)
    arrays = {
        f"leaf_{index:05d}": np.asarray(jax.random.key_data(leaf) if _is_key(leaf) else leaf)
        for index, leaf in enumerate(leaves)
    }
    header = {"format": FORMAT, "leaves": len(leaves), **header}
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    atomic_write(path, lambda handle: np.savez(handle, **arrays))


def read_header(path: str | Path) -> dict[str, Any]:
    with _open(path) as archive:
        return _header(archive, path)


def load(path: str | Path, template: Any, *, leading: bool = False) -> tuple[Any, dict[str, Any]]:
    """Fill `template`'s structure with the checkpoint's arrays; return (tree, header).
    `leading`: the template is the first part of what was saved (the model of a saved
    (model, optimiser state)), and the arrays after it are not read."""
    leaves, treedef = jax.tree_util.tree_flatten(template)
    with _open(path) as archive:
        header = _header(archive, path)
        if header["leaves"] < len(leaves) or (header["leaves"] != len(leaves) and not leading):
            raise CheckpointError(
                f"{path} holds {header['leaves']} arrays but this model has {len(leaves)}: "
                "it was saved for another configuration or nram version"
            )
        restored = []
        for index, expected in enumerate(leaves):
            try:
                array = archive[f"leaf_{index:05d}"]
            except (KeyError, zipfile.BadZipFile, OSError, ValueError) as error:
                raise CheckpointError(f"{path} is corrupted or truncated ({error})") from None
            key = _is_key(expected)  # stored as its raw data (uint32), like `save` writes it
            reference = np.asarray(jax.random.key_data(expected) if key else expected)
            if array.shape != reference.shape or array.dtype != reference.dtype:
                raise CheckpointError(
                    f"{path}: array {index} is {array.dtype}{list(array.shape)}, expected "
                    f"{reference.dtype}{list(reference.shape)}: another configuration"
                )
            if key:
                restored.append(jax.random.wrap_key_data(array, impl=jax.random.key_impl(expected)))
            else:
                restored.append(jax.numpy.asarray(array))
    return jax.tree_util.tree_unflatten(treedef, restored), header


def _open(path: str | Path) -> Any:
    if not Path(path).is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        return np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise CheckpointError(f"{path} is corrupted or truncated ({error})") from None


def _header(archive: Any, path: str | Path) -> dict[str, Any]:
    try:
        header = json.loads(bytes(archive["header"]).decode())
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise CheckpointError(f"{path} is corrupted or truncated ({error})") from None
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an nram checkpoint (format {header.get('format')!r})")
    return header
