"""Running the command line in-process, as the subcommand tests do.

The key a test sets is a sentinel: every run checks it is printed nowhere (stdout and
stderr), so each subcommand test also tests that the key never leaves memory.
"""

from __future__ import annotations

import re

import pytest

from openai_assistants.cli import main as cli


def run_cli(sentinel: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``openai-assistants *args``; fails if ``sentinel``
    (the test's API key) appears in either."""
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    assert sentinel not in out + err
    return code, out, err


def field(out: str, name: str) -> list[str]:
    """The values of ``name: value`` lines of a structured table printed to the terminal."""
    return re.findall(rf"^{name}: (.*)$", out, re.MULTILINE)
