"""A private PostgreSQL cluster on a free loopback port (as .ci/postgres.sh makes one), that
the fault run can restart."""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
from contextlib import suppress
from pathlib import Path

from ortif_cli.localserver import free_port


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    return Path(found[-1])


class Cluster:
    def __init__(self, directory: Path, max_connections: int = 100) -> None:
        self.directory = directory
        self.port = free_port()
        self.max_connections = max_connections
        self.bin = _bin_dir()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/ortif"

    def _run(self, *command: str) -> None:
        line = shlex.join(command)
        if os.geteuid() == 0:  # initdb and postgres refuse root: run them as postgres
            subprocess.run(["su", "postgres", "-c", line], check=True, stdout=subprocess.DEVNULL)
        else:
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def start(self) -> Cluster:
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        data = str(self.directory / "data")
        self._run(str(self.bin / "initdb"), "-D", data, "-A", "trust", "-U", "postgres")
        self._pg_ctl("start")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", "ortif")  # fmt: skip
        return self

    def postmaster_pid(self) -> int:
        """The server process, from the first line of `postmaster.pid`."""
        return int((self.directory / "data" / "postmaster.pid").read_text().split()[0])

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            f"-c max_connections={self.max_connections} -c fsync=on"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-l",
                  str(self.directory / "log"), "-w", "-o", options, action, *extra)  # fmt: skip

    def restart(self) -> None:
        """A fast restart: open connections are cut, as in a failover."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with suppress(subprocess.CalledProcessError):  # already stopped
            self._pg_ctl("stop", "-m", "fast")
