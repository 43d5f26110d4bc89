"""Settings saved by older versions, moved to today's keys when KNIME loads a workflow.

KNIME hands a node's saved settings to its ``_modify_parameters`` before it sets them; the
nodes delegate to the functions here, so every change of a saved layout is in one file:

* Create Run, 0.1.0: settings were flat; since 0.2.0 they sit in dialog sections.
* OpenAI Configuration, 0.1.0: no key source; a named credential meant "use it".
* OpenAI Configuration, 0.2.0: no connection check; such workflows keep running without one
  (new nodes check by default).
"""

from __future__ import annotations

# Create Run: setting key -> its section since 0.2.0 (0.1.0 settings were flat)
CREATE_RUN_SECTIONS = {
    "thread_id": "request",
    "include": "request",
    "body": "request",
    "result_format": "result",
    "include_headers": "result",
    "error_handling": "errors",
    "wait_for_completion": "waiting",
    "poll_interval": "waiting",
    "max_wait": "waiting",
    "cancel_run_on_cancel": "waiting",
    "thread_id_column": "runs_table",
    "body_column": "runs_table",
    "concurrency": "runs_table",
    "allow_unknown_fields": "advanced",
}


def create_run_sections(parameters: dict) -> dict:
    """Create Run's settings saved by 0.1.0 were flat: move each into its section."""
    if not any(key in parameters for key in CREATE_RUN_SECTIONS):
        return parameters
    grouped: dict = {
        key: value for key, value in parameters.items() if key not in CREATE_RUN_SECTIONS
    }
    for key, section in CREATE_RUN_SECTIONS.items():
        if key in parameters:
            grouped.setdefault(section, {})[key] = parameters[key]
    return grouped


def configuration_key_source(parameters: dict) -> dict:
    """OpenAI Configuration saved before the explicit key source (0.1.0): a credentials name
    meant "use these credentials", an empty one the environment variable."""
    if "key_source" not in parameters:
        named = str(parameters.get("credentials") or "").strip()
        parameters = {**parameters, "key_source": "CREDENTIALS" if named else "ENVIRONMENT"}
    return parameters


def configuration_connection_check(parameters: dict) -> dict:
    """OpenAI Configuration saved before the connection check (0.2.0 and earlier): keep it
    off, so a workflow that ran without network access at that node still runs."""
    if "check_connection" not in parameters:
        parameters = {**parameters, "check_connection": False}
    return parameters
