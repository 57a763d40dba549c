"""A minimal, dependency-free reader of TensorFlow checkpoint tensor bundles.

A TF (v1 ``Saver`` / v2) checkpoint ``<prefix>`` is two files:

* ``<prefix>.index``: an SSTable (LevelDB table format). Its data blocks map
  each tensor name (keys prefix-compressed against the previous key) to a
  serialized ``BundleEntryProto`` (dtype, shape, shard, offset, size, crc32c);
  the empty key holds a ``BundleHeaderProto`` (shard count, endianness).
  The file ends in a 48-byte footer: the metaindex and index block handles
  (varints) padded to 40 bytes, then the magic number ``0xdb4775248b80fb57``.
* ``<prefix>.data-SSSSS-of-NNNNN``: the raw tensor bytes, back to back.

Only what TF itself writes for ordinary dense tensors is supported: blocks
without compression, non-partitioned (unsliced) numeric tensors.
TensorFlow is never imported.

    >>> tensors = read_bundle("site-packages/musicnn/MSD_musicnn/")  # doctest: +SKIP
    >>> tensors["model/dense/kernel"].shape                            # doctest: +SKIP
    (1506, 200)
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import SynthMIRError

__all__ = ["TFBundleError", "TensorEntry", "bundle_files", "read_index", "read_bundle", "crc32c"]

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_LEN = 48
_BLOCK_TRAILER_LEN = 5  # 1 byte compression type + fixed32 masked crc32c
_CRC_MASK_DELTA = 0xA282EAD8

# tensorflow/core/framework/types.proto -> numpy (little-endian).
_DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"), 2: np.dtype("<f8"), 3: np.dtype("<i4"), 4: np.dtype("u1"),
    5: np.dtype("<i2"), 6: np.dtype("i1"), 8: np.dtype("<c8"), 9: np.dtype("<i8"),
    10: np.dtype("?"), 14: np.dtype("<u2"),  # bfloat16: raw bits, widened below
    17: np.dtype("<u2"), 18: np.dtype("<c16"), 19: np.dtype("<f2"),
    22: np.dtype("<u4"), 23: np.dtype("<u8"),
}
_DT_BFLOAT16 = 14


class TFBundleError(SynthMIRError, ValueError):
    """A checkpoint file that is missing, malformed or uses an unsupported feature."""


@dataclass(frozen=True)
class TensorEntry:
    """One ``BundleEntryProto``: where a tensor lives in the data shard(s)."""

    name: str
    dtype_enum: int
    shape: tuple[int, ...]
    shard_id: int
    offset: int
    size: int
    crc32c: int | None
    sliced: bool = False


# --- crc32c (Castagnoli), table driven ------------------------------------------

def _make_crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _make_crc_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C of ``data`` (pure Python: fine for index blocks, slow for MBs)."""
    c = crc ^ 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _unmask_crc(masked: int) -> int:
    rot = (masked - _CRC_MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# --- low-level decoding ------------------------------------------------------------

def _varint(buf: bytes, pos: int, where: str) -> tuple[int, int]:
    """Decode an unsigned varint at ``pos``; returns ``(value, new_pos)``."""
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise TFBundleError(f"{where}: truncated or overlong varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _proto_fields(buf: bytes, where: str) -> Iterable[tuple[int, int, int | bytes]]:
    """Yield ``(field_number, wire_type, value)`` of a serialized protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos, where)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos, where)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise TFBundleError(f"{where}: truncated fixed64 field {field}")
            value, pos = struct.unpack_from("<Q", buf, pos)[0], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos, where)
            if pos + n > len(buf):
                raise TFBundleError(f"{where}: truncated bytes field {field}")
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            if pos + 4 > len(buf):
                raise TFBundleError(f"{where}: truncated fixed32 field {field}")
            value, pos = struct.unpack_from("<I", buf, pos)[0], pos + 4
        else:
            raise TFBundleError(f"{where}: unsupported protobuf wire type {wire} (field {field})")
        yield field, wire, value


def _parse_shape(buf: bytes, where: str) -> tuple[int, ...]:
    dims: list[int] = []
    for field, _, value in _proto_fields(buf, where):
        if field == 2:  # repeated Dim dim
            size = 0
            for f, _, v in _proto_fields(value, where):  # type: ignore[arg-type]
                if f == 1:
                    size = _signed64(v)  # type: ignore[arg-type]
            dims.append(size)
        elif field == 3 and value:
            raise TFBundleError(f"{where}: tensor of unknown rank")
    if any(d < 0 for d in dims):
        raise TFBundleError(f"{where}: tensor with unknown dimension {dims}")
    return tuple(dims)


def _parse_entry(name: str, buf: bytes, where: str) -> TensorEntry:
    """Decode a ``BundleEntryProto``."""
    fields = {"dtype": 0, "shape": (), "shard_id": 0, "offset": 0, "size": 0, "crc32c": None,
              "sliced": False}
    for field, _, value in _proto_fields(buf, f"{where} [{name}]"):
        if field == 1:
            fields["dtype"] = value
        elif field == 2:
            fields["shape"] = _parse_shape(value, f"{where} [{name}]")  # type: ignore[arg-type]
        elif field == 3:
            fields["shard_id"] = value
        elif field == 4:
            fields["offset"] = _signed64(value)  # type: ignore[arg-type]
        elif field == 5:
            fields["size"] = _signed64(value)  # type: ignore[arg-type]
        elif field == 6:
            fields["crc32c"] = value
        elif field == 7:
            fields["sliced"] = True
    return TensorEntry(name, fields["dtype"], fields["shape"], fields["shard_id"],  # type: ignore[arg-type]
                       fields["offset"], fields["size"], fields["crc32c"], fields["sliced"])  # type: ignore[arg-type]


def _read_block(data: bytes, offset: int, size: int, where: str) -> bytes:
    """Contents of the block at ``(offset, size)``, its trailer checked."""
    end = offset + size
    if offset < 0 or end + _BLOCK_TRAILER_LEN > len(data):
        raise TFBundleError(f"{where}: block handle ({offset}, {size}) points past the end of the file")
    contents = data[offset:end]
    ctype = data[end]
    if ctype != 0:
        raise TFBundleError(f"{where}: block at {offset} is compressed (type {ctype}); "
                            "only uncompressed tables are supported")
    expected = _unmask_crc(struct.unpack_from("<I", data, end + 1)[0])
    if crc32c(data[offset:end + 1]) != expected:
        raise TFBundleError(f"{where}: checksum mismatch in block at offset {offset}")
    return contents


def _block_entries(block: bytes, where: str) -> list[tuple[bytes, bytes]]:
    """All ``(key, value)`` pairs of one table block (keys prefix-decompressed)."""
    if len(block) < 4:
        raise TFBundleError(f"{where}: block too short")
    n_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    limit = len(block) - 4 - 4 * n_restarts
    if limit < 0:
        raise TFBundleError(f"{where}: bad restart count {n_restarts}")
    out: list[tuple[bytes, bytes]] = []
    key = b""
    pos = 0
    while pos < limit:
        shared, pos = _varint(block, pos, where)
        non_shared, pos = _varint(block, pos, where)
        value_len, pos = _varint(block, pos, where)
        if shared > len(key) or pos + non_shared + value_len > limit:
            raise TFBundleError(f"{where}: corrupt block entry at {pos}")
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        out.append((key, block[pos:pos + value_len]))
        pos += value_len
    return out


# --- public API -------------------------------------------------------------------

def bundle_files(prefix: str | os.PathLike) -> tuple[Path, str]:
    """``(index_path, prefix)`` for a checkpoint prefix, its ``.index`` file or
    a folder holding an unnamed checkpoint (files ``.index``, ``.data-*``)."""
    p = str(prefix)
    if p.endswith(".index"):
        p = p[: -len(".index")]
    elif os.path.isdir(p):
        p = os.path.join(p, "")
    return Path(p + ".index"), p


def read_index(prefix: str | os.PathLike) -> tuple[dict[str, int], dict[str, TensorEntry]]:
    """Parse ``<prefix>.index``.

    Returns ``(header, entries)``: header has ``num_shards`` and ``endianness``
    (0 = little); ``entries`` maps tensor name -> :class:`TensorEntry`, in key
    order. Raises :class:`FileNotFoundError` / :class:`TFBundleError` naming the file.
    """
    index_path, _ = bundle_files(prefix)
    where = str(index_path)
    if not index_path.is_file():
        raise FileNotFoundError(f"{where}: checkpoint index not found")
    data = index_path.read_bytes()
    if len(data) < _FOOTER_LEN or struct.unpack_from("<Q", data, len(data) - 8)[0] != _TABLE_MAGIC:
        raise TFBundleError(f"{where}: not a TensorFlow checkpoint index (bad SSTable footer magic)")
    footer = data[len(data) - _FOOTER_LEN:]
    _, pos = _varint(footer, 0, where)  # metaindex offset (unused)
    _, pos = _varint(footer, pos, where)  # metaindex size
    idx_off, pos = _varint(footer, pos, where)
    idx_size, pos = _varint(footer, pos, where)

    header = {"num_shards": 1, "endianness": 0}
    entries: dict[str, TensorEntry] = {}
    for _, handle in _block_entries(_read_block(data, idx_off, idx_size, where), where):
        off, hpos = _varint(handle, 0, where)
        size, _ = _varint(handle, hpos, where)
        for key, value in _block_entries(_read_block(data, off, size, where), where):
            if key == b"":  # BundleHeaderProto
                for field, _, v in _proto_fields(value, f"{where} [header]"):
                    if field == 1:
                        header["num_shards"] = int(v)  # type: ignore[arg-type]
                    elif field == 2:
                        header["endianness"] = int(v)  # type: ignore[arg-type]
                continue
            name = key.decode("utf-8", errors="replace")
            entries[name] = _parse_entry(name, value, where)
    if header["endianness"] != 0:
        raise TFBundleError(f"{where}: big-endian checkpoints are not supported")
    return header, entries


def read_bundle(prefix: str | os.PathLike, names: Iterable[str] | None = None,
                verify_crc: bool = False) -> dict[str, np.ndarray]:
    """Read tensors of a checkpoint as numpy arrays.

    Args:
        prefix: checkpoint prefix (``.../model.ckpt``), its ``.index`` path, or a
            folder holding an unnamed checkpoint (``.index`` + ``.data-00000-of-00001``).
        names: tensors to read (default: all).
        verify_crc: also check each tensor's crc32c (pure Python: slow, ~1 s/MB).
    Returns:
        ``{name: array}`` with each array in its stored dtype and shape
        (bfloat16 is widened to float32).
    """
    header, entries = read_index(prefix)
    index_path, pfx = bundle_files(prefix)
    if names is None:
        wanted = list(entries)
    else:
        wanted = list(names)
        missing = [n for n in wanted if n not in entries]
        if missing:
            raise KeyError(f"{index_path}: no tensor(s) {missing}")
    n_shards = header["num_shards"]
    shards: dict[int, np.memmap | np.ndarray] = {}
    out: dict[str, np.ndarray] = {}
    for name in wanted:
        e = entries[name]
        if e.sliced:
            raise TFBundleError(f"{index_path}: tensor {name!r} is partitioned (sliced); unsupported")
        if e.dtype_enum not in _DTYPES:
            raise TFBundleError(f"{index_path}: tensor {name!r} has unsupported dtype enum {e.dtype_enum}")
        if not 0 <= e.shard_id < n_shards:
            raise TFBundleError(f"{index_path}: tensor {name!r} in shard {e.shard_id} of {n_shards}")
        data_path = Path(f"{pfx}.data-{e.shard_id:05d}-of-{n_shards:05d}")
        if e.shard_id not in shards:
            if not data_path.is_file():
                raise FileNotFoundError(f"{data_path}: checkpoint data shard not found")
            shards[e.shard_id] = np.fromfile(data_path, dtype=np.uint8)
        shard = shards[e.shard_id]
        dtype = _DTYPES[e.dtype_enum]
        count = int(np.prod(e.shape, dtype=np.int64))
        if e.size != count * dtype.itemsize or e.offset < 0 or e.offset + e.size > shard.size:
            raise TFBundleError(f"{data_path}: tensor {name!r} (shape {e.shape}, {e.size} bytes at "
                                f"{e.offset}) does not fit the file of {shard.size} bytes")
        raw = shard[e.offset:e.offset + e.size]
        if verify_crc and e.crc32c is not None and crc32c(raw.tobytes()) != _unmask_crc(e.crc32c):
            raise TFBundleError(f"{data_path}: checksum mismatch for tensor {name!r}")
        arr = raw.view(dtype).reshape(e.shape).copy()
        if e.dtype_enum == _DT_BFLOAT16:
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[name] = arr
    return out
