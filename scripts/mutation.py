"""The mutation run behind scripts/mutation.sh.

`pins` prints the requirements of the run's own virtualenv, read from pyproject.toml. `run`
stages the assembler as `src/pex_assembler` with the unit tests in a work directory (the
layout the mutation tool reads its module names from), runs mutmut over the modules that
decide correctness, prints the survivors and writes tests/mutation/REPORT.md. A survivor
listed in tests/mutation/unobservable.toml, with the reason no test can see it, is reported
as explained; any other fails the run.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import tokenize
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional

import tomllib

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "tests" / "mutation" / "REPORT.md"
UNOBSERVABLE = ROOT / "tests" / "mutation" / "unobservable.toml"
RESULTS = ROOT / "tests" / "mutation" / "results.json"
# A mutant that makes a test hang is caught too: the suite would not finish.
CAUGHT = ("killed", "timeout", "caught by type check")
NOT_KILLED = ("survived", "no tests", "suspicious")

# The modules that decide whether a PEX is right, by the classes.
MODULES = {
    "archive paths": ["archive_paths", "filesystems", "wheel_contents"],
    "compat and target": ["compat", "target"],
    "wheels and RECORD": ["wheels"],
    "installed-tree repack": ["installed"],
    "locks and requirements": ["locks", "requirements", "pip_lock"],
    "layer and bytecode writers": ["venv_layer", "bytecode"],
    "zipapp": ["zipapp", "zips"],
}
# Unit tests that read the repository (README, BUILD files, the assembler's source text) or
# only start the assembler as a command: the tool's tracer sees neither calling a function.
NOT_STAGED = [
    "test_error_form.py",
    "test_forward_compat.py",
    "test_worker.py",
    "test_write_failures.py",
]
# Calls, and functions, that only word an error: the wording is not what the run is for
# (tests check that a refusal names the file and the fix, and test_error_form that every error
# has both).
MESSAGE_CALLS = {"AssemblerError", "problem", "_bad", "_bad_skeleton", "_fix"}
PRAGMA = "  # pragma: no mutate"


def pins() -> List[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [*project["dependencies"], *extras["test"], *extras["mutation"]]


def stage(work: Path, modules: List[str], fresh: bool) -> None:
    """Stages the code and tests. The tool's verdicts (`mutants/`) are kept unless `fresh`: it
    re-tests only the functions whose text changed, and `retry` what nobody has explained, so
    a run after an edit costs minutes where the first costs an hour. Which tests reach which
    function is always traced again: a function new since the last run has no tests yet."""
    if fresh and work.exists():
        shutil.rmtree(work)
    (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    for staged in ("src", "tests", "e2e"):
        if (work / staged).exists():
            shutil.rmtree(work / staged)
    shutil.copytree(
        ROOT / "tools" / "pex_assembler",
        work / "src" / "pex_assembler",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (work / "tests" / "unit").mkdir(parents=True)
    shutil.copy2(ROOT / "tests" / "conftest.py", work / "tests" / "conftest.py")
    shutil.copytree(
        ROOT / "tests" / "harness",
        work / "tests" / "harness",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for test in sorted((ROOT / "tests" / "unit").glob("test_*.py")):
        if test.name not in NOT_STAGED:
            shutil.copy2(test, work / "tests" / "unit" / test.name)
    shutil.copytree(ROOT / "e2e" / "locks", work / "e2e" / "locks")
    (work / "e2e" / "app").mkdir()
    shutil.copy2(ROOT / "e2e" / "app" / "requirements.txt", work / "e2e" / "app")
    config = {
        "source_paths": ["src"],
        "only_mutate": [f"src/pex_assembler/{m}.py" for m in modules],
        "also_copy": ["e2e"],
        "pytest_add_cli_args_test_selection": ["tests/unit"],
        # A mutant that loops forever is stopped after three times its tests' time and 90 s
        # more (the tool's default is fifteen times): enough that a busy machine's slow
        # survivor is not taken for a loop.
        "timeout_multiplier": 3.0,
        "timeout_constant": 30.0,
    }
    for module in modules:
        _mark_messages(work / "src" / "pex_assembler" / f"{module}.py")
    (work / "SOURCE").write_text(_source_revision())
    lines = ["[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n")


def _mark_messages(path: Path) -> None:
    """Marks the lines of MESSAGE_CALLS, calls and bodies, and of assertions' messages in the
    staged copy as not to be mutated."""
    source = path.read_text()
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in MESSAGE_CALLS:
                lines.update(range(node.lineno, node.end_lineno + 1))
        if isinstance(node, ast.Assert) and node.msg is not None:
            lines.update(range(node.msg.lineno, node.msg.end_lineno + 1))
        if isinstance(node, ast.FunctionDef) and node.name in MESSAGE_CALLS:
            lines.update(range(node.body[0].lineno, node.end_lineno + 1))
    # A line that ends inside a string cannot take a comment.
    in_string = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            in_string.update(range(token.start[0], token.end[0]))
    text = source.splitlines()
    for number in sorted(lines - in_string):
        text[number - 1] += PRAGMA
    path.write_text("\n".join(text) + "\n")


def retry(work: Path, modules: List[str]) -> None:
    """Forgets the verdicts on unexplained mutants of `modules` that were not killed, so that
    the tests as they are now meet them again (a test added since may kill them). An explained
    survivor stays one until its function changes, when the tool tests it again anyway.
    Other modules' mutants are not staged for this run: the tool cannot show them."""
    from mutmut.stats import status_by_exit_code

    explanations = Explanations(UNOBSERVABLE)
    package = work / "mutants" / "src" / "pex_assembler"
    for meta in (package / f"{module}.py.meta" for module in modules):
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for mutant, code in codes.items():
            if code is None or status_by_exit_code[code] not in NOT_KILLED:
                continue
            if explanations.reason(mutant, diff_of(work, mutant)) is None:
                codes[mutant] = None
        meta.write_text(json.dumps(data, indent=4))


def results(work: Path) -> Dict[str, int]:
    """Each mutant's exit code, from the tool's per-module records."""
    codes: Dict[str, int] = {}
    for meta in sorted((work / "mutants" / "src").rglob("*.meta")):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return codes


def diff_of(work: Path, mutant: str) -> str:
    shown = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", mutant],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    changed = [
        line
        for line in shown.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return "\n".join(changed)


def function_of(mutant: str) -> str:
    return mutant.rsplit("__mutmut_", 1)[0]


def _one_replaced(line: str, old: str, new: str) -> List[str]:
    """`line` with one occurrence of `old` replaced by `new`, for each occurrence: the tool
    changes one at a time, so a line that holds two gives two mutants."""
    starts = [i for i in range(len(line)) if line.startswith(old, i)] if old else []
    return [line[:i] + new + line[i + len(old) :] for i in starts]


class Explanations:
    """unobservable.toml: `[[mutant]]` entries name one survivor by its function and mutated
    line; `[[rule]]` entries a change (one `removed` becomes `added` in a line) that no input
    can observe wherever it is made; `[[case]]` entries a change of letter case only, in a line
    that holds `where` (a call that ignores case)."""

    def __init__(self, path: Path) -> None:
        known = tomllib.loads(path.read_text()) if path.exists() else {}
        self.mutants = {(e["function"], e["mutant"]): e["reason"] for e in known.get("mutant", [])}
        self.rules = known.get("rule", [])
        self.cases = known.get("case", [])

    def reason(self, mutant: str, diff: str) -> Optional[str]:
        removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-")]
        added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+")]
        own = self.mutants.get((function_of(mutant), " ".join(added)))
        if own is not None or len(removed) != 1 or len(added) != 1:
            return own
        for rule in self.rules:
            if added[0] in _one_replaced(removed[0], rule["removed"], rule["added"]):
                return rule["reason"]
        if removed[0] != added[0] and removed[0].lower() == added[0].lower():
            for case in self.cases:
                if case["where"] in removed[0]:
                    return case["reason"]
        return None


def run(work: Path, wanted: List[str], jobs: int, fresh: bool) -> int:
    every = [m for group in MODULES.values() for m in group]
    modules = wanted or every
    unknown = sorted(set(modules) - set(every))
    if unknown:
        sys.exit(f"mutation: not a module of the run: {', '.join(unknown)} (one of {every})")
    stage(work, modules, fresh)
    retry(work, modules)
    env = dict(
        os.environ,
        CROSSPEX_TEST_IN_PROCESS="1",
        CROSSPEX_TEST_WHEELS=str(work.parent / "wheels"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    (work.parent / "wheels").mkdir(exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)],
        cwd=work,
        env=env,
        check=True,
    )
    record(work, modules, (time.monotonic() - started) / 60)
    return report()


def record(work: Path, modules: List[str], minutes: float) -> None:
    """Puts the run's result for `modules` into results.json."""
    from mutmut.stats import status_by_exit_code

    codes = results(work)
    state = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    fresh: Dict[str, dict] = {}
    for module in modules:
        fresh[module] = {
            "date": datetime.date.today().isoformat(),
            "tool": f"mutmut {metadata.version('mutmut')}, CPython {platform.python_version()}",
            "source": (work / "SOURCE").read_text(),
            "minutes": round(minutes),
            "counts": Counter(),
            "survivors": [],
        }
    for mutant, code in sorted(codes.items(), key=lambda item: _mutant_order(item[0])):
        entry = fresh.get(mutant.split(".")[1])
        if entry is None:
            continue
        status = status_by_exit_code[code]
        entry["counts"][status] += 1
        if status in NOT_KILLED:
            entry["survivors"].append(
                {"mutant": mutant, "status": status, "diff": diff_of(work, mutant)}
            )
    state.update(fresh)
    RESULTS.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def _source_revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    dirty = git("status", "--porcelain", "--", "tools/pex_assembler", "tests")
    return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes" if dirty else "")


def _mutant_order(mutant: str) -> tuple:
    function, _, number = mutant.rpartition("__mutmut_")
    return function, int(number)


def report() -> int:
    """Writes REPORT.md from results.json and unobservable.toml; prints what is unexplained."""
    state = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    explanations = Explanations(UNOBSERVABLE)
    every = [m for group in MODULES.values() for m in group]
    statuses = [*CAUGHT, *NOT_KILLED, "not checked"]
    lines = [
        "# Mutation run",
        "",
        "Written by `bash scripts/mutation.sh` from results.json; see README.md here.",
        "",
        "| module | date | source | tool | minutes | " + " | ".join(statuses) + " | unexplained |",
        "|---" * (len(statuses) + 6) + "|",
    ]
    unexplained = []
    details = []
    for module in every:
        entry = state.get(module)
        if entry is None:
            lines.append(f"| {module} | not run |" + " |" * (len(statuses) + 4))
            continue
        mine = []
        for survivor in entry["survivors"]:
            reason = explanations.reason(survivor["mutant"], survivor["diff"])
            details.append((survivor, reason))
            if reason is None:
                mine.append(survivor)
        unexplained += mine
        counts = [str(entry["counts"].get(s, 0)) for s in statuses]
        cells = [module, entry["date"], entry["source"], entry["tool"], str(entry["minutes"])]
        lines.append("| " + " | ".join([*cells, *counts, str(len(mine))]) + " |")
    lines += ["", "## Not killed", ""]
    if not details:
        lines.append("None.")
    for survivor, reason in details:
        lines += [f"### {survivor['mutant']} ({survivor['status']})", ""]
        lines += ["```diff", survivor["diff"], "```", ""]
        lines += [f"Why no test can see it: {reason}" if reason else "**Unexplained.**", ""]
    REPORT.write_text("\n".join(lines).rstrip("\n") + "\n")
    for survivor in unexplained:
        print(f"\n{survivor['status']}: {survivor['mutant']}\n{survivor['diff']}")
    total = sum(sum(e["counts"].values()) for e in state.values())
    print(
        f"\nmutation: {total} mutants, {len(details)} not killed, {len(unexplained)} "
        f"unexplained; see {REPORT.relative_to(ROOT)}"
    )
    return 1 if unexplained else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="mutation")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("pins")
    commands.add_parser("report", help="write REPORT.md again, e.g. after explaining survivors")
    recorder = commands.add_parser(
        "record", help="record what an interrupted run checked, for the modules it ran"
    )
    recorder.add_argument("--work", type=Path, required=True)
    recorder.add_argument("--minutes", type=float, required=True)
    recorder.add_argument("modules", nargs="+")
    runner = commands.add_parser("run")
    runner.add_argument("--work", type=Path, required=True)
    runner.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    runner.add_argument(
        "--fresh", action="store_true", help="forget every earlier verdict and test all again"
    )
    runner.add_argument("modules", nargs="*")
    args = parser.parse_args()
    if args.command == "pins":
        print("\n".join(pins()))
        return 0
    if args.command == "report":
        return report()
    if args.command == "record":
        record(args.work.resolve(), args.modules, args.minutes)
        return report()
    return run(args.work.resolve(), args.modules, args.jobs, args.fresh)


if __name__ == "__main__":
    sys.exit(main())
