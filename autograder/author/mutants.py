"""Mutants of a solution's graded regions, made with mutmut's mutation operators.

mutmut (pinned in the ``author`` extra) is used as a library of operators only: its libcst
``MutationVisitor`` with its ``mutation_operators`` (number and string changes, ``+``↔``-`` and the
other single swaps, ``-=`` → ``=``/``+=``, an argument or a keyword removed, an assignment or an
argument replaced by ``None``, ``True``↔``False`` ...), told to leave every line outside the
solution markers alone. Its runner, its configuration and its trampolines are not used: each
mutant is a complete solution file with one change, graded like a submission.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from autograder.author.markers import without_markers
from autograder.author.splice import Region, graded_regions, solution_dir
from autograder.course.assignment import Assignment

LIBRARY = "mutmut"


@dataclass(frozen=True)
class Mutant:
    id: str  # "m001": in file order, then source order
    file: str  # the student file it changes
    function: str  # the function whose graded region it changes
    exercise: str  # the exercise graded on that function ("" when none is)
    line: int  # line of the change in the solution file (markers included)
    before: str  # the changed line(s) as they were, stripped
    after: str  # and as the mutant has them
    source: str  # the whole mutated file, markers removed: what is submitted

    @property
    def diff(self) -> str:
        """One line: ``activations.py:12 `a` → `b```."""
        return f"{self.file}:{self.line} `{self.before}` → `{self.after}`"


def _operators():
    try:
        from mutmut.mutation.file_mutation import MutationVisitor
        from mutmut.mutation.mutators import mutation_operators
        from mutmut.mutation.pragma_handling import IgnoredCode
    except ImportError as exc:  # the author extra is not installed, or mutmut moved its operators
        raise RuntimeError(f"autograder mutants needs mutmut's operators ({exc}); install the author "
                           "extra: pip install 'autograder[author]'") from None
    return MutationVisitor, mutation_operators, IgnoredCode


def _region_of(regions: list[Region], line: int) -> Region | None:
    return next((r for r in regions if r.first <= line <= r.last), None)


def _changed(old: str, new: str) -> tuple[int, str, str]:
    """(first changed line, the old lines, the new lines) between two versions of a file."""
    a, b = old.splitlines(), new.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            before = " ".join(s.strip() for s in a[i1:i2])
            after = " ".join(s.strip() for s in b[j1:j2])
            return i1 + 1, before, after
    return 0, "", ""


def file_mutants(source: str, filename: str) -> list[tuple[int, str, str, str, Region]]:
    """(line, before, after, mutated source with markers, region) of every mutant of one file."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    MutationVisitor, operators, IgnoredCode = _operators()
    regions = graded_regions(source, filename)
    inside = {n for r in regions for n in range(r.first, r.last + 1)}
    outside = set(range(1, source.count("\n") + 2)) - inside
    visitor = MutationVisitor(operators, IgnoredCode(no_mutate_lines=outside, ignore_node_lines=set(),
                                                     ignore_pattern_lines=set()))
    module = MetadataWrapper(cst.parse_module(source)).visit(visitor)
    out, seen = [], set()
    for m in visitor.mutations:
        mutated = module.deep_replace(m.original_node, m.mutated_node)
        text = mutated.code if isinstance(mutated, cst.Module) else None
        if text is None or text == source or text in seen:
            continue
        seen.add(text)
        line, before, after = _changed(source, text)
        region = _region_of(regions, line)
        if region is None:  # an operator reached outside the markers (it should not)
            continue
        out.append((line, before, after, text, region))
    return out


def generate(course_root: Path, a: Assignment) -> list[Mutant]:
    """Every mutant of the graded regions of ``a``'s solution, in file and source order."""
    folder = solution_dir(course_root, a.name)
    exercise_of = {e.function: e.id for e in a.exercises}
    mutants: list[Mutant] = []
    for filename in a.files:
        path = folder / filename
        if not path.is_file():
            raise FileNotFoundError(f"{path}: the solution file is missing")
        source = path.read_text(encoding="utf-8")
        for line, before, after, text, region in file_mutants(source, filename):
            mutants.append(Mutant(f"m{len(mutants) + 1:03d}", filename, region.function,
                                  exercise_of.get(region.function, ""), line, before, after,
                                  without_markers(text)))
    return mutants
