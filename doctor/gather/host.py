"""The node as stackdoctor sees it: every host path goes through the host root.

`--host-root /host` lets stackdoctor run in a container with the node's filesystem mounted at
/host, and lets tests point it at a synthetic host tree. Reads are bounded; nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_READ_LIMIT = 4 << 20  # config files, state files, cgroup files: never larger than this


@dataclass(frozen=True)
class Tail:
    """The end of a file: its last bytes, and how many bytes before them were not read."""

    data: bytes
    skipped: int
    size: int


@dataclass(frozen=True)
class Host:
    root: Path = Path("/")
    # Snapshots shared by the gatherers of one collection (see process_table).
    _cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def path(self, absolute: str | os.PathLike[str]) -> Path:
        """The host path `/etc/x` as seen from here (`<root>/etc/x`)."""
        text = os.fspath(absolute)
        return self.root / text.lstrip("/") if text.startswith("/") else self.root / text

    def strip(self, local: Path) -> str:
        """The inverse of `path`: a local path back to the host's absolute path, for messages."""
        try:
            return "/" + str(local.relative_to(self.root)).lstrip("/").removeprefix(".")
        except ValueError:
            return str(local)

    def hostname(self) -> str | None:
        """The node's name for itself. /proc/sys/kernel/hostname is the reader's own (its UTS
        namespace): the node's when reading / on the node, but a pod's own name when read from a
        DaemonSet pod (--host-root /host); there the node's /etc/hostname comes first."""
        paths = ("/proc/sys/kernel/hostname", "/etc/hostname")
        if str(self.root) != "/":
            paths = paths[::-1]
        for path in paths:
            try:
                lines = self.read_text(path, 256).strip().splitlines()
            except OSError:
                continue
            if lines and lines[0].strip():
                return lines[0].strip()
        return None

    def exists(self, absolute: str) -> bool:
        return self.path(absolute).exists()

    def read_bytes(self, absolute: str, limit: int = DEFAULT_READ_LIMIT) -> bytes:
        """Read at most `limit` bytes; raises OSError (FileNotFoundError, PermissionError...)."""
        # A string path, not self.path(): gatherers read thousands of /proc files, and a
        # pathlib join costs more than the read.
        with open(os.path.join(self.root, absolute.lstrip("/")), "rb") as handle:
            return handle.read(limit)

    def read_text(self, absolute: str, limit: int = DEFAULT_READ_LIMIT) -> str:
        return self.read_bytes(absolute, limit).decode("utf-8", errors="replace")

    def read_text_seen_by(self, pid: int, absolute: str, limit: int = DEFAULT_READ_LIMIT) -> str:
        """The file as process `pid` sees it, through its root (/proc/PID/root: a container's
        or another mount namespace's own files); as the host sees it when that root cannot
        be entered. FileNotFoundError when the process's root is there and the file is not."""
        root = f"/proc/{pid}/root"
        try:
            return self.read_text(f"{root}/{absolute.lstrip('/')}", limit)
        except FileNotFoundError:
            if self.path(root).exists():
                raise
        except PermissionError:
            pass
        return self.read_text(absolute, limit)

    def read_tail(self, absolute: str, max_bytes: int) -> Tail:
        """The last `max_bytes` of a file, starting at a line boundary; reads nothing else."""
        with open(self.path(absolute), "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(0, size - max_bytes)
            handle.seek(start)
            data = handle.read(max_bytes)
        if start > 0:
            newline = data.find(b"\n")
            data = data[newline + 1 :] if newline >= 0 else b""
            start = size - len(data)
        return Tail(data, start, size)

    def listdir(self, absolute: str) -> list[str]:
        return sorted(os.listdir(self.path(absolute)))

    def pids(self) -> Iterator[int]:
        """Process ids under <root>/proc (an empty iterator when /proc is not readable)."""
        try:
            names = os.listdir(self.path("/proc"))
        except OSError:
            return
        for name in names:
            if name.isdigit():
                yield int(name)

    def cmdline(self, pid: int) -> list[str] | None:
        """A process's argv, or None when it is gone or unreadable."""
        try:
            raw = self.read_bytes(f"/proc/{pid}/cmdline", 1 << 20)
        except OSError:
            return None
        return [part.decode("utf-8", errors="replace") for part in raw.split(b"\0") if part]

    def find_processes(self, name: str) -> list[tuple[int, list[str]]]:
        """Processes whose executable name (argv[0]'s basename or /proc comm) is `name`."""
        return [
            (pid, argv)
            for pid, (argv, comm) in self.process_table().items()
            if os.path.basename(argv[0]) == name or comm == name
        ]

    def process_table(self) -> dict[int, tuple[list[str], str | None]]:
        """pid -> (argv, comm) of every user-space process, read once per Host: the kubelet,
        containerd and shim gatherers all look for processes, and one snapshot serves them."""
        cached = self._cache.get("processes")
        if isinstance(cached, dict):
            return cached
        table: dict[int, tuple[list[str], str | None]] = {}
        for pid in self.pids():
            argv = self.cmdline(pid)
            if argv:  # kernel threads have no command line
                table[pid] = (argv, self._comm(pid))
        self._cache["processes"] = table
        return table

    def _comm(self, pid: int) -> str | None:
        try:
            return self.read_text(f"/proc/{pid}/comm", 256).strip()
        except OSError:
            return None
