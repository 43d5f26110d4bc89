#!/usr/bin/env bash
# Run the test suite on KNIME's real Python API instead of the test double.
#   tests/run_on_knime_api.sh <knime-python checkout> <python> [pytest arguments]
# <knime-python checkout>: a checkout of github.com/knime/knime-python (outside this repo);
# <python>: an interpreter with KNIME's pins (pandas 2.0.3, numpy 1.26.4, pyarrow 21.0.0,
# py4j, pytz) plus httpx, jsonschema, pytest, openai and this project (pip install -e .).
# See tests/README.md.
set -euo pipefail
knime="${1:?usage: tests/run_on_knime_api.sh <knime-python checkout> <python> [pytest args]}"
python="${2:?usage: tests/run_on_knime_api.sh <knime-python checkout> <python> [pytest args]}"
shift 2
paths=()
for plugin in org.knime.python3 org.knime.python3.nodes org.knime.python3.views \
    org.knime.python3.arrow org.knime.python3.arrow.types; do
    paths+=("$knime/$plugin/src/main/python")
done
cd "$(dirname "$0")/.."
PYTHONPATH="$(IFS=:; echo "${paths[*]}")" exec "$python" -m pytest -p no:warnings "$@"
