"""What importing ``src/extension.py`` adds to KNIME's node listing, measured.

KNIME imports the extension module to list its nodes. This prints the median wall time of a
fresh interpreter importing knime.extension + pandas + pyarrow (the baseline KNIME pays anyway)
and of the same plus ``extension``, over several runs, and the median CPU time of the same
processes (steadier than wall time on a machine shared with other work).

    python benchmarks/import_time.py [--runs 15] [--root <another checkout, to compare>]

Uses the real knime.extension when importable (pixi environment, or KNIME's sources on
PYTHONPATH), else the test double in tests/knime_double (then the baseline is smaller).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "import knime.extension, knime.extension.testing, pandas, pyarrow"
WITH_EXTENSION = BASELINE + "; import extension"


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(root / "src")]
    probe = subprocess.run([sys.executable, "-c", "import knime.extension"], capture_output=True)
    if probe.returncode != 0:
        paths.append(str(ROOT / "tests" / "knime_double"))
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    return env


def _time(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of a fresh interpreter running ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure")
    args = parser.parse_args()
    env = _env(args.root.resolve())
    api = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", "import knime.extension as k; print(k.__file__)"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout.strip()  # fmt: skip
    _time(WITH_EXTENSION, env)  # warm the file cache
    base, full = [], []
    for _ in range(args.runs):  # interleaved, so machine noise hits both alike
        base.append(_time(BASELINE, env))
        full.append(_time(WITH_EXTENSION, env))

    def median_ms(times: list[tuple[float, float]], which: int) -> float:
        return statistics.median(t[which] for t in times) * 1000

    print(f"knime.extension: {api}")
    print(f"extension: {args.root.resolve() / 'src' / 'extension.py'}")
    print(f"| import (median of {args.runs}, fresh interpreter) | wall ms | CPU ms |")
    print("|---|---:|---:|")
    rows = [("knime.extension + pandas + pyarrow", base), ("... + extension (all nodes)", full)]
    for label, times in rows:
        print(f"| {label} | {median_ms(times, 0):.0f} | {median_ms(times, 1):.0f} |")
    added = [median_ms(full, i) - median_ms(base, i) for i in (0, 1)]
    print(f"| added by extension | {added[0]:.0f} | {added[1]:.0f} |")


if __name__ == "__main__":
    main()
