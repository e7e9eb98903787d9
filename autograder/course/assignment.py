"""An assignment as the grader sees it: files, exercises, where its tests and reference live."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.contracts import ContractError, check_spec
from autograder.course.errors import AssignmentError
from autograder.course.i18n import DEFAULT, check_lang
from autograder.course.late import LatePolicy, parse_policy


@dataclass(frozen=True)
class Exercise:
    id: str
    function: str
    core: bool = False
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    folder: Path  # assignments/<name>/: stubs, statement, public tests, assignment.toml
    files: dict[str, tuple[str, ...]]  # student file -> functions it defines
    exercises: tuple[Exercise, ...]  # in grade-column order
    call_timeout: float = 2.0
    time_budget: float = 45.0  # wall-clock seconds for all calls of one submission together
    stand_ins: dict[str, dict[str, object]] = field(default_factory=dict)  # function -> argument contracts
    late: LatePolicy | None = None  # the ``[late]`` table: due date and penalty rule
    lang: str = "en"  # the language of feedback and self-check (``--lang`` overrides it)

    @property
    def public_tests(self) -> Path:
        return self.folder / "tests"

    @property
    def locale(self) -> Path:
        """The public message catalogue: the public tests' texts and the title (autograder.course.i18n)."""
        return self.folder / "locale"

    def exercise(self, exercise_id: str) -> Exercise:
        for ex in self.exercises:
            if ex.id == exercise_id:
                return ex
        raise KeyError(exercise_id)

    def uses_of(self, function: str) -> tuple[str, ...]:
        """Student functions replaced by trusted ones while ``function`` is graded."""
        for ex in self.exercises:
            if ex.function == function:
                return ex.uses
        return ()

    def files_map(self) -> dict[str, list[str]]:
        return {f: list(fns) for f, fns in self.files.items()}


@dataclass(frozen=True)
class Secrets:
    """The instructor-only side of an assignment: reference implementation and hidden tests."""

    reference: Path  # reference/<name>/<name>_reference.py
    hidden_tests: Path  # reference/<name>/tests/

    @property
    def locale(self) -> Path:
        """The hidden tests' message catalogue (autograder.course.i18n): never shipped to students."""
        return self.hidden_tests.parent / "locale"


def load_assignment(folder: Path) -> Assignment:
    """Read ``folder/assignment.toml``."""
    folder = Path(folder)
    toml = folder / "assignment.toml"
    if not toml.is_file():
        raise AssignmentError(f"{folder}: no assignment.toml (is this an assignment folder?)")
    try:
        data = tomllib.loads(toml.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AssignmentError(f"{toml}: {exc}") from None
    try:
        files = {f: tuple(fns) for f, fns in data["files"].items()}
        known = {fn for fns in files.values() for fn in fns}
        exercises = tuple(
            Exercise(e["id"], e["function"], bool(e.get("core", False)), tuple(e.get("uses", ())))
            for e in data["exercises"]
        )
        for ex in exercises:
            for fn in (ex.function, *ex.uses):
                if fn not in known:
                    raise AssignmentError(f"{toml}: exercise {ex.id} names unknown function {fn}")
        stand_ins = _stand_ins(data.get("stand_ins", {}), exercises, toml)
        call_timeout = float(data.get("call_timeout", 2.0))
        time_budget = float(data.get("time_budget", 45.0))
        if not 0 < call_timeout <= time_budget:
            raise AssignmentError(f"{toml}: need 0 < call_timeout <= time_budget (seconds)")
        return Assignment(
            name=data["name"],
            title=data.get("title", data["name"]),
            folder=folder.resolve(),
            files=files,
            exercises=exercises,
            call_timeout=call_timeout,
            time_budget=time_budget,
            stand_ins=stand_ins,
            late=parse_policy(data["late"], f"{toml} [late]") if "late" in data else None,
            lang=_lang(data.get("lang", DEFAULT), toml),
        )
    except KeyError as exc:
        raise AssignmentError(f"{toml}: missing key {exc}") from None
    except ValueError as exc:  # the [late] table, lang
        raise AssignmentError(str(exc)) from None


def _stand_ins(table: object, exercises: tuple[Exercise, ...], toml: Path) -> dict[str, dict[str, object]]:
    """The ``[stand_ins]`` table: a contract for every function an exercise ``uses``
    (``autograder.sandbox.standin``: the reference answers only calls that fit it)."""
    if not isinstance(table, dict):
        raise AssignmentError(f"{toml}: [stand_ins] must be a table")
    out = {}
    for fn, contract in table.items():
        if not isinstance(contract, dict):
            raise AssignmentError(f"{toml}: stand_ins.{fn} must be a table of argument contracts")
        try:
            for arg, spec in contract.items():
                check_spec(spec, f"{toml}: stand_ins.{fn}.{arg}")
        except ContractError as exc:
            raise AssignmentError(str(exc)) from None
        out[fn] = dict(contract)
    for ex in exercises:
        for fn in ex.uses:
            if fn != ex.function and fn not in out:
                raise AssignmentError(f"{toml}: exercise {ex.id} uses {fn}, which has no contract in "
                                      f"[stand_ins] (the shapes its trusted stand-in accepts)")
    return out


def _lang(value: object, toml: Path) -> str:
    try:
        return check_lang(str(value))
    except ValueError as exc:
        raise ValueError(f"{toml}: lang: {exc}") from None


def find_assignment(course_root: Path, name: str) -> tuple[Assignment, Secrets]:
    """The assignment ``name`` of the course at ``course_root``, with its secret side."""
    course_root = Path(course_root)
    folder = course_root / "assignments" / name
    if not folder.is_dir():
        raise AssignmentError(
            f"unknown assignment {name!r}: no folder {folder} (run from the course root or pass --course)"
        )
    secret_dir = course_root / "reference" / name
    secrets = Secrets(secret_dir / f"{name}_reference.py", secret_dir / "tests")
    for p in (secrets.reference, secrets.hidden_tests):
        if not p.exists():
            raise AssignmentError(f"assignment {name!r}: {p} is missing (reference and hidden tests)")
    return load_assignment(folder), secrets
