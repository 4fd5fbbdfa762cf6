"""Masking (RFC 6455 §5.3): payload byte i is XORed with masking-key byte i mod 4.

Masking is its own inverse, so :func:`apply_mask` both masks and unmasks.
Large payloads go through NumPy (eight bytes per XOR); small ones through
Python's big integers, which XOR the whole payload in one C call.
"""

from __future__ import annotations

import functools
from types import ModuleType


@functools.cache
def numpy() -> ModuleType | None:
    """NumPy, imported on first need; ``None`` where it is missing (e.g. Pyodide).

    NumPy makes megabyte payloads as fast as the websockets C extension; importing it
    lazily keeps ``import wslab`` light, and every path works without it.
    """
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency where it exists
        return None
    return np


_NUMPY_THRESHOLD = 4096


def apply_mask(data: bytes | bytearray | memoryview, key: bytes) -> bytes:
    """XOR ``data`` with the 4-byte masking ``key`` repeated (RFC 6455 §5.3).

    Args:
        data: the payload, masked or not.
        key: exactly four bytes.
    Raises:
        ValueError: if ``key`` is not four bytes long.
    """
    if len(key) != 4:
        raise ValueError(f"a masking key is 4 bytes, not {len(key)} (RFC 6455 §5.3)")
    n = len(data)
    if n == 0:
        return b""
    if n >= _NUMPY_THRESHOLD and (_np := numpy()) is not None:
        whole = n - n % 8
        out = _np.empty(n, dtype=_np.uint8)
        src = _np.frombuffer(data, dtype=_np.uint8)
        k8 = _np.frombuffer(bytes(key) * 2, dtype=_np.uint64)[0]
        _np.bitwise_xor(src[:whole].view(_np.uint64), k8, out=out[:whole].view(_np.uint64))
        if whole != n:
            tail = _np.frombuffer((bytes(key) * 2)[: n - whole], dtype=_np.uint8)
            _np.bitwise_xor(src[whole:], tail, out=out[whole:])
        return out.tobytes()
    repeated = bytes(key) * (n // 4 + 1)
    value = int.from_bytes(data, "little") ^ int.from_bytes(repeated[:n], "little")
    return value.to_bytes(n, "little")


def mask_steps(data: bytes, key: bytes, *,
               limit: int | None = None) -> list[tuple[int, int, int, int]]:
    """Return the masking step by step: ``(i, data[i], key[i % 4], data[i] ^ key[i % 4])``.

    Args:
        data: the bytes to (un)mask.
        key: the 4-byte masking key.
        limit: stop after this many bytes (``None`` for all).
    """
    if len(key) != 4:
        raise ValueError(f"a masking key is 4 bytes, not {len(key)} (RFC 6455 §5.3)")
    n = len(data) if limit is None else min(limit, len(data))
    return [(i, data[i], key[i % 4], data[i] ^ key[i % 4]) for i in range(n)]


def mask_into(out: object, start: int, data: bytes | bytearray | memoryview,
              key: bytes | None) -> None:
    """Write ``data`` (masked) unmasked into the NumPy uint8 array ``out`` at ``start``.

    ``data`` holds payload bytes ``start .. start + len(data)`` of one frame, so
    byte ``i`` of it is XORed with ``key[(start + i) % 4]``. ``key=None`` copies.

    Args:
        out: a writable ``numpy.ndarray`` of dtype uint8 (the whole payload).
        start: index in the payload of ``data[0]``.
        data: the bytes as received.
        key: the 4-byte masking key, or ``None`` for an unmasked frame.
    """
    _np = numpy()
    assert _np is not None
    src = _np.frombuffer(data, dtype=_np.uint8)
    n = len(src)
    dst = out[start : start + n]  # type: ignore[index]
    if key is None:
        dst[:] = src
        return
    phase = start % 4
    rotated = bytes(key[phase:] + key[:phase]) * 2
    whole = n - n % 8
    if whole:
        k8 = _np.frombuffer(rotated, dtype=_np.uint64)[0]
        _np.bitwise_xor(src[:whole].view(_np.uint64), k8, out=dst[:whole].view(_np.uint64))
    if whole != n:
        tail = _np.frombuffer(rotated[: n - whole], dtype=_np.uint8)
        _np.bitwise_xor(src[whole:], tail, out=dst[whole:])
