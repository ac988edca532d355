"""Profiles and paths: a TOML file in the platformdirs config directory.

```toml
[profiles.default]
server = "https://ortif.example.org"
username = "mdurand"
```
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir, user_config_dir

from ortif_cli.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_PROFILE = "default"


def config_path() -> Path:
    return Path(user_config_dir("ortif")) / "config.toml"


def staging_root() -> Path:
    """Private cache directory for staged DICOM copies."""
    return Path(user_cache_dir("ortif")) / "staging"


@dataclass
class Profile:
    name: str
    server: str | None = None
    username: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_toml(self) -> dict[str, Any]:
        data = dict(self.extra)
        data.update({k: v for k, v in (("server", self.server), ("username", self.username)) if v})
        return data


@dataclass
class Config:
    path: Path
    profiles: dict[str, Profile]

    def profile(self, name: str) -> Profile:
        return self.profiles.setdefault(name, Profile(name))

    def save(self) -> None:
        """Write the file atomically, readable by its owner only."""
        import tomli_w

        data = {"profiles": {name: p.to_toml() for name, p in self.profiles.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as stream:
            tomli_w.dump(data, stream)
        os.replace(temp, self.path)


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file is an empty config, a broken one exits 2."""
    path = path or config_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config(path, {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"The configuration file {path} is broken: {exc}.",
            hint="Fix that line, or delete the file and sign in again.",
        ) from exc
    profiles = {}
    for name, values in raw.get("profiles", {}).items():
        values = dict(values)
        server, username = values.pop("server", None), values.pop("username", None)
        profiles[name] = Profile(name, server, username, values)
    return Config(path, profiles)
