"""What a command's exit code says, and the one failure the command line adds to the core's.

0 success; 1 a request failed (HTTP error, connection error, timeout, bad answer) or the
output file could not be written; 2 invalid settings or input (nothing was sent); 130
interrupted (Ctrl+C).
"""

from __future__ import annotations

EXIT_OK, EXIT_REQUEST_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad command-line input found before anything is sent (exit 2)."""
