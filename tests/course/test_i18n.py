"""Feedback in Russian and English (autograder.course.i18n): complete catalogues, and Russian end to end.

Three catalogues: the engine's (autograder/locale), the public one (assignments/hw07/locale: public
tests and title, shipped to students) and the hidden one (reference/hw07/locale: hidden tests' texts,
never shipped). Every text the sources mark must have a Russian translation with the same
placeholders, and the committed .mo files must be compiled from the current .po files.
"""

from __future__ import annotations

import ast
import gettext
import json
import re
import shutil
import string
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment
from tiny_course import REPO

from autograder.cli import main
from autograder.course import i18n
from autograder.devtools.i18n_extract import texts_in

ENGINE = REPO / "autograder"
PUBLIC = REPO / "assignments" / "hw07"
HIDDEN = REPO / "reference" / "hw07"
SUBMISSIONS = REPO / "tests" / "submissions"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def engine_texts() -> dict[str, list[str]]:
    found = texts_in(sorted(ENGINE.rglob("*.py")))
    env = Environment(extensions=["jinja2.ext.i18n"])
    for template in sorted(ENGINE.rglob("templates/*.j2")):  # the report's and the portal pages'
        for line, _func, text in env.extract_translations(template.read_text(encoding="utf-8")):
            # _("...%(x)s", x=...) comes as (text, None): the text is the first (a plural's singular)
            found.setdefault(text[0] if isinstance(text, tuple) else text, []).append(f"{template}:{line}")
    return found


CATALOGUES = {  # name -> (the .po, what the sources mark for it)
    "engine": (ENGINE / "locale" / "ru" / "LC_MESSAGES" / "autograder.po", engine_texts),
    "public": (PUBLIC / "locale" / "ru" / "LC_MESSAGES" / "assignment.po",
               lambda: texts_in(sorted((PUBLIC / "tests").glob("*.py")) + [PUBLIC / "assignment.toml"])),
    "hidden": (HIDDEN / "locale" / "ru" / "LC_MESSAGES" / "assignment.po",
               lambda: texts_in(sorted((HIDDEN / "tests").glob("*.py")))),
}


def po(name: str):
    with open(CATALOGUES[name][0], "rb") as f:
        return read_po(f)


@pytest.mark.parametrize("name", CATALOGUES)
def test_every_marked_text_has_a_russian_translation(name: str) -> None:
    """Every _("...")/N_("...") text, test title (docstring) and template text is translated, not fuzzy."""
    catalogue = po(name)
    texts = CATALOGUES[name][1]()
    assert len(texts) > 50
    missing = []
    for text, where in texts.items():
        m = catalogue.get(text)
        forms = () if m is None else (m.string if isinstance(m.string, tuple) else (m.string,))
        if m is None or m.fuzzy or not forms or not all(s.strip() for s in forms):
            missing.append(f"{where[0]}: {text!r}")
    assert not missing, f"{len(missing)} text(s) without a Russian translation (run `make translations`, " \
                        f"then translate):\n" + "\n".join(missing)


def fields(text: str) -> list[str]:
    """The placeholders of a text: str.format fields with conversion and spec, %(name)s and %%."""
    out = sorted(f"{{{n}{'!' + c if c else ''}{':' + s if s else ''}}}"
                 for _lit, n, s, c in string.Formatter().parse(text) if n is not None)
    return out + sorted(re.findall(r"%\([a-z_]+\)[sd]|%%", text))


@pytest.mark.parametrize("name", CATALOGUES)
def test_translations_keep_every_placeholder(name: str) -> None:
    bad = []
    for m in po(name):
        if not m.id or not m.string:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        for s in (m.string if isinstance(m.string, tuple) else (m.string,)):
            want = fields(ids[-1] if isinstance(m.id, tuple) else ids[0])
            if isinstance(m.id, tuple):  # a plural: every form has the plural's placeholders
                want = fields(ids[1])
            if fields(s) != want:
                bad.append(f"{ids[0]!r}: {fields(s)} != {want}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", CATALOGUES)
def test_compiled_catalogue_is_current(name: str) -> None:
    """The committed .mo holds exactly the .po's translations (`make translations` compiles it)."""
    path = CATALOGUES[name][0]
    want = {}
    for m in po(name):
        if not m.id or m.fuzzy or not m.string:
            continue
        if isinstance(m.id, tuple):
            want.update({(m.id[0], i): s for i, s in enumerate(m.string)})
        else:
            want[m.id] = m.string
    with open(path.with_suffix(".mo"), "rb") as f:
        got = {k: v for k, v in gettext.GNUTranslations(f)._catalog.items() if k != ""}
    assert got == want, "stale .mo: run `make translations`"


def test_tests_mark_their_student_facing_texts() -> None:
    """In the public and hidden tests, no English-only text reaches a student: every f-string with words
    is gone (texts with values are _("... {x} ...").format(x=...)), and literal messages, inputs and
    mistake names given to fail(), what=, on= and mistakes= are wrapped in _() or N_()."""
    bad = []
    for path in sorted((PUBLIC / "tests").glob("*.py")) + sorted((HIDDEN / "tests").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and " " in "".join(
                    v.value for v in node.values if isinstance(v, ast.Constant)):
                bad.append(f"{path.name}:{node.lineno}: an f-string with words")
            if not isinstance(node, ast.Call):
                continue
            texts = []
            if isinstance(node.func, ast.Name) and node.func.id == "fail":
                texts += node.args[:2]
            for kw in node.keywords:
                if kw.arg in ("what", "on"):
                    texts.append(kw.value)
                if kw.arg == "mistakes" and isinstance(kw.value, ast.Dict):
                    texts += kw.value.keys
            bad += [f"{path.name}:{t.lineno}: {t.value!r} is not marked for translation" for t in texts
                    if isinstance(t, ast.Constant) and isinstance(t.value, str) and " " in t.value]
    assert not bad, "\n".join(bad)


def test_hidden_texts_stay_out_of_what_students_get() -> None:
    """The hidden tests' texts live in reference/: the engine's and the public catalogue hold none that only
    the hidden tests use (the public and the engine's may share a few words, such as "the loss")."""
    hidden = set(CATALOGUES["hidden"][1]())
    shipped = set(CATALOGUES["engine"][1]()) | set(CATALOGUES["public"][1]())
    for name in ("engine", "public"):
        ids = {m.id for m in po(name) if m.id and not isinstance(m.id, tuple)}
        assert not (ids & hidden) - shipped, name


def test_language_choice_and_settings(tmp_path: Path) -> None:
    assert i18n.current() == "en" and i18n._("This test failed.") == "This test failed."
    with i18n.language("ru", [PUBLIC / "locale", HIDDEN / "locale"]):
        assert i18n.current() == "ru"
        assert i18n._("This test failed.") == "Этот тест не пройден."
        assert i18n._("the loss") == "значение функции потерь"  # an assignment catalogue
        assert i18n._("not a message") == "not a message"
        assert [i18n.ngettext("{n} day", "{n} days", n).format(n=n) for n in (1, 3, 5, 21)] == [
            "1 день", "3 дня", "5 дней", "21 день"]
    assert i18n.current() == "en" and i18n._("This test failed.") == "This test failed."
    with pytest.raises(ValueError, match="unknown language 'de'"):
        i18n.check_lang("de")
    from autograder.course.assignment import load_assignment
    from autograder.course.errors import AssignmentError

    assert load_assignment(PUBLIC).lang == "en"
    folder = shutil.copytree(PUBLIC, tmp_path / "hw07", ignore=shutil.ignore_patterns("__pycache__"))
    toml = folder / "assignment.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('\nlang = "en"', '\nlang = "xx"'), encoding="utf-8")
    with pytest.raises(AssignmentError, match="lang: unknown language 'xx'"):
        load_assignment(folder)


def test_language_is_per_context_not_per_process() -> None:
    """The active language is a ContextVar: a new thread starts in English, a copied context carries the
    caller's language, and the self-check's prestarted first worker runs in the check's language."""
    import contextvars
    import threading

    from autograder.grading.session import _Prestarted

    seen: dict[str, str] = {}
    with i18n.language("ru"):
        plain = threading.Thread(target=lambda: seen.update(plain=i18n._("This test failed.")))
        copied = threading.Thread(target=contextvars.copy_context().run,
                                  args=(lambda: seen.update(copied=i18n._("This test failed.")),))
        for t in (plain, copied):
            t.start()
            t.join()
        first = _Prestarted(lambda: i18n.current())
        assert first.launch() == "ru"
        first.discard()
    assert seen == {"plain": "This test failed.", "copied": "Этот тест не пройден."}
    assert i18n.current() == "en"


def test_grade_in_russian(tmp_path: Path) -> None:
    """`autograder grade --lang ru`: feedback.md, results.json and report.html in Russian, numbers intact."""
    subs = tmp_path / "subs"
    for case in ("sigmoid_naive", "missing_file"):
        shutil.copytree(SUBMISSIONS / case, subs / case, ignore=shutil.ignore_patterns("expected.toml"))
    out = tmp_path / "out"
    assert main(["grade", str(subs), "--assignment", "hw07", "--out", str(out), "--course", str(REPO),
                 "--jobs", "2", "--no-progress", "--lang", "ru"]) == 0

    md = (out / "sigmoid_naive" / "feedback.md").read_text(encoding="utf-8")
    assert md.startswith("# Нейронные сети: начало: обратная связь для sigmoid_naive\n"), md[:200]
    assert "**Баллы: 98 / 100**" in md and "| sigmoid (обязательное) | 9 / 11 |" in md
    # the test's title (its docstring), the message with its numbers, and the mistake by its Russian name
    assert ("- **sigmoid: ни одного предупреждения вычислений с плавающей точкой при |x| до 1e4** (−2): "
            "sigmoid выдаёт предупреждение при x = -1000: RuntimeWarning: overflow encountered in exp. "
            "Вероятная ошибка: наивная формула 1/(1 + exp(−x)): exp(−x) переполняется") in md, md
    assert "naive formula" not in md and "Likely mistake" not in md
    doc = json.loads((out / "sigmoid_naive" / "results.json").read_text(encoding="utf-8"))
    assert doc["extra_data"]["lang"] == "ru" and doc["score"] == 98
    mistakes = [m for m in doc["extra_data"]["mistakes"] if m]
    assert mistakes and all(m.startswith("наивная формула") for m in mistakes)

    missing = (out / "missing_file" / "feedback.md").read_text(encoding="utf-8")
    assert "## О вашем решении" in missing
    assert "- optim.py не сдан: sgd_step не удалось проверить.\n" in missing  # a note of the TA's process
    assert "sgd_step не удалось проверить: optim.py не сдан." in missing  # a worker's message
    english = re.sub(r"`[^`]*`|\b[a-z_]+\.py\b|\b[a-z_0-9]+\(|\b[A-Za-z]+Error\b", "", missing)
    assert not re.search(r"\b(?:the|was|could|not|submitted)\b", english), missing

    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in html and "Нейронные сети: начало: отчёт по группе" in html
    assert "Самые частые ошибки" in html and "наивная формула" in html


def test_check_in_russian(tmp_path: Path, capsys) -> None:
    """`autograder check --lang ru` on the stubs, and `lang = "ru"` in assignment.toml with --lang en."""
    folder = shutil.copytree(PUBLIC, tmp_path / "hw07", ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["check", str(folder), "--lang", "ru"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"(?m)^ОШИБКА +sigmoid +пройдено открытых тестов: 0/\d+$", out), out
    assert "sigmoid ещё не реализована (она выбросила NotImplementedError в activations.py, строка " in out
    assert "скрытые тесты не запускались" in out and "hidden tests" not in out
    assert "Форма и dtype: число Python" in out  # a public test's title
    assert out.count("\n") > 20 and CYRILLIC.search(out)

    toml = folder / "assignment.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('\nlang = "en"', '\nlang = "ru"'), encoding="utf-8")
    assert tomllib.loads(toml.read_text(encoding="utf-8"))["lang"] == "ru"
    main(["check", str(folder)])
    assert "Запущены только открытые тесты" in capsys.readouterr().out
    main(["check", str(folder), "--lang", "en"])
    out = capsys.readouterr().out
    assert "Only the public tests were run" in out and not CYRILLIC.search(out)


def test_notebook_self_check_in_russian() -> None:
    """The notebook's self-check cells report in the assignment's language, or the one asked for."""
    from autograder.selfcheck.notebook_cells import report

    out = report("optim.py", {}, PUBLIC, lang="ru")
    assert "sgd_step не удалось проверить: в этом ноутбуке ещё нет функции sgd_step (сначала выполните её " \
           "ячейку)." in out, out
    assert "Ваши функции выполнялись в ядре этого ноутбука" in out
    assert "this notebook has no function sgd_step yet" in report("optim.py", {}, PUBLIC)
