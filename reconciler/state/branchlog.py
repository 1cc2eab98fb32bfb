"""The words of the commits a ``github:`` state makes (``state/branch.py``): the branch's history
is the audit log, one commit per save, each naming what it changed and the run that made it."""

from __future__ import annotations

from reconciler.state.format import State
from reconciler.state.holder import RemoteHolder


def run_note(holder: RemoteHolder) -> str:
    return f" (run {holder.run_url})" if holder.run_url else ""


def summary(old: State | None, new: State) -> str:
    """What a save changes, by key: ``+k`` recorded, ``-k`` dropped, ``~k`` changed, ``?k`` an
    unconfirmed create, ``!k`` forgotten; the branch's history is the audit log."""
    before = old or State()
    marks = [f"+{k}" for k in sorted(new.tasks.keys() - before.tasks.keys())]
    marks += [f"-{k}" for k in sorted(before.tasks.keys() - new.tasks.keys())]
    marks += [
        f"~{k}"
        for k in sorted(new.tasks.keys() & before.tasks.keys())
        if new.tasks[k] != before.tasks[k]
    ]
    marks += [f"?{k}" for k in sorted(new.intents.keys() - before.intents.keys())]
    marks += [f"!{k}" for k in sorted(new.tombstones.keys() - before.tombstones.keys())]
    shown = " ".join(marks[:10]) + (f" and {len(marks) - 10} more" if len(marks) > 10 else "")
    return shown or "save"
