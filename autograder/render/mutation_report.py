"""``autograder mutants``' report as Markdown and as one offline HTML page (the class report's style).

For the instructor (English only): the kill rate of the hidden and the public tests per exercise,
each survivor and leak as a one-line diff with an input that shows the difference, and the mutants
judged likely equivalent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined

if TYPE_CHECKING:
    from autograder.audit.mutation import ExerciseKills, MutantOutcome, MutationReport


def rate(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


# The outcomes (autograder.audit.mutation.Outcome, a StrEnum) by their values: render sits below audit.
KILLED, LEAK, SURVIVED, EQUIVALENT = "killed", "killed elsewhere only", "survived", "likely equivalent"


def _counts(e: ExerciseKills, which: str) -> tuple[int, int, int]:
    c = e.hidden if which == "hidden" else e.public
    return c[KILLED], c[LEAK], c[SURVIVED]


def summary_lines(r: MutationReport) -> list[str]:
    """What the command prints: the overall kill rates and one line per exercise."""
    t = r.totals()
    hidden, public = t.rate("hidden"), t.rate("public")
    share = None if not hidden or public is None else public / hidden
    hk, hl, hs = _counts(t, "hidden")
    pk, pl, ps = _counts(t, "public")
    took = ", ".join(f"{what} {s:.0f} s" for what, s in r.phases)
    lines = [f"{r.assignment}: {t.mutants} mutants of the graded regions ({r.library}), "
             f"{t.equivalent} likely equivalent, {r.probes} probe calls, {r.seconds:.0f} s"
             + (f" ({took})" if took else ""),
             f"hidden tests kill {hk}/{t.relevant} non-equivalent mutants in their own exercise: "
             f"{rate(hidden)} (leaks {hl}, survivors {hs})",
             f"public tests kill {pk}/{t.relevant}: {rate(public)} (leaks {pl}, survivors {ps}); "
             f"the self-check has {rate(share)} of the hidden tests' strength"]
    for e in r.exercises:
        k, leak, surv = _counts(e, "hidden")
        lines.append(f"  {e.exercise:<26} {e.mutants:4d} mutants  {e.equivalent:3d} equivalent  hidden "
                     f"{rate(e.rate('hidden')):>6}  public {rate(e.rate('public')):>6}")
    return lines


def _survivor_line(o: MutantOutcome, which: str) -> str:
    lost = o.hidden_lost if which == "hidden" else o.public_failed
    where = f"; loses points in {', '.join(lost)} instead" if lost else ""
    return f"{o.mutant.id} ({o.mutant.exercise}) {o.mutant.diff}{where} — differs on {o.difference}"


def mutation_markdown(r: MutationReport) -> str:
    t = r.totals()
    out = [f"# Mutation analysis of {r.assignment}'s tests", ""]
    out += [f"- {line.strip()}" for line in summary_lines(r)[:3]]
    out += ["", "A mutant is *killed* when it loses points in its own exercise, *killed elsewhere only*",
            "(a leak) when it loses points only in others, *likely equivalent* when it behaves as the",
            "solution on every probe. Kill rate = killed / (mutants − likely equivalent).", "",
            "| exercise | mutants | likely equivalent | hidden killed | hidden leaks | hidden survived | "
            "hidden kill rate | public killed | public leaks | public survived | public kill rate |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for e in (*r.exercises, t):
        hk, hl, hs = _counts(e, "hidden")
        pk, pl, ps = _counts(e, "public")
        name = "**all**" if e is t else f"`{e.exercise}`"
        out.append(f"| {name} | {e.mutants} | {e.equivalent} | {hk} | {hl} | {hs} | "
                   f"{rate(e.rate('hidden'))} | {pk} | {pl} | {ps} | {rate(e.rate('public'))} |")
    for which, title in (("hidden", "Survivors and leaks of the hidden tests"),
                         ("public", "Survivors and leaks of the public tests")):
        rows = r.survivors(which)
        out += ["", f"## {title} ({len(rows)})", ""]
        out += [f"- {_survivor_line(o, which)}" for o in rows] or ["None."]
    eq = [o for o in r.outcomes if o.hidden == EQUIVALENT]
    out += ["", f"## Likely equivalent ({len(eq)})", ""]
    out += [f"- {o.mutant.id} ({o.mutant.exercise}) {o.mutant.diff}" for o in eq] or ["None."]
    return "\n".join(out) + "\n"


def mutation_html(r: MutationReport) -> str:
    env = Environment(loader=PackageLoader("autograder.render", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    t = r.totals()
    return env.get_template("mutants.html.j2").render(
        r=r, totals=t, summary=summary_lines(r)[:3], rate=rate, counts=_counts,
        survivors={w: r.survivors(w) for w in ("hidden", "public")},
        equivalent=[o for o in r.outcomes if o.hidden == EQUIVALENT])


def mutation_json(r: MutationReport) -> str:
    """Every mutant's outcome, machine-readable (for tests and scripts), and the kill rates."""
    import json

    def kills(e: ExerciseKills) -> dict:
        return {"exercise": e.exercise, "mutants": e.mutants, "likely_equivalent": e.equivalent,
                "hidden": {str(k): v for k, v in e.hidden.items()},
                "public": {str(k): v for k, v in e.public.items()},
                "hidden_kill_rate": e.rate("hidden"), "public_kill_rate": e.rate("public")}

    doc = {"assignment": r.assignment, "library": r.library, "probes": r.probes,
           "seconds": round(r.seconds, 1), "phases": {what: round(s, 1) for what, s in r.phases},
           "totals": kills(r.totals()),
           "exercises": [kills(e) for e in r.exercises],
           "mutants": [{"id": o.mutant.id, "exercise": o.mutant.exercise, "file": o.mutant.file,
                        "line": o.mutant.line, "before": o.mutant.before, "after": o.mutant.after,
                        "hidden": str(o.hidden), "public": str(o.public), "hidden_lost": list(o.hidden_lost),
                        "public_failed": list(o.public_failed),
                        "hidden_failed_tests": list(o.hidden_failed_tests),
                        "public_failed_tests": list(o.public_failed_tests), "difference": o.difference}
                       for o in r.outcomes]}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
