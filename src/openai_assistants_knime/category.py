"""The node repository category all nodes of this extension live in."""

import knime.extension as knext

openai_assistants_category = knext.category(
    path="/community",
    level_id="openai_assistants",
    name="OpenAI Assistants",
    description="Nodes for the OpenAI Assistants API (v2): threads, runs and their results.",
    icon="icons/category.png",
)
