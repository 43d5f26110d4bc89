"""``Version``: a (major, minor, patch) tuple printed as ``"1.2.3"``."""

from __future__ import annotations

from typing import NamedTuple


class Version(NamedTuple):
    major: int
    minor: int
    patch: int

    def __repr__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    __str__ = __repr__

    @classmethod
    def parse_version(cls, version: str | Version | None) -> Version:
        """``None`` is ``0.0.0``; anything but ``"int.int.int"`` (non-negative) is a ValueError."""
        if version is None:
            return cls(0, 0, 0)
        if isinstance(version, Version):
            return version
        try:
            parts = [int(p) for p in version.split(".")]
            if len(parts) != 3 or min(parts) < 0:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"Incorrect version format: '{version}'. Must be of the form "
                "'major.minor.patch', with non-negative integers for major, minor and patch."
            ) from None
        return cls(*parts)
