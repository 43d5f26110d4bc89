"""The small documents the demo's document step uploads (package data, read at run time)."""
