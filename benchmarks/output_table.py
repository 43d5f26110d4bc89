"""How long the Create Run output table takes to build and hand to KNIME, per row.

Builds the Structured table (the widest format, with header columns) for N answers with the
core's ``result_table`` (pyarrow), then converts it the two ways a node can return it:
``knext.Table.from_pyarrow`` (what the node does) and ``knext.Table.from_pandas`` of the
same data (what it did before), and writes each the way KNIME writes an output table.
Run it on KNIME's real API (see tests/README.md for the PYTHONPATH); on the test double it
measures the stand-in instead.

    python benchmarks/output_table.py [rows]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

try:
    import knime.extension as knext
except ImportError:
    sys.path.insert(0, str(ROOT / "tests" / "knime_double"))
    import knime.extension as knext
import knime.extension.testing  # noqa: E402, F401
from knime_fidelity import (  # noqa: E402
    install_knime_arrow_backend,
    register_date_time_types,
    write_output,
)

from openai_assistants.client.exchange import ApiResponse  # noqa: E402
from openai_assistants.tables.results import ResultFormat, RowResult, result_table  # noqa: E402


def best_of(repeats: int, func) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    register_date_time_types()
    backend = install_knime_arrow_backend()
    run = json.loads((ROOT / "tests" / "data" / "run-object.json").read_text())
    headers = (("content-type", "application/json"), ("x-request-id", "req_1"))
    answers = [
        RowResult(f"Row{i}", ApiResponse(200, headers, json.dumps(run | {"id": f"run_{i}"})))
        for i in range(rows)
    ]
    table = result_table(answers, ResultFormat.STRUCTURED, include_headers=True)
    frame = table.to_pandas().set_index("<RowID>").rename_axis(None)
    build = best_of(5, lambda: result_table(answers, ResultFormat.STRUCTURED, True))
    via_arrow = best_of(5, lambda: write_output(knext.Table.from_pyarrow(table)))
    try:
        via_pandas: float | str = best_of(5, lambda: write_output(knext.Table.from_pandas(frame)))
    except (TypeError, ValueError) as exc:  # the stand-in refuses all-missing date-times
        via_pandas = f"refused ({exc})"
    print(f"backend: {backend}; {rows} rows, Structured + headers ({table.num_columns} columns)")
    print("| step | total ms | µs per row |")
    print("|---|---|---|")
    for name, seconds in (
        ("result_table (core, pyarrow)", build),
        ("Table.from_pyarrow + write", via_arrow),
        ("Table.from_pandas + write", via_pandas),
    ):
        if isinstance(seconds, str):
            print(f"| {name} | {seconds} | |")
        else:
            print(f"| {name} | {seconds * 1000:.1f} | {seconds / rows * 1e6:.1f} |")


if __name__ == "__main__":
    main()
