"""The command line of the scratch server: ``python -m wslab serve --scratch [options]``.

:func:`serve_scratch` parses the options, starts a :class:`~wslab.live.ScratchServer`,
prints where it listens and serves until Ctrl-C. ``wslab.cli`` hands it the arguments
after ``serve``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from ..codec import DEFAULT_MAX_SIZE
from ._misbehaviours import MISBEHAVIOURS
from ._scratch import SCRATCH_SERVER_NAME, ScratchServer
from ._service import LOOPBACK

EXIT_OK, EXIT_CANNOT_LISTEN, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m wslab serve --scratch",
        description="Run the from-scratch WebSocket echo server (wslab.live.ScratchServer) "
                    "until Ctrl-C.",
        epilog="misbehaviours:\n" + "\n".join(f"  {k:<17} {v}" for k, v in MISBEHAVIOURS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scratch", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--host", default=LOOPBACK, help=f"address to listen on ({LOOPBACK})")
    p.add_argument("--port", type=int, default=0, help="TCP port (0: a free one)")
    p.add_argument("--deflate", action=argparse.BooleanOptionalAction, default=True,
                   help="accept permessage-deflate (RFC 7692) when offered (default: yes)")
    p.add_argument("--max-size", type=int, default=DEFAULT_MAX_SIZE,
                   help=f"largest message, bytes ({DEFAULT_MAX_SIZE})")
    p.add_argument("--misbehave", action="append", default=[], metavar="NAME",
                   help="break a rule on purpose (repeatable; see below)")
    return p


def serve_scratch(argv: Sequence[str] | None = None) -> int:
    """``python -m wslab serve --scratch [--host H] [--port P] [--deflate] [--misbehave N]``.

    Prints ``wslab-scratch listening on ws://HOST:PORT`` and serves until Ctrl-C (SIGINT).

    Args:
        argv: the arguments after ``serve`` (default: ``sys.argv[1:]``).
    Returns:
        the exit status: 0 after Ctrl-C (or ``--help``), 2 for bad arguments, 1 if it
        cannot listen.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        server = ScratchServer(host=args.host, port=args.port, deflate=args.deflate,
                               max_size=args.max_size, misbehave=args.misbehave)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except ValueError as exc:
        print(f"wslab serve: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        server.start()
    except OSError as exc:
        print(f"wslab serve: error: cannot listen on {args.host}:{args.port}: {exc}",
              file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    print(f"{SCRATCH_SERVER_NAME} listening on {server.url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK
