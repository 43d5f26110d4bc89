"""``openai-assistants serve``: the Assistants API v2 on any Chat Completions endpoint.

    openai-assistants serve --model-base-url http://localhost:11434/v1 --default-model llama3.2
    openai-assistants serve --backend echo              offline, the sandbox's echo assistant
    openai-assistants serve --db postgresql://serve@db:5432/assistants --db-password-env PGPW
                                       several instances on one database (docs/server-postgres.md)

The first line on standard output is the base URL (ending in ``/v1``), printed once the socket
accepts connections; point the OpenAI Configuration node (or the SDK's ``base_url``) at it.
Ctrl+C or SIGTERM stop it: in-flight runs are failed with a message saying so, the database
is closed, the exit code is 0. Keys (the model endpoint's and the clients') are read from
environment variables only, never from arguments, and never logged or sent back.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8000
EXIT_OK, EXIT_INVALID = 0, 2


class ServeUsageError(Exception):
    """A setting ``serve`` cannot start with; the message names the option."""


def add_serve_parser(subparsers: Any) -> Callable[[argparse.Namespace], int]:
    """Add ``serve`` to the command line's subcommands; returns its handler."""
    serve = subparsers.add_parser(
        "serve",
        help="serve the Assistants API v2, running assistants on a Chat Completions endpoint",
        description="An Assistants API v2 server. With --backend chat-completions every run "
        "calls POST {model-base-url}/chat/completions (OpenAI, Azure OpenAI, Ollama, vLLM, "
        "LiteLLM); --backend echo answers offline. Prints the base URL first.",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 = any free port")
    serve.add_argument(
        "--db",
        metavar="PATH|URL",
        help="SQLite file that keeps all objects (default: memory), or a "
        "postgresql://USER@HOST:PORT/DB URL: several instances may share that database",
    )
    serve.add_argument(
        "--db-password-env",
        metavar="NAME",
        help="environment variable holding the PostgreSQL password (instead of the URL's)",
    )
    serve.add_argument(
        "--db-pool-size", type=int, default=10, metavar="N", help="PostgreSQL connections, most"
    )
    serve.add_argument(
        "--db-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="PostgreSQL: longest wait for a connection or a statement (then 503)",
    )
    serve.add_argument(
        "--lease-seconds",
        type=float,
        default=30.0,
        metavar="S",
        help="PostgreSQL: a dead instance's runs are taken over after this long",
    )
    serve.add_argument(
        "--backend", choices=("chat-completions", "echo"), default="chat-completions"
    )
    serve.add_argument("--model-base-url", metavar="URL", help="e.g. https://api.openai.com/v1")
    serve.add_argument(
        "--model-api-key-env",
        metavar="NAME",
        help="environment variable holding the model endpoint's key (none: no key is sent)",
    )
    serve.add_argument("--model-auth", choices=("bearer", "api-key"), default="bearer")
    serve.add_argument("--model-api-version", metavar="V", help="api-version query (Azure)")
    serve.add_argument("--model-timeout", type=float, default=600.0, metavar="S")
    serve.add_argument(
        "--model-context-tokens",
        type=int,
        metavar="N",
        help="the model's context size: threads are truncated (oldest messages first) to fit "
        "it before the call; without it, after the endpoint answers that a prompt is too long",
    )
    serve.add_argument(
        "--default-model", metavar="NAME", help="model for assistants and runs that name none"
    )
    serve.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="environment variable with the key(s) clients must present, comma-separated",
    )
    serve.add_argument(
        "--run-duration", type=float, default=0.3, metavar="S", help="echo backend only"
    )
    serve.add_argument(
        "--max-file-mib",
        type=float,
        default=512.0,
        metavar="MIB",
        help="largest file POST /v1/files accepts (default 512)",
    )
    serve.add_argument(
        "--embedding-model",
        metavar="NAME",
        help="embed chunks with this model on --model-base-url's /embeddings: hybrid search "
        "(default: lexical BM25 only, no model needed)",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    serve.set_defaults(handler=run_serve)
    return run_serve


def run_serve(args: argparse.Namespace) -> int:
    """Check the settings, then serve in the foreground until Ctrl+C or SIGTERM."""
    try:
        return _serve(args)
    except ServeUsageError as exc:
        _say(f"error: {exc}", sys.stderr)
        return EXIT_INVALID


def _serve(args: argparse.Namespace) -> int:
    from .app import create_app, with_request_log
    from .runner import Server, base_url, bind_socket, is_loopback, uvicorn_config
    from .runs import Engine

    client_keys = _client_keys(args)
    if not is_loopback(args.host) and not client_keys:
        raise ServeUsageError(
            f"--host {args.host} can be reached from other machines: set --api-key-env to "
            "the variable holding the key(s) clients must present"
        )
    if not 0 <= args.port <= 65535:
        raise ServeUsageError(f"--port must be 0-65535, not {args.port}")
    backend = _backend(args)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        raise ServeUsageError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from None
    try:
        store, leases, shown_db = _open_store(args)
    except BaseException:
        sock.close()
        raise
    engine = Engine(store, backend, default_model=args.default_model, leases=leases)
    try:
        library = _library(args, store)
    except ServeUsageError:
        sock.close()
        store.close()
        raise
    # no client keys (loopback only): answer only requests addressed to loopback
    app: Any = create_app(
        engine, api_keys=client_keys, loopback_hosts_only=not client_keys, library=library
    )
    redactor = app.state.redactor
    if not args.quiet:
        app = with_request_log(app, lambda line: _say(redactor.text(line), sys.stderr))
    url = base_url(sock)

    def announce() -> None:
        _say(url, sys.stdout)
        if store.in_memory:
            _say(
                "Storage: in memory; all is lost when the server stops (--db PATH keeps it).",
                sys.stdout,
            )
        else:
            read_only = f" (read-only: {store.read_only}; changes are refused)"
            _say(f"Storage: {shown_db}{read_only if store.read_only else ''}", sys.stdout)
        what = (
            f"runs on {backend.url}"
            if args.backend == "chat-completions"
            else "echo backend (offline)"
        )
        keys = f"the key(s) in ${args.api_key_env}" if client_keys else "any API key"
        _say(f"Assistants API v2 serving; {what}; accepts {keys}. Ctrl+C stops it.", sys.stderr)

    logging.getLogger("openai_assistants.server").addHandler(logging.StreamHandler(sys.stderr))
    server = Server(
        uvicorn_config(app, graceful_seconds=5.0), on_started=announce, before_shutdown=engine.stop
    )
    server.run(sockets=[sock])
    return EXIT_OK


def _open_store(args: argparse.Namespace) -> tuple[Any, Any, str]:
    """The store ``--db`` names, the run leases (PostgreSQL only), and how to show the
    database (a URL with its password masked)."""
    from .store import DatabaseInUse, SqliteStore

    db = args.db
    if db is None or not db.startswith(("postgresql://", "postgres://")):
        if args.db_password_env:
            raise ServeUsageError("--db-password-env needs --db postgresql://...")
        try:
            return SqliteStore(None if db is None else Path(db)), None, str(db)
        except DatabaseInUse as exc:  # one database file, one server
            raise ServeUsageError(f"--db {db}: {exc}") from None
        except Exception as exc:  # sqlite3.Error, OSError: the file is not a usable database
            raise ServeUsageError(f"--db {db}: cannot open the database: {exc}") from None
    try:
        from .store.postgres import PostgresStore, masked_url
        from .store.postgres_leases import RunLeases
    except ImportError:
        raise ServeUsageError(
            "--db postgresql://... needs the PostgreSQL driver: "
            "pip install 'knime-openai-assistants[postgres]'"
        ) from None
    shown = masked_url(db)
    password = None
    if args.db_password_env:
        password = os.environ.get(args.db_password_env, "")
        if not password:
            raise ServeUsageError(
                f"--db-password-env: the environment variable {args.db_password_env} is empty"
            )
    if _url_password(db) and not password:
        _say(
            f"warning: --db {shown} holds a password, which other users of this machine can "
            "see in its process list; prefer --db-password-env NAME",
            sys.stderr,
        )
    if args.db_pool_size < 1:
        raise ServeUsageError("--db-pool-size must be at least 1")
    if not 0 < args.db_timeout <= 600:
        raise ServeUsageError("--db-timeout must be more than 0 and at most 600 seconds")
    if not 0 < args.lease_seconds <= 3600:
        raise ServeUsageError("--lease-seconds must be more than 0 and at most 3600 seconds")
    try:
        store = PostgresStore(
            db, password=password, pool_size=args.db_pool_size, timeout=args.db_timeout
        )
    except Exception as exc:  # unreachable, refused, wrong password, not a database
        secrets = [s for s in (password, _url_password(db)) if s]
        why = " ".join(str(exc).split()) or type(exc).__name__
        for secret in secrets:
            why = why.replace(secret, "***")
        raise ServeUsageError(f"--db {shown}: cannot open the database: {why}") from None
    return store, RunLeases(store, lease_seconds=args.lease_seconds), shown


def _url_password(url: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def _client_keys(args: argparse.Namespace) -> list[str]:
    if not args.api_key_env:
        return []
    keys = [k.strip() for k in os.environ.get(args.api_key_env, "").split(",") if k.strip()]
    if not keys:
        raise ServeUsageError(
            f"--api-key-env: the environment variable {args.api_key_env} is empty"
        )
    return keys


def _library(args: argparse.Namespace, store: Any) -> Any:
    """Files and vector stores beside the database (``<db>-files/``), with their options."""
    from .retrieval.library import Library

    if not args.max_file_mib > 0:
        raise ServeUsageError(f"--max-file-mib must be > 0, not {args.max_file_mib}")
    embedder = None
    if args.embedding_model:
        from .retrieval.embeddings import Embedder

        if not args.model_base_url:
            raise ServeUsageError("--embedding-model needs --model-base-url (its /embeddings)")
        try:
            embedder = Embedder(
                args.model_base_url,
                args.embedding_model,
                api_key=_model_key(args),
                auth=args.model_auth,
                api_version=args.model_api_version,
            )
        except ValueError as exc:
            raise ServeUsageError(f"--model-base-url: {exc}") from None
    try:
        return Library.beside(
            store,
            embedder=embedder,
            max_file_bytes=int(args.max_file_mib * 1024 * 1024),
            lease_seconds=args.lease_seconds,
        )
    except OSError as exc:
        raise ServeUsageError(f"--db {args.db}: cannot keep files beside it: {exc}") from None


def _model_key(args: argparse.Namespace) -> str | None:
    if not args.model_api_key_env:
        return None
    return os.environ.get(args.model_api_key_env, "").strip() or None


def _backend(args: argparse.Namespace) -> Any:
    if args.backend == "echo":
        from .backends.echo import EchoBackend

        if args.run_duration < 0:
            raise ServeUsageError("--run-duration must be >= 0 seconds")
        return EchoBackend(args.run_duration)
    from .backends.chat_completions import ChatCompletionsBackend

    if not args.model_base_url:
        raise ServeUsageError(
            "--backend chat-completions needs --model-base-url (e.g. https://api.openai.com/v1 "
            "or http://localhost:11434/v1 for Ollama); use --backend echo to try it offline"
        )
    api_key = None
    if args.model_api_key_env:
        api_key = os.environ.get(args.model_api_key_env, "").strip()
        if not api_key:
            raise ServeUsageError(
                f"--model-api-key-env: the environment variable {args.model_api_key_env} is empty"
            )
    if args.model_context_tokens is not None and args.model_context_tokens < 16:
        raise ServeUsageError("--model-context-tokens must be at least 16 tokens")
    try:
        return ChatCompletionsBackend(
            args.model_base_url,
            api_key=api_key,
            auth=args.model_auth,
            api_version=args.model_api_version,
            timeout=args.model_timeout,
            context_tokens=args.model_context_tokens,
        )
    except ValueError as exc:
        raise ServeUsageError(f"--model-base-url: {exc}") from None


def _say(text: str, stream: Any) -> None:
    """One line, flushed at once (a caller may be waiting for it, e.g. the URL)."""
    stream.write(" ".join(str(text).splitlines()) + "\n")
    stream.flush()
