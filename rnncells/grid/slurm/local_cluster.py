"""A real single-node Slurm cluster in a folder, for trying the Slurm path on a laptop and for the tests.

    python -m rnncells.grid.slurm.local_cluster up /tmp/slurm      # prints: export
    SLURM_CONF=/tmp/slurm/slurm.conf python -m rnncells.grid.slurm.local_cluster status /tmp/slurm
    python -m rnncells.grid.slurm.local_cluster down /tmp/slurm

Everything the cluster writes (config, state, spool, pid files, logs) stays in the folder. It needs root (or a user
that may run munged and slurmd) and the Debian packages ``slurm-wlm munge`` (docs/method.md §8). ``stop`` ends only the
daemons that ``start`` began, by the PIDs in their pid files; a munged that was already running is left alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from rnncells.errors import RnncellsError
from rnncells.files import write_text_atomic
from rnncells.grid.supervise import process_alive

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "squeue", "scancel")
MUNGE_PID_FILE = Path("/run/munge/munged.pid")
# slurmd makes Unix sockets in its spool folder, named <node>_<job>.<step>; the kernel caps socket paths at 108 bytes
MAX_FOLDER_CHARS = 70


class SlurmUnavailableError(RnncellsError, RuntimeError):
    """The Slurm or munge programs are not installed."""


class LocalSlurmError(RnncellsError, RuntimeError):
    """The local cluster could not be started or stopped; the message names the log to read."""


def which(name: str) -> str | None:
    """The full path of program ``name``, looking in /usr/sbin too (where munged and the daemons live)."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))


def missing_binaries() -> list[str]:
    """The programs of :data:`BINARIES` that are not installed."""
    return [name for name in BINARIES if which(name) is None]


def read_pid(pid_file: Path, name: str | None = None) -> int | None:
    """The PID in ``pid_file`` if that process is alive (and, given ``name``, is that program), else None.

    Checking the name keeps a stale pid file, whose PID the system has since given to another program, from
    pointing us at the wrong process.
    """
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if not process_alive(pid):
        return None
    if name is not None:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != name[:15]:  # the kernel keeps 15 characters
                return None
        except OSError:
            return None
    return pid


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that are free on this machine right now."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def total_memory_mb() -> int:
    """This machine's memory in MB, from /proc/meminfo."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise LocalSlurmError("no MemTotal line in /proc/meminfo; cannot size the Slurm node")


def _log_tail(path: Path, lines: int = 1) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_munged(timeout: float = 10) -> int:
    """Start munged (as root, the way docs/method.md §8 does) and return its PID."""
    # Debian's munge package leaves /run/munge to systemd; without systemd nothing makes it
    MUNGE_PID_FILE.parent.mkdir(parents=True, exist_ok=True)
    # --force: munged runs as root and complains that /var/log/munge belongs to the munge user
    result = subprocess.run([which("munged") or "munged", "--force"], capture_output=True, text=True, timeout=60)
    deadline = time.monotonic() + timeout
    while result.returncode == 0 and time.monotonic() < deadline:
        pid = read_pid(MUNGE_PID_FILE, "munged")
        if pid is not None:
            return pid
        time.sleep(0.05)
    raise LocalSlurmError(f"munged did not start (exit {result.returncode}): {' '.join(result.stderr.split())}")


class LocalSlurm:
    """One slurmctld and one slurmd on this machine, configured and kept in ``folder``."""

    def __init__(self, folder: Path | str, partition: str = "local"):
        self.folder = Path(folder).resolve()
        self.partition = partition
        self.conf = self.folder / "slurm.conf"
        self.log_dir = self.folder / "log"
        self.pid_files = {"slurmctld": self.folder / "slurmctld.pid", "slurmd": self.folder / "slurmd.pid"}
        # the PID of a munged this object started; kept in a file so `down` in another process can stop it
        self.munged_marker = self.folder / "munged-started-by-us.pid"

    # ---- state ----------------------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment variables a Slurm client needs to talk to this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    def pids(self) -> dict[str, int]:
        """The live daemons this object started: name → PID (munged only when we started it)."""
        found = {name: read_pid(path, name) for name, path in self.pid_files.items()}
        found["munged"] = read_pid(self.munged_marker, "munged")
        return {name: pid for name, pid in found.items() if pid is not None}

    @property
    def started_munged(self) -> bool:
        """True when ``start`` had to start munged (and ``stop`` will stop it)."""
        return read_pid(self.munged_marker, "munged") is not None

    def running(self) -> bool:
        """True while both slurmctld and slurmd of this folder are alive."""
        return all(read_pid(path, name) is not None for name, path in self.pid_files.items())

    def node_states(self) -> list[str]:
        """The node's state as sinfo reports it (``idle``, ``mixed``, ``allocated``, ``down*`` ...)."""
        result = self._client(["sinfo", "--noheader", "--Node", "--format=%T"], check=False)
        return result.stdout.split() if result.returncode == 0 else []

    def jobs(self) -> list[str]:
        """The IDs of the jobs this cluster still has queued or running."""
        result = self._client(["squeue", "--noheader", "--format=%i"], check=False)
        return result.stdout.split() if result.returncode == 0 else []

    # ---- start ----------------------------------------------------------------------------------------------

    def start(self, timeout: float = 30) -> None:
        """Start munged (if none runs), slurmctld and slurmd, and wait until the node is idle."""
        missing = missing_binaries()
        if missing:
            raise SlurmUnavailableError(
                f"{', '.join(missing)} not found: install Slurm with `apt-get install -y slurm-wlm munge`"
            )
        if len(str(self.folder)) > MAX_FOLDER_CHARS:
            raise LocalSlurmError(
                f"folder {self.folder} is too long for slurmd's socket paths; "
                f"use one of at most {MAX_FOLDER_CHARS} characters"
            )
        if self.running():
            self.wait_idle(timeout)
            return
        for sub in ("state", "spool", "log"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        self._ensure_munged()
        self.write_conf()
        try:
            self._start_daemon("slurmctld", ["slurmctld", "-c"])
            self._start_daemon("slurmd", ["slurmd"])
            self.wait_idle(timeout)
        except BaseException:
            self.stop()
            raise

    def write_conf(self) -> Path:
        """Write the minimal slurm.conf (docs/method.md §8) with its own free ports; return its path."""
        host = socket.gethostname().split(".")[0]
        ctld_port, slurmd_port = free_ports(2)
        cpus = os.cpu_count() or 1
        memory = max(256, int(total_memory_mb() * 0.9))
        folder = self.folder
        lines = [
            "# Written by rnncells.grid.slurm.local_cluster: a one-node cluster on this machine.",
            "ClusterName=rnncells-local",
            f"SlurmctldHost={host}(127.0.0.1)",
            "SlurmUser=root",
            f"SlurmctldPort={ctld_port}",
            f"SlurmdPort={slurmd_port}",
            "AuthType=auth/munge",
            f"StateSaveLocation={folder / 'state'}",
            f"SlurmdSpoolDir={folder / 'spool'}",
            f"SlurmctldPidFile={self.pid_files['slurmctld']}",
            f"SlurmdPidFile={self.pid_files['slurmd']}",
            f"SlurmctldLogFile={self.log_dir / 'slurmctld.log'}",
            f"SlurmdLogFile={self.log_dir / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "ReturnToService=2",
            "MinJobAge=3600",  # keep finished jobs' records an hour, so a slow finishing job can still read them
            "MpiDefault=none",
            # start batch jobs at once: the default waits up to 3 s per scheduling pass, for clusters fed
            # thousands of jobs; here it tripled the time of a 4-task array and its dependent job
            "SchedulerParameters=batch_sched_delay=0",
            f"NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN",
            f"PartitionName={self.partition} Nodes={host} Default=YES MaxTime=INFINITE State=UP",
        ]
        return write_text_atomic(self.conf, "\n".join(lines) + "\n")

    def wait_idle(self, timeout: float = 30) -> None:
        """Wait until the node is idle: up, and no job of this cluster queued or running."""
        deadline = time.monotonic() + timeout
        while True:
            states = self.node_states()
            if states and all(state == "idle" for state in states) and not self.jobs():
                return
            if not self.running():
                raise LocalSlurmError(
                    f"the Slurm daemons of {self.folder} are not running; "
                    f"see {self.log_dir}: {_log_tail(self.log_dir / 'slurmctld.log')}"
                )
            if time.monotonic() > deadline:
                raise LocalSlurmError(
                    f"node not idle after {timeout:.0f} s (sinfo says {states or 'nothing'}); "
                    f"see {self.log_dir / 'slurmd.log'}: {_log_tail(self.log_dir / 'slurmd.log')}"
                )
            time.sleep(0.3)

    def _ensure_munged(self) -> None:
        if read_pid(MUNGE_PID_FILE, "munged") is None:
            write_text_atomic(self.munged_marker, f"{start_munged()}\n")

    def _start_daemon(self, name: str, command: list[str]) -> None:
        self.pid_files[name].unlink(missing_ok=True)
        # the daemons fork into the background; the foreground process returns once they are set up
        result = self._client(command, check=False)
        log = self.log_dir / f"{name}.log"
        if result.returncode != 0 or self._wait_for_pid(self.pid_files[name], name, 10) is None:
            raise LocalSlurmError(
                f"{name} did not start (exit {result.returncode}); see {log}: "
                f"{' '.join(result.stderr.split()) or _log_tail(log)}"
            )

    @staticmethod
    def _wait_for_pid(pid_file: Path, name: str, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = read_pid(pid_file, name)
            if pid is not None:
                return pid
            time.sleep(0.05)
        return None

    def _client(self, command: list[str], check: bool = True) -> subprocess.CompletedProcess:
        command = [which(command[0]) or command[0], *command[1:]]
        return subprocess.run(
            command, env={**os.environ, **self.env()}, capture_output=True, text=True, check=check, timeout=60
        )

    # ---- stop -----------------------------------------------------------------------------------------------

    def stop(self, timeout: float = 15) -> None:
        """Cancel this cluster's jobs, then end slurmd, slurmctld and (if we started it) munged, by their PIDs."""
        if read_pid(self.pid_files["slurmctld"], "slurmctld") is not None:
            jobs = self.jobs()
            if jobs:
                self._client(["scancel", *jobs], check=False)
                deadline = time.monotonic() + 5
                while self.jobs() and time.monotonic() < deadline:
                    time.sleep(0.2)
        for name in ("slurmd", "slurmctld"):
            pid = read_pid(self.pid_files[name], name)
            if pid is not None:
                self._terminate(name, pid, timeout)
        munged = read_pid(self.munged_marker, "munged")
        if munged is not None:
            self._terminate("munged", munged, timeout)
        self.munged_marker.unlink(missing_ok=True)

    @staticmethod
    def _terminate(name: str, pid: int, timeout: float) -> None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while process_alive(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                time.sleep(0.5)
                if process_alive(pid):
                    raise LocalSlurmError(f"{name} (PID {pid}) did not exit after SIGKILL")
                return
            time.sleep(0.05)

    # ---- context manager ------------------------------------------------------------------------------------

    def __enter__(self) -> LocalSlurm:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m rnncells.grid.slurm.local_cluster up|down|status FOLDER``."""
    parser = argparse.ArgumentParser(
        prog="python -m rnncells.grid.slurm.local_cluster",
        description="A one-node Slurm cluster kept in FOLDER.",
    )
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    cluster = LocalSlurm(args.folder)
    try:
        if args.action == "up":
            cluster.start()
            print(f"Slurm is up ({', '.join(f'{name} {pid}' for name, pid in cluster.pids().items())}). Run:")
            for key, value in cluster.env().items():
                print(f"export {key}={value}")
        elif args.action == "down":
            cluster.stop()
            print(f"Slurm in {cluster.folder} is down. Run:\nunset SLURM_CONF")
        else:
            if not cluster.running():
                print(f"Slurm in {cluster.folder} is not running.")
                return 1
            print(
                f"Slurm in {cluster.folder} is running: node {', '.join(cluster.node_states())}, "
                f"{len(cluster.jobs())} job(s) queued or running."
            )
            for key, value in cluster.env().items():
                print(f"export {key}={value}")
    except (SlurmUnavailableError, LocalSlurmError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
