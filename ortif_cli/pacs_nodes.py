"""PACS nodes kept in a profile (`[profiles.NAME.pacs.NODE]` in the config file).

```toml
[profiles.default.pacs.hopital]
host = "pacs.example.org"
port = 104
called_ae_title = "PACS"
calling_ae_title = "ORTIF"
retrieve = "get"          # or "move"
move_port = 11113         # where our Storage SCP listens for C-MOVE
```
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from ortif_cli.errors import NotFoundError, UsageError
from ortif_cli.i18n import _
from ortif_cli.settings import Profile

DEFAULT_CALLING_AE_TITLE = "ORTIF"
RETRIEVE_METHODS = ("get", "move")
_AE_TITLE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")  # printable ASCII but backslash
_NODE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class PacsNode:
    """A DICOM peer the CLI queries and retrieves from (or stores to)."""

    name: str
    host: str
    port: int
    called_ae_title: str
    calling_ae_title: str = DEFAULT_CALLING_AE_TITLE
    retrieve: str = "get"
    move_port: int | None = None

    def __post_init__(self) -> None:
        if not _NODE_NAME.match(self.name):
            raise UsageError(
                _("{name!r} is not a usable node name.").format(name=self.name),
                hint=_("Use letters, digits, '.', '_' or '-'."),
            )
        if not 0 < self.port < 65536:
            raise UsageError(
                _("Port {port} is out of range.").format(port=self.port), hint=_("Give 1-65535.")
            )
        if self.move_port is not None and not 0 < self.move_port < 65536:
            raise UsageError(
                _("Move port {port} is out of range.").format(port=self.move_port),
                hint=_("Give 1-65535."),
            )
        for ae_title in (self.called_ae_title, self.calling_ae_title):
            if not _AE_TITLE.match(ae_title) or not ae_title.strip():
                raise UsageError(
                    _("{ae_title!r} is not a valid AE title.").format(ae_title=ae_title),
                    hint=_("An AE title has 1 to 16 printable ASCII characters, no backslash."),
                )
        if self.retrieve not in RETRIEVE_METHODS:
            raise UsageError(
                _("--retrieve must be get or move, not {retrieve!r}.").format(
                    retrieve=self.retrieve
                )
            )
        if self.retrieve == "move" and self.move_port is None:
            raise UsageError(
                _("C-MOVE needs a port where the PACS can send the images."),
                hint=_("Give --move-port N (and declare this AE title and port on the PACS)."),
            )

    def to_toml(self) -> dict[str, Any]:
        data = asdict(self)
        del data["name"]
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_toml(cls, name: str, data: dict[str, Any]) -> PacsNode:
        try:
            return cls(
                name=name,
                host=str(data["host"]),
                port=int(data["port"]),
                called_ae_title=str(data["called_ae_title"]),
                calling_ae_title=str(data.get("calling_ae_title", DEFAULT_CALLING_AE_TITLE)),
                retrieve=str(data.get("retrieve", "get")),
                move_port=int(data["move_port"]) if data.get("move_port") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                _(
                    "The PACS node {name!r} in the configuration file is incomplete ({reason})."
                ).format(name=name, reason=exc),
                hint=_("Run `ortif pacs remove {name}` and add it again.").format(name=name),
            ) from exc


def _table(profile: Profile) -> dict[str, Any]:
    table = profile.extra.setdefault("pacs", {})
    if not isinstance(table, dict):
        raise UsageError(_("The `pacs` entry of the configuration file is not a table."))
    return table


def list_nodes(profile: Profile) -> list[PacsNode]:
    """The profile's nodes, sorted by name."""
    return [PacsNode.from_toml(name, data) for name, data in sorted(_table(profile).items())]


def get_node(profile: Profile, name: str) -> PacsNode:
    """The node called `name`; NotFoundError (exit 5) naming the known ones otherwise."""
    table = _table(profile)
    if name not in table:
        known = ", ".join(sorted(table)) or _("none")
        raise NotFoundError(
            _("No PACS node {name!r} in profile {profile} (known: {known}).").format(
                name=name, profile=profile.name, known=known
            ),
            hint=_("Add it with `ortif pacs add NAME --host H --port P --aet AE`."),
        )
    return PacsNode.from_toml(name, table[name])


def add_node(profile: Profile, node: PacsNode) -> None:
    """Add or replace a node (the caller saves the config)."""
    _table(profile)[node.name] = node.to_toml()


def remove_node(profile: Profile, name: str) -> PacsNode:
    node = get_node(profile, name)
    del _table(profile)[name]
    return node
