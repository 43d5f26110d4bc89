"""``python -m openai_assistants``: the same command line as ``openai-assistants``."""

from .cli.main import main

raise SystemExit(main())
