"""Tasks files → ``Desired``: read, validate, resolve prompt files, check across files.

Every problem is collected and raised at once as a ``SpecError``. A file whose YAML cannot be read
stops there; otherwise its schema errors, its tasks' prompt-file errors and the cross-file checks
are all reported together.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import Position, Problem, SpecError
from reconciler.models import Desired, DesiredTask, OnChange, RetryPolicy, RetryState
from reconciler.spec import safeyaml
from reconciler.spec.cross import cross_file_problems
from reconciler.spec.digest import request_body, spec_digest
from reconciler.spec.problems import dotted, position_of
from reconciler.spec.problems import problems as schema_problems
from reconciler.spec.safeyaml import SpecProblem
from reconciler.spec.schema import Defaults, TaskEntry, TasksFile
from reconciler.spec.secretscan import find_secret, shown
from reconciler.spec.tree import Map

# Every task sends, and digests, its own copy of its prompt: prompt files named by many tasks of one
# tasks file could add up to 2 MiB a task, and 15,000 tasks naming one 2 MiB file took minutes.
MAX_PROMPT_FILE_CHARS = 16 * 1024 * 1024


@dataclass
class _PromptFiles:
    """The prompt files one tasks file has read (each once), and the characters its tasks took."""

    read: dict[Path, tuple[str | None, list[Problem]]] = dataclasses.field(default_factory=dict)
    # Each relative path named, located once: thousands of tasks may name one prompt file.
    located: dict[str, Path | str] = dataclasses.field(default_factory=dict)
    total: int = 0


@dataclass(frozen=True)
class _File:
    name: str
    path: Path
    text: str
    root: Any
    prompt_files: _PromptFiles = dataclasses.field(default_factory=_PromptFiles, compare=False)

    @cached_property
    def lines(self) -> list[str]:
        # Once per file: a hostile file can have a secret in each of 50,000 block prompts.
        return self.text.splitlines()


TASKS_SUFFIXES = (".yaml", ".yml")


def _entry_problem(entry: Path) -> str | None:
    """Why a directory entry named like a tasks file cannot be read; None when it can."""
    try:
        info = entry.stat()
    except FileNotFoundError:
        if entry.is_symlink():
            return f"broken symbolic link: {os.readlink(entry)} does not exist"
        return "no such file"  # removed while the directory was read
    except OSError as error:
        return f"cannot read: {error.strerror or type(error).__name__}"
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not a tasks file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    return None


def _directory(path: Path) -> tuple[list[Path], list[Problem]]:
    """A directory's *.yaml and *.yml files (any letter case), sorted by name; every entry so
    named that cannot be read (a broken link, a loop, a directory, no permission) is a problem."""
    try:
        entries = sorted(
            (p for p in path.iterdir() if p.suffix.lower() in TASKS_SUFFIXES),
            key=lambda p: p.name,
        )
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return [], [Problem(Position(str(path), 0, 0), f"cannot read the directory: {reason}")]
    files: list[Path] = []
    problems: list[Problem] = []
    for entry in entries:
        problem = _entry_problem(entry)
        if problem is None:
            files.append(entry)
        else:
            problems.append(Problem(Position(str(entry), 0, 0), problem))
    if not entries:
        problems.append(Problem(Position(str(path), 0, 0), "no *.yaml or *.yml files here"))
    return files, problems


def expand(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """Files to read: each path as given, or a directory's *.yaml and *.yml, sorted."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found, found_problems = _directory(path)
            files.extend(found)
            problems.extend(found_problems)
        elif not path.exists():
            problems.append(Problem(Position(str(path), 0, 0), "no such file"))
        else:
            files.append(path)
    unique = list({os.path.realpath(p): p for p in reversed(files)}.values())[::-1]
    return unique, problems


def read_text(path: Path, name: str) -> str:
    """The file's text: at most 2 MiB, UTF-8, BOM removed."""
    try:
        with path.open("rb") as handle:
            data = handle.read(safeyaml.MAX_BYTES + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SpecProblem(Problem(Position(name, 0, 0), f"cannot read: {reason}")) from None
    if len(data) > safeyaml.MAX_BYTES:
        raise SpecProblem(Problem(Position(name, 0, 0), "file is larger than the 2 MiB limit"))
    return safeyaml.decode(data, name)


def _read_file(path: Path) -> _File:
    name = str(path)
    text = read_text(path, name)
    root = safeyaml.parse(text, name)
    if root is None:
        raise SpecProblem(
            Problem(Position(name, 1, 1), "file is empty; expected 'version: 1' and 'tasks'")
        )
    if not isinstance(root, Map):
        kind = "a list" if isinstance(root, list) else "a single value"
        position = position_of(root, (), name)
        raise SpecProblem(Problem(position, f"top level must be a mapping, not {kind}"))
    return _File(name, path, text, root)


def _validate(file: _File) -> tuple[TasksFile | None, list[Problem], set[str], bool]:
    """The file's model; else its problems, the task keys they refuse, and whether the
    defaults are refused."""
    try:
        return TasksFile.model_validate(file.root), [], set(), False
    except ValidationError as error:
        errors = error.errors()
        # A loc of ("tasks",) alone is the whole mapping (missing, empty, a list): no task to skip.
        failed = {e["loc"][1] for e in errors if e["loc"][:1] == ("tasks",) and len(e["loc"]) > 1}
        defaults = any(e["loc"][:1] == ("defaults",) for e in errors)
        tasks = {key for key in failed if isinstance(key, str)}
        return None, schema_problems(error, file.root, file.name), tasks, defaults


def _entries(
    file: _File, model: TasksFile | None, failed: set[str], defaults_failed: bool
) -> tuple[Defaults | None, dict[str, TaskEntry]]:
    """The file's valid task entries, even when others in it are invalid.

    Defaults are None when they are themselves invalid: tasks are still checked, but a missing
    repository is not reported, since the defaults may be what was meant to give it.
    """
    if model is not None:
        return model.defaults or Defaults(), dict(model.tasks)
    tasks = file.root.get("tasks")
    entries = (
        {
            key: TaskEntry.model_validate(value)
            for key, value in tasks.items()
            # A key that is not a string (`true`, `2024-01-01`) is refused by the schema, under a
            # name of pydantic's (1, a repr): skipped here by its type, not by that name.
            if isinstance(key, str) and key not in failed
        }
        if isinstance(tasks, Map)
        else {}
    )
    if defaults_failed:
        return None, entries
    defaults = file.root.get("defaults")
    return (Defaults.model_validate(defaults) if defaults else Defaults()), entries


def _inline_secret_position(file: _File, key: str, prompt: str, offset: int) -> Position:
    """The secret's place inside a literal block scalar; else the prompt value's place."""
    value = position_of(file.root, ("tasks", key, "prompt"), file.name)
    lines = file.lines
    line_text = lines[value.line - 1] if value.line <= len(lines) else ""
    if not line_text[value.col - 1 :].startswith("|"):
        return value
    before = prompt[:offset]
    line = value.line + 1 + before.count("\n")
    # The block's indentation is its first content line's; later lines may indent further.
    first = lines[value.line] if value.line < len(lines) else ""
    indent = len(first) - len(first.lstrip(" "))
    return Position(file.name, line, indent + offset - (before.rfind("\n") + 1) + 1)


def _locate(base: Path, target: Path) -> Path | str:
    """``target`` resolved, or why it cannot be read: loop, outside, missing, directory."""
    try:
        resolved = target.resolve()
        inside = resolved.is_relative_to(base.resolve())
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a symlink loop
        return "loop"
    if not inside:
        return "outside"
    if not target.exists():
        return "missing"
    if target.is_dir():
        return "directory"
    return resolved


def _prompt_file(file: _File, key: str, relative: str) -> tuple[str | None, list[Problem]]:
    where = position_of(file.root, ("tasks", key, "prompt_file"), file.name)
    field = dotted(("tasks", key, "prompt_file"))
    base = file.path.parent
    target = base / relative
    display = os.path.normpath(os.path.join(os.path.dirname(file.name), relative))
    echoed = os.path.normpath(os.path.join(os.path.dirname(file.name), shown(relative)))
    if os.path.isabs(relative):
        return None, [Problem(where, f"{field}: must be a path relative to the tasks file")]
    seen = file.prompt_files
    if relative not in seen.located:
        seen.located[relative] = _locate(base, target)
    resolved = seen.located[relative]
    if isinstance(resolved, str):
        problem = {
            "loop": f"symbolic link loop: {echoed}",
            "outside": "may not leave the tasks file's directory tree",
            "missing": f"file not found: {echoed}",
            "directory": f"is a directory, not a file: {echoed}",
        }[resolved]
        return None, [Problem(where, f"{field}: {problem}")]
    if resolved not in seen.read:
        seen.read[resolved] = _read_prompt_file(target, display)
    text, problems = seen.read[resolved]
    seen.total += len(text or "")
    if seen.total > MAX_PROMPT_FILE_CHARS:
        message = (
            f"{field}: the prompt files read by this tasks file add up to more than"
            f" {MAX_PROMPT_FILE_CHARS // (1024 * 1024)} MiB (a file read by several tasks counts"
            " for each)"
        )
        return None, [Problem(where, message)]
    return text, problems


def _read_prompt_file(target: Path, display: str) -> tuple[str | None, list[Problem]]:
    try:
        text = read_text(target, display)
    except SpecProblem as problem:
        return None, [problem.problem]
    secret = find_secret(text)
    if secret:
        return None, [
            Problem(safeyaml.position_of_offset(text, secret.offset, display), secret.message())
        ]
    return text, []


def _prompt(file: _File, key: str, entry: TaskEntry) -> tuple[str | None, list[Problem]]:
    if entry.prompt_file is not None:
        text, problems = _prompt_file(file, key, entry.prompt_file)
        field = ("tasks", key, "prompt_file")
    else:
        text, problems, field = entry.prompt, [], ("tasks", key, "prompt")
        secret = find_secret(text or "")
        if secret and text is not None:
            where = _inline_secret_position(file, key, text, secret.offset)
            return None, [Problem(where, f"{dotted(field)}: {secret.message()}")]
    if text is not None and (not text or text.isspace()):  # not strip(): no copy of a 2 MiB prompt
        where = position_of(file.root, field, file.name)
        return None, [Problem(where, f"{dotted(field)}: prompt is empty")]
    return text, problems


def _resolve(
    file: _File, key: str, entry: TaskEntry, given: Defaults | None
) -> tuple[DesiredTask | None, list[Problem]]:
    where = position_of(file.root, ("tasks", key, "[key]"), file.name)
    defaults = given or Defaults()
    repo = entry.repo or defaults.repo
    prompt, problems = _prompt(file, key, entry)
    if repo is None and given is not None:
        field = dotted(("tasks", key))
        problems.append(Problem(where, f"{field}: missing 'repo' (set it here or in defaults)"))
    if repo is None or prompt is None:
        return None, problems

    def pick(name: str) -> Any:
        value = getattr(entry, name)
        return value if value is not None else getattr(defaults, name)

    body = request_body(
        prompt,
        base_ref=pick("base_ref"),
        head_ref=pick("head_ref"),
        model=pick("model"),
        custom_agent=pick("custom_agent"),
        create_pull_request=pick("create_pull_request"),
    )
    retry = pick("retry")
    policy = (
        RetryPolicy(frozenset(RetryState(s) for s in retry.on), retry.max_attempts)
        if retry
        else None
    )
    on_change = OnChange(pick("on_change") or "replace")
    task = DesiredTask(key, repo, body, spec_digest(repo, body), on_change, policy, where)
    return task, []


@dataclass(frozen=True)
class _Loaded:
    file: _File
    model: TasksFile | None
    tasks: list[DesiredTask]


def _load_one(path: Path) -> tuple[_Loaded | None, list[Problem]]:
    try:
        file = _read_file(path)
    except SpecProblem as problem:
        return None, [problem.problem]
    model, problems, failed, defaults_failed = _validate(file)
    defaults, entries = _entries(file, model, failed, defaults_failed)
    tasks: list[DesiredTask] = []
    for key, entry in entries.items():
        task, task_problems = _resolve(file, key, entry, defaults)
        problems.extend(task_problems)
        if task is not None:
            tasks.append(task)
    return _Loaded(file, model, tasks), problems


def load(paths: Sequence[Path]) -> Desired:
    """Read, validate and merge tasks files; raise SpecError listing every problem."""
    files, problems = expand(paths)
    loaded: list[_Loaded] = []
    for path in files:
        one, one_problems = _load_one(path)
        problems.extend(one_problems)
        if one is not None:
            loaded.append(one)
    settings = [
        (one.file.name, position_of(one.file.root, ("settings", "[key]"), one.file.name))
        for one in loaded
        if "settings" in one.file.root
    ]
    all_tasks = [task for one in loaded for task in one.tasks]
    problems.extend(cross_file_problems(all_tasks, [pos for _, pos in settings]))
    if problems:
        raise SpecError(problems)
    max_creates = next(
        (one.model.settings.max_creates for one in loaded if one.model and one.model.settings),
        None,
    )
    return Desired(
        tasks={task.key: task for task in all_tasks},
        files=tuple(one.file.name for one in loaded),
        max_creates=max_creates,
        settings_file=settings[0][0] if settings else None,
    )
