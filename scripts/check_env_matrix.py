"""Install the project in fresh virtual environments and run its tests: do the ranges hold?

    python scripts/check_env_matrix.py [ROW ...] [--pythons DIR] [--keep] [--pytest-args ARGS]

Rows (default: all three):

    floors         the oldest Python here, every dependency (and test extra) at its floor
    skimage-floor  Python 3.10, scikit-image at its floor, numpy at the newest release it allows
    newest         the newest Python here, the newest releases of everything

The floors are read from pyproject.toml (each ``name>=X`` becomes ``name==X``, markers kept),
so the script checks the ranges the project really declares.  Interpreters come from pyenv
(``~/.pyenv/versions/3.*``, or ``--pythons DIR``).  Each row prints the versions installed
and pytest's last line; the script exits 1 if any row fails to install or to pass.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOWN = ("numpy", "scikit-image", "matplotlib", "pooch", "tqdm", "scipy", "pytest", "hypothesis")
ROWS = ("floors", "skimage-floor", "newest")


def interpreters(folder):
    """{(3, minor): python executable} for every CPython 3.9+ under ``folder``."""
    found = {}
    for path in sorted(Path(folder).expanduser().glob("3.*")):
        match = re.fullmatch(r"3\.(\d+)\.\d+", path.name)
        exe = path / "bin" / "python"
        if match and int(match.group(1)) >= 9 and exe.exists():
            found[(3, int(match.group(1)))] = exe
    return found


def declared_requirements():
    """The project's dependencies plus its test extra, as requirement strings."""
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
    test = re.search(r"^test = \[(.*?)\]", text, re.S | re.M).group(1)
    return re.findall(r'"([^"]+)"', deps) + re.findall(r'"([^"]+)"', test)


def floor_pins(requirements):
    """``name>=X[,...][; marker]`` -> ``name==X[; marker]``; requirements without a floor are skipped."""
    pins = []
    for requirement in requirements:
        spec, _, marker = requirement.partition(";")
        match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*.*?>=\s*([0-9][0-9A-Za-z.]*)", spec)
        if match:
            pins.append(f"{match.group(1)}=={match.group(2)}" + (f"; {marker.strip()}" if marker else ""))
    return pins


def run(command, log, **kwargs):
    """Run ``command``, appending its output to ``log``; returns the completed process."""
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    with open(log, "a") as f:
        f.write(f"$ {' '.join(map(str, command))}\n{done.stdout}{done.stderr}\n")
    return done


def check_row(name, python, pins, work, pytest_args):
    """Make a venv with ``python``, install ``.[test]`` under the ``pins`` constraints, run pytest."""
    venv, log = work / name, work / f"{name}.log"
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    constraints = work / f"{name}-constraints.txt"
    constraints.write_text("\n".join(pins) + "\n")
    run([bin_dir / "python", "-m", "pip", "install", "-q", "--upgrade", "pip"], log)
    installed = run([bin_dir / "python", "-m", "pip", "install", "-q", "-c", str(constraints),
                     f"{ROOT}[test]"], log)
    if installed.returncode != 0:
        return "install failed", {}, installed.stderr.strip().splitlines()[-3:]
    freeze = run([bin_dir / "python", "-m", "pip", "freeze"], log).stdout
    versions = dict(line.split("==", 1) for line in freeze.splitlines() if "==" in line)
    versions = {k.lower().replace("_", "-"): v for k, v in versions.items()}
    # Run from a copy of tests/ (and what they read) outside the source tree, so that the
    # installed packages are the ones imported.
    copy = work / f"{name}-tree"
    for part in ("tests", "examples", "docs", "README.md"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, copy / part)
    tested = run([bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  "tests", *pytest_args], log, cwd=copy)
    last = tested.stdout.strip().splitlines()[-1] if tested.stdout.strip() else "(no output)"
    failures = [line for line in tested.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return ("passed" if tested.returncode == 0 else "FAILED") + f": {last}", versions, failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", nargs="*", metavar="ROW", help=f"any of {', '.join(ROWS)} (default all)")
    parser.add_argument("--pythons", default="~/.pyenv/versions", help="folder of interpreters")
    parser.add_argument("--keep", action="store_true", help="keep the venvs and logs")
    parser.add_argument("--pytest-args", default="", help="extra pytest arguments, e.g. '-x'")
    args = parser.parse_args(argv)
    unknown = [row for row in args.rows if row not in ROWS]
    if unknown:
        parser.error(f"unknown row(s) {', '.join(unknown)}; choose from {', '.join(ROWS)}")
    args.rows = args.rows or list(ROWS)
    pythons = interpreters(args.pythons)
    if not pythons:
        print(f"no CPython 3.9+ interpreters under {args.pythons}", file=sys.stderr)
        return 2
    requirements = declared_requirements()
    floors = floor_pins(requirements)
    skimage_floor = [pin for pin in floors if pin.startswith("scikit-image==")]
    plan = {
        "floors": (min(pythons), floors),
        "skimage-floor": ((3, 10) if (3, 10) in pythons else min(pythons), skimage_floor),
        "newest": (max(pythons), []),
    }
    work = Path(tempfile.mkdtemp(prefix="envmatrix-"))
    ok = True
    print(f"declared: {'; '.join(requirements)}")
    for row in args.rows:
        version, pins = plan[row]
        python = pythons[version]
        result, versions, details = check_row(row, python, pins, work, args.pytest_args.split())
        ok &= result.startswith("passed")
        shown = ", ".join(f"{k} {versions[k]}" for k in SHOWN if k in versions)
        print(f"\n[{row}] Python {'.'.join(map(str, version))} ({python})")
        print(f"  pins: {', '.join(pins) or '(none: newest releases)'}")
        print(f"  installed: {shown}")
        print(f"  result: {result}")
        for line in details:
            print(f"    {line}")
    print(f"\nlogs in {work}" if args.keep else "")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
