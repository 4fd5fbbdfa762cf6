"""Recorded traffic as a capture file for Wireshark: tap chunks -> ``text2pcap`` -> pcapng.

The :class:`~wslab.live.Tap` records what each side sent, chunk by chunk, with no packet
capture (no root needed). Wireshark's own ``text2pcap`` turns a hex dump of those chunks
into a capture file: each chunk becomes a TCP segment (IPv4, 127.0.0.1 both ends) with
made-up headers, its direction and its time kept, and TCP sequence numbers that run on
per direction, so Wireshark reassembles frames spread over several chunks. Open the file
in Wireshark (or ``tshark -r FILE``); with the server port 80, as by default, Wireshark
recognises the HTTP handshake and switches to its WebSocket dissector by itself (for
another port: ``-d tcp.port==PORT,http``).

A chunk larger than ``segment_size`` is cut into several segments: an IPv4 packet holds
at most 65535 bytes (the total length is a 16-bit field, RFC 791).

Example::

    with Tap("127.0.0.1", server.port) as tap:
        ...  # talk through tap.url_for("/echo")
    write_pcap(tap.chunks(1), "echo.pcapng")
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from ..codec import Chunk

DEFAULT_SEGMENT = 16384  # bytes of TCP payload per packet
MAX_IPV4_PACKET = 65535  # bytes: the IPv4 total length is a 16-bit field (RFC 791)
IPV4_HEADER = TCP_HEADER = 20  # bytes, without options
MAX_SEGMENT = MAX_IPV4_PACKET - IPV4_HEADER - TCP_HEADER
MAX_PORT = 65535  # TCP ports are 16 bits
CLIENT_PORT = 50000  # the client's port in the made-up headers (any ephemeral one)
HTTP_PORT = 80  # the server's: Wireshark then finds the HTTP handshake unaided
TEXT2PCAP_TIMEOUT = 60.0  # seconds
_BYTES_PER_LINE = 16
_MARK = {"c2s": "I", "s2c": "O"}  # text2pcap -D: "I" goes from the first -T port to the second


def _one_connection(chunks: Iterable[Chunk], conn_id: int | None) -> list[Chunk]:
    chunks = list(chunks)
    ids = sorted({c.conn_id for c in chunks})
    if conn_id is None and len(ids) > 1:
        raise ValueError(f"the chunks come from {len(ids)} connections {ids}: pick one with "
                         f"conn_id= (a capture file made here holds one TCP connection)")
    return [c for c in chunks if conn_id is None or c.conn_id == conn_id]


def pcap_segments(chunks: Iterable[Chunk], *, conn_id: int | None = None,
             segment_size: int = DEFAULT_SEGMENT) -> Iterator[tuple[Chunk, bytes]]:
    """The TCP segments the chunks make, in order: ``(chunk, bytes)``, empty chunks left out.

    Args:
        chunks: chunks of one connection, in the order they were recorded.
        conn_id: keep only that connection's chunks (required if there are several).
        segment_size: most bytes per segment (1 to 65495); longer chunks are cut.
    Raises:
        ValueError: several connections and no ``conn_id``, or a bad ``segment_size``.
    """
    if not 1 <= segment_size <= MAX_SEGMENT:
        raise ValueError(f"segment_size is 1 to {MAX_SEGMENT} bytes (an IPv4 packet holds at "
                         f"most {MAX_IPV4_PACKET}), not {segment_size}")
    for chunk in _one_connection(chunks, conn_id):
        for start in range(0, len(chunk.data), segment_size):
            yield chunk, chunk.data[start : start + segment_size]


def pcap_hexdump(chunks: Iterable[Chunk], *, conn_id: int | None = None,
            segment_size: int = DEFAULT_SEGMENT, clock_offset: float | None = None) -> str:
    """The chunks as ``text2pcap -D -t ISO`` reads them: one hex dump per TCP segment.

    Each dump starts with ``I`` (client to server) or ``O`` and the time in ISO 8601
    (UTC), then lines of an offset and 16 bytes in hex.

    Args:
        chunks, conn_id, segment_size: as for :func:`pcap_segments`.
        clock_offset: added to each chunk's ``time.monotonic()`` time to get a Unix time
            (``None``: ``time.time() - time.monotonic()`` now).
    Raises:
        ValueError: as :func:`pcap_segments`.
    """
    if clock_offset is None:
        clock_offset = time.time() - time.monotonic()
    out: list[str] = []
    for chunk, data in pcap_segments(chunks, conn_id=conn_id, segment_size=segment_size):
        when = datetime.fromtimestamp(chunk.t + clock_offset, timezone.utc)
        out.append(f"{_MARK[chunk.direction]} {when:%Y-%m-%dT%H:%M:%S.%fZ}")
        out += [f"{i:06x} {data[i : i + _BYTES_PER_LINE].hex(' ')}"
                for i in range(0, len(data), _BYTES_PER_LINE)]
        out.append("")
    return "\n".join(out) + "\n"


def write_pcap(chunks: Iterable[Chunk], path: str | Path, *, conn_id: int | None = None,
               client_port: int = CLIENT_PORT, server_port: int = HTTP_PORT,
               segment_size: int = DEFAULT_SEGMENT, text2pcap: str = "text2pcap",
               timeout: float = TEXT2PCAP_TIMEOUT) -> Path:
    """Write one recorded connection as a pcapng capture file (runs Wireshark's ``text2pcap``).

    Args:
        chunks, conn_id, segment_size: as for :func:`pcap_segments`.
        path: the file to write.
        client_port, server_port: the TCP ports written in the made-up headers (port 80
            lets Wireshark find the HTTP handshake, then the WebSocket frames, unaided).
        text2pcap: the program to run.
        timeout: seconds to wait for it.
    Returns:
        ``path``, as a :class:`~pathlib.Path`.
    Raises:
        FileNotFoundError: ``text2pcap`` is not installed (it comes with Wireshark).
        ValueError: as :func:`pcap_segments`, or a port outside 1-65535.
        RuntimeError: ``text2pcap`` failed (its message included).
    """
    for name, port in (("client_port", client_port), ("server_port", server_port)):
        if not 1 <= port <= MAX_PORT:
            raise ValueError(f"{name} is a TCP port, 1-{MAX_PORT}, not {port}")
    program = shutil.which(text2pcap)
    if program is None:
        raise FileNotFoundError(f"{text2pcap!r} is not on PATH: it comes with Wireshark "
                                "(Debian/Ubuntu: apt-get install tshark)")
    dump = pcap_hexdump(chunks, conn_id=conn_id, segment_size=segment_size)
    path = Path(path)
    command = [program, "-q", "-D", "-t", "ISO", "-4", "127.0.0.1,127.0.0.1",
               "-T", f"{client_port},{server_port}", "-", str(path)]
    done = subprocess.run(command, input=dump.encode("ascii"), capture_output=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"text2pcap failed (exit {done.returncode}): {message}")
    return path
