"""The README and the handbook (docs/) stay true: every relative link leads to a file (and
every #anchor to a heading of it), every ./synthmir and ./run_all.sh command in a fenced
block parses with today's command line, and the headline figures are those of the
committed reports. Fast: no network, no mkdocs, nothing is run. Each checker is also fed a
broken input, to show that it can fail."""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import io
import json
import re
import shlex
import subprocess
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from helpers import cli, docs_site

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
REPORTS = ROOT / "reports" / "offline"

_FENCE = re.compile(r"^(```|~~~)([^\n]*)\n(.*?)^\1[ \t]*$", re.S | re.M)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


# --- links -------------------------------------------------------------------------------------


def _prose(text: str) -> str:
    """The text outside fenced blocks and inline code (where a link is only an example)."""
    return re.sub(r"`[^`\n]*`", "", _FENCE.sub("", text))


def _heading_text(raw: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", raw)   # [text](link) -> text
    return re.sub(r"[`*]", "", text).strip()


def _slug_github(text: str) -> str:
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _slug_mkdocs(text: str) -> str:  # markdown.extensions.toc.slugify, mkdocs' default
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", text).strip().lower())


def anchors(path: Path) -> set[str]:
    """The anchors a page offers: its headings' slugs (GitHub's and mkdocs'), or an HTML file's ids."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".md":
        return set(re.findall(r"\b(?:id|name)=\"([^\"]+)\"", text))
    found: set[str] = set()
    for m in _HEADING.finditer(_FENCE.sub("", text)):
        heading = _heading_text(m.group(2))
        found |= {_slug_github(heading), _slug_mkdocs(heading)}
    return found


def link_problems(page: Path) -> list[str]:
    """Relative links and images of ``page`` that lead nowhere, or to an anchor the target lacks."""
    problems = []
    for m in docs_site.LINK.finditer(_prose(page.read_text(encoding="utf-8"))):
        link = m.group(1) or m.group(2)
        if docs_site.EXTERNAL.match(link):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.is_file():
            problems.append(f"{page.name}: {link}: no such file")
        elif anchor and anchor not in anchors(path):
            problems.append(f"{page.name}: {link}: no heading #{anchor} in {path.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_leads_to_a_file_and_heading(page):
    assert link_problems(page) == []


def test_the_link_checker_catches_a_broken_link_image_and_anchor(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "there.png").write_bytes(b"\x89PNG")
    (tmp_path / "other.md").write_text("# The `first` heading\n\n## Second: part two\n")
    page = tmp_path / "page.md"
    page.write_text("[fine](other.md#the-first-heading) [fine](other.md#second-part-two) ![ok](figures/there.png)\n"
                    "[gone](missing.md) ![gone](figures/none.png) [bad anchor](other.md#third)\n"
                    "[self](#nowhere) [web](https://example.org/x.md) `[code](not-checked.md)`\n"
                    "```bash\n[in a block](not-checked.md)\n```\n")
    problems = link_problems(page)
    assert len(problems) == 4, problems
    assert any("missing.md" in p for p in problems) and any("none.png" in p for p in problems)
    assert any("#third" in p for p in problems) and any("#nowhere" in p for p in problems)


# --- commands ----------------------------------------------------------------------------------


def fenced_commands(text: str) -> list[list[str]]:
    """``./synthmir ...`` and ``./run_all.sh ...`` lines of the fenced blocks, as argv lists
    (trailing comments dropped, continued lines joined)."""
    commands = []
    for block in _FENCE.finditer(text):
        for line in block.group(3).replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith(("./synthmir", "./run_all.sh")):
                commands.append(shlex.split(line, comments=True))
    return commands


def _exact(parser):
    """``parser`` and its subparsers without argparse's abbreviations, so that a flag renamed
    to a longer one (``--out`` -> ``--output``) no longer accepts the old spelling."""
    parser.allow_abbrev = False
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _exact(sub)
    return parser


def _parse(parser, argv):
    """(namespace, None), or (None, the parser's error); --help counts as parsed."""
    parser = _exact(parser)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            return parser.parse_args(argv), None
    except SystemExit as exc:
        return None, (None if exc.code == 0 else err.getvalue().strip().splitlines()[-1])


def _profile_problem(profile: str | None) -> str | None:
    if profile is None or profile.endswith((".yaml", ".yml")) or "/" in profile:
        return None
    if (ROOT / "configs" / f"{profile}.yaml").is_file():
        return None
    return f"no profile {profile} (configs/{profile}.yaml)"


def synthmir_problem(argv: list[str], run_all_text: str | None = None) -> str | None:
    """Why ``./synthmir <argv>`` would not parse today (None when it does), dispatched as
    ``helpers.cli.main`` dispatches."""
    if argv[:1] == ["run"]:
        return run_all_problem(argv[1:], run_all_text)
    if argv[:1] == ["ablation"]:
        from helpers import ablation

        args, err = _parse(ablation.build_parser(), argv[1:])
        if err or args is None:
            return err
        unknown = [arm for arm in args.arms + args.tags + args.figure if arm not in ablation.ARMS]
        return f"unknown arm(s) {unknown}" if unknown else _profile_problem(args.profile)
    if argv[:1] == ["soundfonts"]:
        from helpers.generators.symbolic import soundfonts

        return _parse(soundfonts.build_parser(), argv[1:])[1]
    if "--" in argv:
        argv, extra = argv[:argv.index("--")], argv[argv.index("--") + 1:]
        if extra and argv[:1] != ["lab"]:
            return "arguments after -- are only for lab"
    args, err = _parse(cli.build_parser(), argv)
    return err or (args is not None and _profile_problem(getattr(args, "profile", None))) or None


@lru_cache(maxsize=None)
def run_all_options(text: str) -> tuple[tuple[tuple[str, ...], int, bool], ...]:
    """run_all.sh's options from its own ``case "$1" in`` statement: for each arm, its
    patterns, how many values it takes (its ``shift N`` minus one) and whether it exits."""
    body = text[text.index('case "$1" in'):]
    lines = body.splitlines()[1:]
    indent = len(lines[0]) - len(lines[0].lstrip())
    arm = re.compile(r"^ {%d}([^\s()]+)\)(.*)$" % indent)
    arms, current = [], None
    for line in lines:
        if re.match(r"^\s*esac\b", line) and len(line) - len(line.lstrip()) < indent:
            break
        m = arm.match(line)
        if m:
            current = [tuple(m.group(1).split("|")), [m.group(2)]]
            arms.append(current)
        elif current:
            current[1].append(line)
    out = []
    for patterns, code in arms:
        code = "\n".join(code)
        shifts = [int(n or 1) for n in re.findall(r"\bshift(?:\s+(\d+))?", code)]
        out.append((patterns, max(shifts, default=1) - 1, bool(re.search(r"\bexit 0\b", code))))
    return tuple(out)


@lru_cache(maxsize=None)
def notebook_parameters() -> frozenset[str]:
    """Every name a notebook's ``parameters`` cell sets (what ``-p NAME VALUE`` may name)."""
    names = set()
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                names |= set(re.findall(r"^(\w+)\s*=", "".join(cell["source"]), re.M))
    return frozenset(names)


def run_all_problem(argv: list[str], text: str | None = None) -> str | None:
    """Why ``./run_all.sh <argv>`` would be refused today (None when it would run), from the
    script's own option list, its profiles and the notebooks' parameters."""
    options = run_all_options(text if text is not None else (ROOT / "run_all.sh").read_text(encoding="utf-8"))
    i = 0
    while i < len(argv):
        arg = argv[i]
        found = next(((p, n, ex) for p, n, ex in options if any(fnmatch.fnmatchcase(arg, pat) for pat in p)), None)
        if found is None or found[0] == ("*",):
            return f"unknown option {arg}"
        patterns, n, exits = found
        if exits:
            return None
        values = argv[i + 1:i + 1 + n]
        if len(values) < n:
            return f"{arg} needs {n} value(s)"
        if "--profile" in patterns or arg.startswith("--profile="):
            problem = _profile_problem(values[0] if values else arg.split("=", 1)[1])
            if problem:
                return problem
        if "-p" in patterns and values[0] not in notebook_parameters():
            return f"-p {values[0]}: no notebook has that parameter"
        if "--from" in patterns and not list((ROOT / "notebooks").glob(f"{values[0]}*.ipynb")):
            return f"--from {values[0]}: no such notebook"
        i += 1 + n
    return None


def command_problem(argv: list[str]) -> str | None:
    return synthmir_problem(argv[1:]) if argv[0] == "./synthmir" else run_all_problem(argv[1:])


def test_the_readme_has_commands_of_both_kinds():
    commands = fenced_commands(README.read_text(encoding="utf-8"))
    assert {c[0] for c in commands} == {"./synthmir", "./run_all.sh"} and len(commands) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_in_a_fenced_block_parses(page):
    problems = [f"{' '.join(c)}: {command_problem(c)}" for c in fenced_commands(page.read_text(encoding="utf-8"))
                if command_problem(c)]
    assert problems == []


def test_the_command_checker_catches_renamed_flags_and_unknown_names():
    assert synthmir_problem(["realbench", "fetch", "--out", "data/x"]) is None
    assert synthmir_problem(["--help"]) is None
    assert synthmir_problem(["realbench", "fetch", "--output", "data/x"])
    assert synthmir_problem(["realbench", "fetch", "--ou", "data/x"])  # no abbreviations
    assert synthmir_problem(["generate", "--profile", "smoke", "--shards", "3"]) is None
    assert synthmir_problem(["generate", "--launcher", "cluster"])
    assert synthmir_problem(["train", "--profile", "nope"]) == "no profile nope (configs/nope.yaml)"
    assert synthmir_problem(["docs", "biuld"])
    assert synthmir_problem(["info", "--", "--x"]) == "arguments after -- are only for lab"
    typo = synthmir_problem(["ablation", "--real-data", "d", "--arms", "full", "ful - vocals"])
    assert typo.startswith("unknown arm")
    assert synthmir_problem(["soundfonts", "fetch", "--dset", "x"])
    assert run_all_problem(["--studies", "-p", "real_data", "data/x", "--from", "07"]) is None
    assert run_all_problem(["--profile=smoke", "--reports", "/tmp/r", "-y", "overrides: {}"]) is None
    assert run_all_problem(["--studys"]) == "unknown option --studys"
    assert run_all_problem(["-p", "real_dta", "x"]) == "-p real_dta: no notebook has that parameter"
    assert run_all_problem(["-p", "real_data"]) == "-p needs 2 value(s)"
    assert run_all_problem(["--profile", "nope"]) == "no profile nope (configs/nope.yaml)"
    assert run_all_problem(["--from", "42"]) == "--from 42: no such notebook"
    assert synthmir_problem(["run", "--frobnicate"]) == "unknown option --frobnicate"


def test_a_flag_renamed_in_run_all_sh_fails_the_readme_command(monkeypatch):
    text = (ROOT / "run_all.sh").read_text(encoding="utf-8")
    assert "    --studies)" in text
    renamed = text.replace("    --studies)", "    --with-studies)")
    assert run_all_problem(["--studies"], renamed) == "unknown option --studies"
    assert run_all_problem(["--with-studies"], renamed) is None
    assert synthmir_problem(["run", "--studies"], renamed) == "unknown option --studies"
    # and one renamed in the ./synthmir parser
    build = cli.build_parser

    def renamed_parser():
        parser = build()
        sub = next(a for a in parser._actions if a.dest == "command").choices["realbench"]
        fetch = next(a for a in sub._actions if getattr(a, "choices", None)).choices["fetch"]
        option = next(a for a in fetch._actions if "--out" in a.option_strings)
        option.option_strings = ["--dest"]
        fetch._option_string_actions.pop("--out")
        fetch._option_string_actions["--dest"] = option
        return parser

    monkeypatch.setattr(cli, "build_parser", renamed_parser)
    assert synthmir_problem(["realbench", "fetch", "--out", "data/realbench-dev"])


# --- the headline figures ----------------------------------------------------------------------


class _Tables(HTMLParser):
    """Every table row of an HTML file, as a list of cell texts."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def committed_text(path: Path) -> str:
    """A file of this checkout as committed (``git show HEAD:<path>``): ``./run_all.sh`` rewrites
    reports/ with the reader's own run, and the pages cite the committed reports. Any other file
    (a test's own, or a checkout without git) as it is on disk."""
    try:
        rel = Path(path).resolve().relative_to(ROOT.resolve())
        done = subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{rel.as_posix()}"], capture_output=True,
                              text=True, encoding="utf-8", check=True)
        return done.stdout
    except (ValueError, OSError, subprocess.CalledProcessError):
        return Path(path).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def report_rows(path: Path) -> tuple[tuple[str, ...], ...]:
    parser = _Tables()
    parser.feed(committed_text(path))
    return tuple(tuple(r) for r in parser.rows)


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]


def marked_table(text: str, marker: str) -> dict[str, list[str]] | None:
    """The markdown table right after ``<!-- marker: ...-->``: first cell -> the other cells."""
    m = re.search(r"<!--\s*%s\b.*?-->\n((?:\|.*\n?)+)" % re.escape(marker), text)
    if not m:
        return None
    rows = {}
    for line in m.group(1).strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def expected_headline(reports: Path = REPORTS) -> dict[str, tuple[list[float], list[float] | None]]:
    """The headline rows as the committed reports give them: row -> (offline, paper) numbers."""
    index = {r[0]: r[1] for r in report_rows(reports / "index.html") if len(r) == 2}
    evaluate = {r[0]: r for r in report_rows(reports / "05_evaluate.html") if len(r) == 4}
    real_run, real_paper = index["real-track accuracy [95 % CI]"].split("(paper")
    synth_run, synth_paper = index["synthetic validation accuracy"].split("(paper")
    real, synth = evaluate["real-track accuracy"], evaluate["synthetic validation accuracy"]
    assert numbers(real[2]) == numbers(real_run)[:3] and numbers(synth[2])[0] == numbers(synth_run)[0]
    return {
        "accuracy on real recordings [95 % CI]": (numbers(real_run), numbers(real[1]) + numbers(real_paper)[1:]),
        "macro F1 on real recordings": (numbers(index["real-track macro F1"]), None),
        "accuracy on synthetic validation [95 % CI]": (numbers(synth[2]) + numbers(synth[3]),
                                                        numbers(synth_paper)),
    }


def headline_problems(text: str, reports: Path = REPORTS) -> list[str]:
    """Where a page's headline table differs from the committed reports."""
    table = marked_table(text, "headline")
    if table is None:
        return ["no headline table (<!-- headline ... --> then a table)"]
    problems = []
    for row, (offline, paper) in expected_headline(reports).items():
        if row not in table:
            problems.append(f"headline row {row!r} missing")
            continue
        if numbers(table[row][0]) != offline:
            problems.append(f"{row}: {table[row][0]!r}, the report says {offline}")
        if paper is not None and numbers(table[row][1]) != paper:
            problems.append(f"{row} (paper): {table[row][1]!r}, the report says {paper}")
    return problems


def recall_problems(text: str, reports: Path = REPORTS) -> list[str]:
    """Where a page's per-genre recall table differs from 05_evaluate's."""
    table = marked_table(text, "recall")
    if table is None:
        return ["no recall table (<!-- recall ... --> then a table)"]
    report = {r[0]: r for r in report_rows(reports / "05_evaluate.html") if len(r) == 4 and "[" in r[1]}
    problems = []
    for genre, cells in table.items():
        want = report.get(genre)
        if want is None:
            problems.append(f"{genre}: not in the report")
        elif numbers(cells[0]) != numbers(want[1]) or numbers(cells[1]) != numbers(want[2]) + numbers(want[3]):
            problems.append(f"{genre}: {cells[:2]}, the report says {want[1:]}")
    return problems


#: the README's tempo and key rows: row -> (report, the set as its results table names it, figure column)
TASK_ROWS = {
    "tempo, Accuracy2: 115 tracker modules": ("10_tempo.html", "csv:data/modules-tempo/tracks.csv", 5),
    "key, MIREX weighted: 300 fiddle tunes (held out)": ("11_key.html", "csv:data/fiddlekey/tracks.csv", 4),
    "key, MIREX weighted: 657 items of four sets, pooled": ("11_key.html", "all real sets, pooled", 4),
    "key, MIREX weighted: 18 stated-key MIDI pieces": ("11_key.html", "csv:data/keymidi/tracks.csv", 4),
}


def signed_numbers(text: str) -> list[float]:
    return [float(x.replace("−", "-")) for x in re.findall(r"[-+−]?\d+(?:\.\d+)?", text)]


def task_problems(text: str, reports: Path = REPORTS) -> list[str]:
    """Where a page's tempo/key table differs from the results tables of notebooks 10 and 11
    (rows: index, set, estimator, items, figures..., model − baseline)."""
    table = marked_table(text, "tasks")
    if table is None:
        return ["no tasks table (<!-- tasks ... --> then a table)"]
    problems = []
    for row, (report, name, column) in TASK_ROWS.items():
        rows = [r for r in report_rows(reports / report) if len(r) == 7 and r[1] == name]
        if row not in table or len(rows) < 2:
            problems.append(f"{row!r}: {'not in the page' if row not in table else f'no {name} rows in {report}'}")
            continue
        model, baseline = rows[0], rows[1]  # the results table's first two rows of the set
        want = (signed_numbers(model[column]), signed_numbers(baseline[column]), signed_numbers(model[6]))
        got = tuple(signed_numbers(c) for c in table[row][:3])
        if got != want:
            problems.append(f"{row}: {table[row][:3]}, {report} says {[model[column], baseline[column], model[6]]}")
    return problems


def test_the_readme_task_figures_are_the_committed_reports():
    text = README.read_text(encoding="utf-8")
    assert task_problems(text) == []
    assert task_problems(text.replace("−0.039 [−0.239", "+0.039 [−0.239"))  # a sign is a figure too
    assert task_problems(text.replace("0.960 [0.939, 0.977]", "0.961 [0.939, 0.977]"))


def test_the_readme_headline_is_the_committed_report():
    assert headline_problems(README.read_text(encoding="utf-8")) == []


def test_the_findings_headline_and_recall_are_the_committed_report():
    text = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    assert headline_problems(text) == [] and recall_problems(text) == []


def test_the_figure_checker_catches_a_wrong_number():
    text = README.read_text(encoding="utf-8")
    assert "**80.0 %** [67.0, 88.8]" in text
    wrong = headline_problems(text.replace("**80.0 %** [67.0, 88.8]", "**81.0 %** [67.0, 88.8]"))
    assert len(wrong) == 1 and "81.0" in wrong[0]
    assert headline_problems(text.replace("[85.0, 95.9]", "[85.0, 96.0]"))
    assert headline_problems(text.replace("49.5 %", "0.49"))
    assert headline_problems(text.replace("<!-- headline", "<!-- nothing")) == [
        "no headline table (<!-- headline ... --> then a table)"]
    findings = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    assert recall_problems(findings.replace("| 7 of 10 |", "| 8 of 10 |"))


# --- the front door, the map and the site ------------------------------------------------------


def test_the_readme_is_a_front_door():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    first_screen = "\n".join(text.splitlines()[:50])
    for part in ("<!-- headline", "## Quick start", "./run_all.sh", "./run_tests.sh", "## The handbook"):
        assert part in first_screen, part
    # the test command CI relies on, as the README documents it
    assert "./run_tests.sh -q -ra" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./run_tests.sh    # the test suite" in text and "`./run_tests.sh -q -ra`" in text


def test_the_site_nav_mirrors_the_handbook_map():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = [next(iter(item.values())) for item in config["nav"]]
    assert sorted(nav) == sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    mapped = re.findall(r"\]\(docs/([\w.]+\.md)\)", README.read_text(encoding="utf-8").split("## The handbook")[1])
    assert mapped == [p for p in nav if p not in ("index.md", "studies_medium_before_production.md")]
    assert config["hooks"] == ["src/helpers/docs_site.py"] and (ROOT / config["hooks"][0]).is_file()
    assert "/site/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_site_takes_along_the_reports_and_records_the_pages_link():
    found = {p.relative_to(ROOT).as_posix() for p in docs_site.outside_targets(ROOT / "docs")}
    assert {f"reports/offline/{p.name}" for p in REPORTS.glob("*.html")} <= found
    assert "benchmarks/results/transfer_ablation.json" in found
    assert not any(p.startswith("docs/") for p in found)


def test_docs_build_and_serve_run_mkdocs_strict_in_its_own_venv(monkeypatch, tmp_path):
    cmd = docs_site.mkdocs_command("build", "/venv/bin/python")
    assert cmd[:4] == ["/venv/bin/python", "-m", "mkdocs", "build"] and "--strict" in cmd
    assert cmd[cmd.index("--site-dir") + 1] == str(ROOT / "site")
    serve = docs_site.mkdocs_command("serve", "py", strict=False, addr="0.0.0.0:8001")
    assert "--strict" not in serve and serve[-2:] == ["--dev-addr", "0.0.0.0:8001"]
    calls = []
    monkeypatch.setattr(docs_site, "run", lambda action, **kw: calls.append((action, kw)) or 0)
    assert cli.main(["docs", "build", "--out", str(tmp_path)]) == 0
    assert cli.main(["docs", "serve", "--no-strict"]) == 0
    assert calls == [("build", {"site_dir": str(tmp_path), "strict": True, "addr": None}),
                     ("serve", {"site_dir": None, "strict": False, "addr": None})]


def test_docs_venv_failure_is_a_one_line_error(monkeypatch, capsys):
    def fail():
        raise docs_site.DocsError("could not make the documentation venv")

    monkeypatch.setattr(docs_site, "docs_venv", fail)
    assert cli.main(["docs", "build"]) == 2
    assert "could not make the documentation venv" in capsys.readouterr().err


def test_setup_env_knows_its_groups():
    out = subprocess.run(["bash", str(ROOT / "scripts" / "setup_env.sh"), "bogus"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and "unknown group bogus" in out.stderr
    assert (ROOT / "requirements" / "docs.lock").is_file()
    lock = (ROOT / "requirements" / "docs.lock").read_text()
    assert "mkdocs==1.6.1" in lock and "mkdocs-material==9.8.1" in lock and "--hash=sha256:" in lock
