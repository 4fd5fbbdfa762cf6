"""wslab where NumPy, matplotlib and aiohttp cannot be imported, as in Pyodide (JupyterLite).

A fresh interpreter gets a meta-path finder that refuses those three, then imports
wslab, wslab.codec, wslab.view and wslab.notebook and runs every codec path the Lite
notebooks (00, 01, 02, 07) use: dissect, the streaming Decoder on a 1 MiB masked frame,
the FrameBuilder and HexDissector widgets, and a figure, which must say that it needs
matplotlib.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

BLOCKED = ("numpy", "matplotlib", "aiohttp")

SCRIPT = textwrap.dedent("""
    import importlib.abc, json, os, sys

    BLOCKED = set(json.loads(os.environ["WSLAB_BLOCKED"]))

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Refuse())

    import wslab
    from wslab import Frame, Opcode, dissect
    from wslab.codec import Decoder, apply_mask
    from wslab.notebook import FrameBuilder, HexDissector, compare, rendered, verdict
    import wslab.view, wslab.exercises

    report = {}
    hello = bytes.fromhex("81054865 6c6c6f".replace(" ", ""))  # RFC 6455 §5.7
    report["dissect"] = dissect(hello).frames[0].frame.payload.decode()

    key = bytes.fromhex("37fa213d")
    payload = bytes(range(256)) * 4096  # 1 MiB
    frame = Frame(Opcode.BINARY, payload, masking_key=key)
    decoder = Decoder(sender="client", max_size=2**21)
    wire = frame.serialize()
    frames = []
    for start in range(0, len(wire), 65536):  # as a socket delivers it
        frames += decoder.feed(wire[start:start + 65536])
    report["decoded"] = len(frames) == 1 and frames[0].payload == payload
    report["unmasked"] = apply_mask(apply_mask(payload, key), key) == payload

    builder = FrameBuilder()
    report["builder"] = builder.hex
    builder.fin.value = False
    report["builder_no_fin"] = builder.hex
    dissector = HexDissector("81 05 48 65 6c 6c 6f")
    report["dissector"] = "Hello" in dissector.view.value
    report["verdict"] = verdict(dissect(bytes.fromhex("c1 00"), sender="server"))
    report["shown"] = type(rendered(hello)).__name__
    report["compared"] = type(compare(hello, hello)).__name__

    from wslab.notebook import LabFigure
    try:
        LabFigure()
    except ModuleNotFoundError as exc:
        report["figure"] = exc.name
    report["loaded"] = sorted(m for m in BLOCKED if m in sys.modules)
    print(json.dumps(report))
""")


@pytest.mark.slow
def test_codec_and_widgets_without_numpy_or_matplotlib() -> None:
    env = {"WSLAB_BLOCKED": json.dumps(BLOCKED), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["dissect"] == "Hello"
    assert report["decoded"] is True
    assert report["unmasked"] is True
    assert report["builder"] == "81 05 48 65 6c 6c 6f"
    assert report["builder_no_fin"] == "01 05 48 65 6c 6c 6f"
    assert report["dissector"] is True
    assert "close code 1002" in report["verdict"]  # RSV1 set, no extension negotiated (§5.2)
    assert report["shown"] == report["compared"] == "Rendered"
    assert report["figure"] == "matplotlib"
    assert report["loaded"] == []
