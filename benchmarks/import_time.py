"""What importing ``src/extension.py`` adds to KNIME's node listing, measured.

KNIME imports the extension module to list its nodes. This prints the median wall time of a
fresh interpreter importing knime.extension + pandas + pyarrow (the baseline KNIME pays anyway)
and of the same plus ``extension``, over several runs.

    python benchmarks/import_time.py [--runs 15]

Uses the real knime.extension when importable (pixi environment, or KNIME's sources on
PYTHONPATH), else the test double in tests/knime_double (then the baseline is smaller).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "import knime.extension, knime.extension.testing, pandas, pyarrow"
WITH_EXTENSION = BASELINE + "; import extension"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT / "src")]
    probe = subprocess.run([sys.executable, "-c", "import knime.extension"], capture_output=True)
    if probe.returncode != 0:
        paths.append(str(ROOT / "tests" / "knime_double"))
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    return env


def _time(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = _env()
    api = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", "import knime.extension as k; print(k.__file__)"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout.strip()  # fmt: skip
    _time(WITH_EXTENSION, env)  # warm the file cache
    base, full = [], []
    for _ in range(args.runs):  # interleaved, so machine noise hits both alike
        base.append(_time(BASELINE, env))
        full.append(_time(WITH_EXTENSION, env))
    base_ms, full_ms = statistics.median(base) * 1000, statistics.median(full) * 1000
    print(f"knime.extension: {api}")
    print(f"| import (median of {args.runs}, fresh interpreter) | ms |")
    print("|---|---:|")
    print(f"| knime.extension + pandas + pyarrow | {base_ms:.0f} |")
    print(f"| ... + extension (all nodes) | {full_ms:.0f} |")
    print(f"| added by extension | {full_ms - base_ms:.0f} |")


if __name__ == "__main__":
    main()
