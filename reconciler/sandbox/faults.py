"""Fault rules: what the sandbox does wrong, on purpose, and the compact text form of a rule.

Text form (``--fault``, control route): ``METHOD:PATH-GLOB:KIND[:OPTION=VALUE,...]``, e.g.
``POST:/agents/repos/*/tasks:commit_then_drop:times=1``. ``METHOD`` may be ``*``; the glob is
matched against the whole decoded path with ``fnmatch`` rules (``*`` also crosses ``/``).

Kinds: ``latency`` (``ms``), ``500`` ``502`` ``503`` ``504``, ``reset``, ``refused``,
``secondary_429`` and ``secondary_403`` (``retry_after`` optional), ``primary`` (``reset_in``,
default 60 s), ``commit_then_drop``, ``commit_then_5xx`` (``status``, default 502),
``commit_then_hold`` (``seconds``), ``gone`` (410 for a retired API version), ``deprecated``
(``Deprecation`` and ``Sunset`` headers, ``sunset_in`` days, default 90), ``race`` (on a git
ref write, PATCH or POST, another writer moves or creates the ref first). Options common to
all: ``times=N`` (fire N times, then stop) and ``rate=P`` (fire with probability P, drawn from
the seeded generator). Without either a rule fires on every matching request.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from fnmatch import fnmatchcase

KINDS = frozenset(
    {
        "latency",
        "500",
        "502",
        "503",
        "504",
        "reset",
        "refused",
        "secondary_429",
        "secondary_403",
        "primary",
        "commit_then_drop",
        "commit_then_5xx",
        "commit_then_hold",
        "gone",
        "deprecated",
        "race",
    }
)
COMMIT_KINDS = frozenset({"commit_then_drop", "commit_then_5xx", "commit_then_hold"})
MODIFIER_KINDS = frozenset({"latency", "deprecated"})
_INT_OPTIONS = ("times", "ms", "status", "retry_after", "reset_in", "sunset_in")
_FLOAT_OPTIONS = ("rate", "seconds")


@dataclass(frozen=True)
class FaultRule:
    """One fault: which requests it hits (``method``, ``path`` glob), what it does, how often."""

    kind: str
    method: str = "*"
    path: str = "*"
    times: int | None = None
    rate: float | None = None
    ms: int = 0
    status: int = 502
    retry_after: int | None = None
    reset_in: int = 60
    seconds: float = 0.0
    sunset_in: int = 90

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(sorted(KINDS))}")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate {self.rate} is not between 0 and 1")
        if self.times is not None and self.times < 1:
            raise ValueError(f"fault times {self.times} is not at least 1")
        if self.kind == "commit_then_5xx" and self.status not in (500, 502, 503, 504):
            raise ValueError(f"commit_then_5xx status {self.status} is not 500/502/503/504")

    @classmethod
    def parse(cls, text: str) -> FaultRule:
        """Read the text form; a ``ValueError`` names what is wrong."""
        parts = text.split(":", 3)
        if len(parts) < 3:
            raise ValueError(f"fault {text!r} is not METHOD:PATH:KIND[:OPTION=VALUE,...]")
        method, path, kind = parts[0].upper() or "*", parts[1] or "*", parts[2]
        ints, floats = _options(parts[3] if len(parts) == 4 else "")
        return cls(
            kind,
            method,
            path,
            times=ints.get("times"),
            rate=floats.get("rate"),
            ms=ints.get("ms", 0),
            status=ints.get("status", 502),
            retry_after=ints.get("retry_after"),
            reset_in=ints.get("reset_in", 60),
            seconds=floats.get("seconds", 0.0),
            sunset_in=ints.get("sunset_in", 90),
        )

    def to_text(self) -> str:
        """The text form, listing only options that differ from the defaults."""
        defaults = FaultRule(self.kind)
        options = [
            f"{f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if f.name not in ("kind", "method", "path")
            and getattr(self, f.name) != getattr(defaults, f.name)
        ]
        tail = ":" + ",".join(options) if options else ""
        return f"{self.method}:{self.path}:{self.kind}{tail}"

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request (before ``times`` and ``rate``)."""
        if self.method not in ("*", method.upper()):
            return False
        if self.kind in COMMIT_KINDS and method.upper() != "POST":
            return False
        if self.kind == "race" and method.upper() not in ("PATCH", "POST"):
            return False
        return fnmatchcase(path, self.path)


def _options(text: str) -> tuple[dict[str, int], dict[str, float]]:
    ints: dict[str, int] = {}
    floats: dict[str, float] = {}
    for item in (i for i in text.split(",") if i):
        name, sep, value = item.partition("=")
        if not sep or name not in _INT_OPTIONS + _FLOAT_OPTIONS:
            raise ValueError(
                f"fault option {item!r} is not one of times, rate, ms, status, retry_after,"
                " reset_in, seconds, sunset_in (as NAME=VALUE)"
            )
        try:
            if name in _INT_OPTIONS:
                ints[name] = int(value)
            else:
                floats[name] = float(value)
        except ValueError:
            raise ValueError(f"fault option {item!r} needs a number") from None
    return ints, floats
