"""The state file's contents as typed values, and its JSON encoding (DESIGN §3). Pure.

``state/store.py`` does the I/O (locks, atomic saves, backups); this module only says what a state
is and how it reads and writes as JSON, so the planner can take a ``State`` without touching a file.
"""

from __future__ import annotations

import json
import re

from pydantic import ConfigDict, Field, ValidationError
from pydantic_core import to_json

from reconciler.errors import StateError
from reconciler.models import Model, RequestBody, TaskState, Timestamp

FORMAT = 1


class _StateModel(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EarlierRun(_StateModel):
    """A task created for a key before its current one (replaced, re-run, or a lookalike)."""

    task_id: str
    state: TaskState | None = None
    note: str | None = None


class Record(_StateModel):
    """A task created (or imported) for a key, as last seen."""

    task_id: str
    repo: str
    digest: str
    body: RequestBody | None = Field(
        default=None, description="The body the task was created from, to say what changed."
    )
    attempt: int = 1
    creator_id: int | None = None
    created_at: Timestamp
    last_state: TaskState | None = None
    last_seen_at: Timestamp | None = None
    html_url: str | None = None
    pull_id: int | None = None
    earlier_runs: tuple[EarlierRun, ...] = ()


class Intent(_StateModel):
    """Written before each POST: enough to find the task again if the response is lost."""

    key: str
    repo: str
    body: RequestBody
    digest: str
    server_time: Timestamp | None = Field(
        description="The Date of the last response before the POST (server clock)."
    )
    started_at: Timestamp = Field(description="Local time the POST was about to be sent.")
    attempt: int = 1
    earlier_runs: tuple[EarlierRun, ...] = ()


class Tombstone(_StateModel):
    """A key that was declared, run, and then removed from the tasks files."""

    task_id: str
    repo: str
    forgotten_at: Timestamp
    last_state: TaskState | None = None


class State(_StateModel):
    """Everything agenttasks remembers between runs."""

    format: int = FORMAT
    lineage: str | None = None
    serial: int = 0
    written_at: Timestamp | None = None
    user_id: int | None = None
    tasks: dict[str, Record] = Field(default_factory=dict)
    intents: dict[str, Intent] = Field(default_factory=dict)
    tombstones: dict[str, Tombstone] = Field(default_factory=dict)
    recent_creates: tuple[Timestamp, ...] = Field(
        default=(),
        description=(
            "When the last hour's POSTs left (server time), oldest first: GitHub's create limits"
            " (80 a minute, 500 an hour) count across runs, so the next apply's pacing starts"
            " from them. Never written when empty."
        ),
    )
    fence: str | None = Field(
        default=None,
        description=(
            "s3:// only (CI.md §2.2): the lock id of the holder that last took or broke the lock;"
            " the object's ETag changes with it, so a writer whose lock was broken fails its next"
            " conditional write. Never written when None, so local files are unchanged."
        ),
    )

    @property
    def known_task_ids(self) -> set[str]:
        """Every task id the state knows: records, their earlier runs, and tombstones."""
        ids = {r.task_id for r in self.tasks.values()}
        ids |= {run.task_id for r in self.tasks.values() for run in r.earlier_runs}
        ids |= {run.task_id for i in self.intents.values() for run in i.earlier_runs}
        return ids | {t.task_id for t in self.tombstones.values()}


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate(text: str, raw: object) -> str | None:
    """The first escaped surrogate that JSON parsed but UTF-8 cannot hold (a save would fail on
    it), as ``\\udXXX``; None when there is none. Pairs are one character and fine. Only a text
    with such an escape at all is re-encoded, so a large state costs one regex search."""
    if not _SURROGATE_ESCAPE.search(text):
        return None
    try:
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        return f"\\u{ord(error.object[error.start]):04x}"
    return None


def decode(data: str | bytes, *, path: str, backup: str = "", history: str | None = None) -> State:
    """Parse a state's text (or bytes: UTF-8); refuse a newer format or anything that does not
    parse. The message ends with where an earlier state is: ``backup`` (a file), ``history`` (a
    backend's own words), or that none exists."""
    hint = f"The previous state is kept in {backup}" if backup else history or "No backup exists"
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as error:
        raise StateError(
            f"state file {path} is not UTF-8 text (byte {error.start}); it was not changed. {hint}."
        ) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise StateError(
            f"state file {path} is not valid JSON (line {error.lineno}, column {error.colno});"
            f" it was not changed. {hint}."
        ) from None
    except RecursionError:
        raise StateError(
            f"state file {path} is not valid JSON (nested too deeply); it was not changed. {hint}."
        ) from None
    if not isinstance(raw, dict):
        raise StateError(f"state file {path} is not a JSON object; it was not changed. {hint}.")
    lone = _lone_surrogate(text, raw)
    if lone:
        raise StateError(
            f"state file {path} holds an escaped lone surrogate ({lone}), which no UTF-8 text can"
            f" hold; it was not changed. {hint}."
        )
    version = raw.get("format")
    if isinstance(version, int) and version > FORMAT:
        raise StateError(
            f"state file {path} has format {version}, newer than this agenttasks reads ({FORMAT});"
            f" upgrade agenttasks. The file was not changed. {hint}."
        )
    if version != FORMAT:
        raise StateError(f"state file {path} has no known format; it was not changed. {hint}.")
    try:
        return State.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise StateError(
            f"state file {path} is damaged at {where}: {first['msg']}; it was not changed. {hint}."
        ) from None


def encode(state: State) -> str:
    """The state as written: fields in declaration order, keys of each map sorted, two-space
    indent, trailing newline. Encoded by pydantic's Rust serializer: ``json.dumps`` with an indent
    falls back to pure Python, and an apply saves twice per create."""
    ordered = state.model_copy(
        update={
            "tasks": dict(sorted(state.tasks.items())),
            "intents": dict(sorted(state.intents.items())),
            "tombstones": dict(sorted(state.tombstones.items())),
        }
    )
    unset = {"fence"} if state.fence is None else set()
    if not state.recent_creates:
        unset.add("recent_creates")
    return to_json(ordered, indent=2, exclude=unset or None).decode() + "\n"


class Encoder:
    """``encode`` that keeps each record's JSON between calls, by the record's identity.

    Kept for a benchmark target: ``bench/apply.py``, apply within 1.5x of a bare loop of the same
    POSTs (1.47x without this cache, 1.37x with it, docs/benchmarks.md). Drop it if that target
    holds without it.

    An apply saves twice per create, and each save changes one record of hundreds: the rest are
    the same objects. Re-encoding them all made a save's cost grow with the state (0.76 ms of a
    2 ms save at 300 records). The output is byte for byte ``encode``'s: a record's own encoding,
    indented to its depth, spliced into the encoding of the state without its records. JSON
    strings hold no raw newline or quote, so re-indenting by lines and finding the empty
    ``"tasks": {}`` are exact.
    """

    def __init__(self) -> None:
        self._records: dict[str, tuple[Record, str]] = {}

    def __call__(self, state: State) -> str:
        if not state.tasks:
            self._records = {}
            return encode(state)
        kept: dict[str, tuple[Record, str]] = {}
        for key in sorted(state.tasks):
            record = state.tasks[key]
            cached = self._records.get(key)
            if cached is None or cached[0] is not record:
                text = to_json(record, indent=2).decode().replace("\n", "\n    ")
                cached = (record, f"    {to_json(key).decode()}: {text}")
            kept[key] = cached
        self._records = kept
        records = ",\n".join(text for _, text in kept.values())
        envelope = encode(state.model_copy(update={"tasks": {}}))
        return envelope.replace('"tasks": {}', '"tasks": {\n' + records + "\n  }", 1)
