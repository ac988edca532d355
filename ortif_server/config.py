"""Server settings, passed explicitly to `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


@dataclass(frozen=True)
class ServerSettings:
    """Where the server keeps its data, and how long a session lasts."""

    data_dir: Path
    database_url: str | None = None
    token_ttl: timedelta = timedelta(hours=12)

    @property
    def effective_database_url(self) -> str:
        """The configured database, or the embedded SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'ortif.db'}"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"
