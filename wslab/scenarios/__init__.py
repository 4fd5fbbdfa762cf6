"""Scenarios: one-call experiments with a real server, a tap, a client, and what each saw.

The layer above :mod:`wslab.live` (servers, taps, clients) and below
:mod:`wslab.notebook`. Each scenario starts its own :class:`~wslab.live.LabServer` on a
free port behind its own :class:`~wslab.live.Tap` (so the transcript shows every byte),
runs, tears everything down, even on failure, and returns a :class:`ScenarioResult`.
Every wait is bounded by the ``timeout`` parameter (seconds). A scenario that cannot
finish raises :class:`ScenarioError`, which carries what was recorded up to then::

    >>> from wslab import scenarios
    >>> print(scenarios.describe())        # every scenario, one line each
    >>> result = scenarios.run("echo", text="Hi")
    >>> print(result)                      # summary + sequence diagram
    >>> result.client_close, result.server_close, result.transcript.close_frames()
    >>> result.summary_line()              # who sent what, what each side reports
    >>> scenarios.summary_table([result, scenarios.run("ping")])   # side by side

- running: :func:`run`, :func:`names`, :func:`describe`, :data:`SCENARIOS` (the registry);
- results: :class:`ScenarioResult`, :class:`ScenarioError`, :class:`SummaryTable`,
  :func:`summary_table`, :func:`format_close`;
- the harness every scenario runs in: :class:`Lab` (server + tap + clients);
- measurements, as plain data: :class:`RttSamples`, :func:`keepalive_timeline`,
  :func:`predict_keepalive`, :func:`measure_keepalive`, :func:`compare_keepalive`,
  :func:`keepalive_experiment` (predict, run, measure), :func:`time_to_close`;
- a client against a server that breaks the rules on purpose: :func:`client_reaction`
  (a :class:`~wslab.live.ScratchServer` with one misbehaviour on) and its :class:`Reaction`;
- timing experiments, one call each, raw samples and a :class:`Summary` (count, min, p50,
  p90, p99, max in ms) out, a progress bar on long runs, the samples so far on interrupt:
  :func:`ping_rtts` (:class:`PingRtts`), :func:`size_sweep` (:class:`SizeSweep`; sizes
  :data:`DEFAULT_SIZES`, :data:`FULL_SIZES`), :func:`head_of_line` (:class:`HeadOfLine`),
  :func:`backpressure` (:class:`Backpressure`), :func:`keepalive_sweep` (:class:`KeepaliveSweep`),
  :func:`compression` (:class:`Compression`); what the tap itself costs:
  :func:`measure_tap_overhead` (:class:`TapOverhead`); the shared pieces :class:`Progress`,
  :class:`Measurement`, :func:`summarize`; and server push four ways (WebSocket, HTTP short
  and long polling, Server-Sent Events), latency and bytes on the wire of each:
  :func:`push_race` (:class:`PushRaceResult`, one :class:`TransportRun` per transport, its
  :class:`WirePiece` exchange), :func:`split_http` (:class:`HttpTraffic`).

How to add a scenario: write a function in one of the scenario modules (``_close``,
``_keepalive``, ``_handshake``, or a new one that this file imports) and declare it with
the :func:`scenario` decorator, once. The runner calls it with a lab factory that knows
the scenario's name, so the name is written nowhere else::

    @scenario("4000-custom", summary="one line for describe()")
    def custom(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
        \"\"\"What it does. Shows: ... (RFC 6455 §...). websockets: ...\"\"\"
        with new_lab(timeout=timeout) as lab:      # a Lab named "4000-custom"
            ws = lab.connect("/echo")
            ...
            return lab.result(title, explanation, "RFC 6455 §7.4.2",
                              client_close=lab.ws_close(ws))

Its keyword parameters are what ``run(name, **params)`` accepts (``SCENARIOS[name].params``
lists them with their defaults).

The modules behind this face are private; import from here.
"""

from . import _close, _handshake, _health, _intercepts, _keepalive  # noqa: F401  (registers scenarios)
from ._calibration import TapOverhead, measure_tap_overhead
from ._compression import Compression, compression
from ._flow import Backpressure, KeepaliveSweep, backpressure, keepalive_sweep
from ._lab import Lab, LabFactory
from ._latency import (
    DEFAULT_SIZES,
    FULL_SIZES,
    HeadOfLine,
    PingRtts,
    SizeSweep,
    head_of_line,
    ping_rtts,
    size_sweep,
)
from ._measurement import Measurement
from ._progress import Progress
from ._push import HttpTraffic, PushRaceResult, TransportRun, WirePiece, push_race, split_http
from ._reactions import Reaction, client_reaction
from ._registry import SCENARIOS, Scenario, describe, names, run, scenario
from ._result import (
    SUMMARY_COLUMNS,
    Closing,
    ScenarioError,
    ScenarioResult,
    SummaryTable,
    format_close,
    summary_table,
)
from ._stats import Summary, summarize
from ._timing import (
    CloseTiming,
    Comparison,
    KeepaliveExperiment,
    KeepaliveMeasurement,
    KeepalivePrediction,
    RttSamples,
    TimelineEvent,
    compare_keepalive,
    format_timeline,
    keepalive_experiment,
    keepalive_timeline,
    measure_keepalive,
    predict_keepalive,
    time_to_close,
)

__all__ = [
    "DEFAULT_SIZES",
    "FULL_SIZES",
    "SCENARIOS",
    "SUMMARY_COLUMNS",
    "Backpressure",
    "CloseTiming",
    "Closing",
    "Comparison",
    "Compression",
    "HeadOfLine",
    "HttpTraffic",
    "KeepaliveExperiment",
    "KeepaliveMeasurement",
    "KeepalivePrediction",
    "KeepaliveSweep",
    "Lab",
    "LabFactory",
    "Measurement",
    "PingRtts",
    "Progress",
    "PushRaceResult",
    "Reaction",
    "RttSamples",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "SizeSweep",
    "Summary",
    "SummaryTable",
    "TapOverhead",
    "TimelineEvent",
    "TransportRun",
    "WirePiece",
    "backpressure",
    "client_reaction",
    "compare_keepalive",
    "compression",
    "describe",
    "format_close",
    "format_timeline",
    "head_of_line",
    "keepalive_experiment",
    "keepalive_sweep",
    "keepalive_timeline",
    "measure_keepalive",
    "measure_tap_overhead",
    "names",
    "ping_rtts",
    "predict_keepalive",
    "push_race",
    "run",
    "scenario",
    "size_sweep",
    "split_http",
    "summarize",
    "summary_table",
    "time_to_close",
]
