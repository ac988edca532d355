"""Profiles and paths: a TOML file in the platformdirs config directory.

```toml
[profiles.default]
server = "https://ortif.example.org"
username = "mdurand"
ca_bundle = "/etc/ssl/hospital-ca.pem"   # the hospital PKI, instead of the system store
timeout = 30.0                           # seconds to wait for an answer
connect_timeout = 10.0                   # seconds to wait for a connection
default_pacs = "pacs1"                   # a PACS node of [profiles.default.pacs]
```

Secrets are never written here: sessions live in the keyring (see `credentials`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir, user_config_dir

from ortif_cli.errors import UsageError
from ortif_cli.i18n import _

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_PROFILE = "default"
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0


def config_path() -> Path:
    return Path(user_config_dir("ortif")) / "config.toml"


def staging_root() -> Path:
    """Private cache directory for staged DICOM copies."""
    return Path(user_cache_dir("ortif")) / "staging"


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(_("an http(s) URL is expected, such as https://ortif.example.org"))
    return value.rstrip("/")


def _path(value: str) -> str:
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise ValueError(_("no such file: {path}").format(path=path))
    return str(path)


def _seconds(value: str | float) -> float:
    seconds = float(value)
    if not 0 < seconds <= 3600:
        raise ValueError(_("a number of seconds between 0 and 3600 is expected"))
    return seconds


def _text(value: str) -> str:
    if not str(value).strip():
        raise ValueError(_("a value is expected"))
    return str(value).strip()


SETTINGS: dict[str, Callable[[str], Any]] = {
    "server": _url,
    "username": _text,
    "ca_bundle": _path,
    "timeout": _seconds,
    "connect_timeout": _seconds,
    "default_pacs": _text,
}
"""The keys `ortif config set` accepts, with their parser (raises ValueError)."""


@dataclass
class Profile:
    name: str
    server: str | None = None
    username: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    ca_bundle: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    default_pacs: str | None = None

    def to_toml(self) -> dict[str, Any]:
        data = dict(self.extra)
        data.update({k: v for k, v in self.settings().items() if v is not None})
        if self.timeout == DEFAULT_TIMEOUT:
            data.pop("timeout")
        if self.connect_timeout == DEFAULT_CONNECT_TIMEOUT:
            data.pop("connect_timeout")
        return data

    def settings(self) -> dict[str, Any]:
        """The documented settings (SETTINGS keys) and their values; no secret is kept here."""
        return {key: getattr(self, key) for key in SETTINGS}

    def set(self, key: str, value: str) -> Any:
        """Parse and set one setting; UsageError naming the key when it is wrong."""
        parse = SETTINGS.get(key)
        if parse is None:
            raise UsageError(
                _("{key} is not a setting.").format(key=key),
                hint=_("Settings: {keys}.").format(keys=", ".join(SETTINGS)),
            )
        try:
            parsed = parse(value)
        except ValueError as exc:
            message = _("{value} is not a valid {key}: {error}.")
            raise UsageError(message.format(value=repr(value), key=key, error=exc)) from exc
        setattr(self, key, parsed)
        return parsed


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
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except FileNotFoundError:
        return Config(path, {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = found.group(1) if found else "1"
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise _broken(path, line, reason) from exc
    profiles = {}
    for name, values in raw.get("profiles", {}).items():
        profiles[name] = _profile(path, text, name, values)
    return Config(path, profiles)


def _profile(path: Path, text: str, name: str, values: Any) -> Profile:
    if not isinstance(values, dict):
        raise _broken(path, _line_of(text, f"profiles.{name}"), _("a profile must be a table"))
    profile = Profile(name, extra=dict(values))
    for key in SETTINGS:
        if key not in profile.extra:
            continue
        value = profile.extra.pop(key)
        try:
            setattr(profile, key, _value(key, value))
        except (ValueError, TypeError) as exc:
            reason = _("{key} = {value}: {error}").format(key=key, value=repr(value), error=exc)
            raise _broken(path, _line_of(text, key), reason) from exc
    return profile


def _value(key: str, value: Any) -> Any:
    if key in ("timeout", "connect_timeout"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(_("a number of seconds is expected"))
        return _seconds(value)
    if not isinstance(value, str):
        raise ValueError(_("a string is expected"))
    return value if key != "server" else _url(value)


def _line_of(text: str, key: str) -> str:
    """The line where `key` is set (or its table begins), for the error message."""
    pattern = re.compile(rf"^\s*(\[\s*{re.escape(key)}\s*\]|{re.escape(key)}\s*=)")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return str(number)
    return "1"


def _broken(path: Path, line: str, reason: str) -> UsageError:
    return UsageError(
        _("The configuration file {path} is broken at line {line}: {reason}.").format(
            path=path, line=line, reason=reason
        ),
        hint=_("Fix that line (see `ortif config --help`), or delete the file."),
    )
