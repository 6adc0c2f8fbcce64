"""Start and stop the melody studio: ``streamlit run rnncells/studio/app.py -- --runs DIR`` in a subprocess.

:func:`serve` runs it in the foreground (``rnncells studio``); :func:`start`, :func:`wait_until_ready` and
:func:`stop` are for callers that drive the page themselves (the browser test).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from rnncells.config.options import whole_number
from rnncells.errors import RnncellsError
from rnncells.studio.catalogue import RUNS_ENV, SHIPPED_RUNS

APP = Path(__file__).resolve().with_name("app.py")
THEME_COLOR = "#3b6fb6"  # the piano roll's note colour


class StudioError(RnncellsError, RuntimeError):
    """The studio cannot start (Streamlit missing, port taken) or did not come up; the message says why."""


def studio_command(runs_dir: str | Path, port: int = 8501, host: str = "127.0.0.1") -> list[str]:
    """The ``streamlit run`` command line of the studio on ``runs_dir``."""
    options = {
        "server.port": port,
        "server.address": host,
        "server.headless": "true",  # no browser tab, no e-mail prompt
        "server.fileWatcherType": "none",
        "browser.gatherUsageStats": "false",
        "global.developmentMode": "false",
        "client.showErrorDetails": "none",  # an unexpected error must never put a traceback on the page
        "client.toolbarMode": "viewer",
        "theme.primaryColor": THEME_COLOR,
    }
    flags = [item for name, value in options.items() for item in (f"--{name}", str(value))]
    return [sys.executable, "-m", "streamlit", "run", str(APP), *flags, "--", "--runs", str(Path(runs_dir))]


def check_can_start(runs_dir: str | Path, port: int, host: str) -> None:
    """Raise :class:`StudioError` when Streamlit is missing, the port is taken, or ``runs_dir`` is a file."""
    if importlib.util.find_spec("streamlit") is None:
        raise StudioError("streamlit is not installed; install it: pip install streamlit")
    if Path(runs_dir).is_file():
        raise StudioError(f"{runs_dir} is a file; --runs takes a folder of runs (each with run.json)")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is fine
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StudioError(f"cannot listen on {host}:{port} ({error.strerror}); pass another --port") from None


def start(
    runs_dir: str | Path,
    port: int = 8501,
    host: str = "127.0.0.1",
    log: IO | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start the studio server in the background; its output goes to ``log`` (default: this process's)."""
    check_can_start(runs_dir, port, host)
    environment = dict(os.environ if env is None else env)
    environment[RUNS_ENV] = str(Path(runs_dir))
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    environment.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    return subprocess.Popen(
        studio_command(runs_dir, port, host),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT if log else None,
        env=environment,
    )


def url_of(port: int, host: str = "127.0.0.1") -> str:
    """The page's address."""
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def wait_until_ready(process: subprocess.Popen, port: int, host: str = "127.0.0.1", timeout_s: float = 60.0) -> str:
    """Wait for the server's health check to answer ``ok``; returns the page's URL."""
    url = url_of(port, host)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StudioError(f"the studio server stopped (exit code {process.returncode}) before answering on {url}")
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return url
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise StudioError(f"the studio server did not answer on {url} within {timeout_s:g} s")


def stop(process: subprocess.Popen, timeout_s: float = 10.0) -> int:
    """Stop the server (SIGTERM, then SIGKILL after ``timeout_s``); returns its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout_s)
    return process.returncode


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(runs_dir: str | Path = SHIPPED_RUNS, port: int = 8501, host: str = "127.0.0.1") -> int:
    """Serve the studio on ``host:port`` until interrupted (Ctrl-C or SIGTERM); returns 0, or the server's
    exit code if it stopped by itself."""
    process = start(runs_dir, port, host)
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous = signal.signal(signal.SIGTERM, _interrupt)  # a plain kill stops the server, not orphans it
    try:
        url = wait_until_ready(process, port, host)
        print(f"melody studio: {url}  (runs: {Path(runs_dir).resolve()}; Ctrl-C stops it)", flush=True)
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(process)
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def add_studio_command(commands) -> None:
    """``rnncells studio [--runs FOLDER] [--port N] [--host ADDRESS]``."""
    parser = commands.add_parser(
        "studio",
        help="serve the melody studio web page (generate, listen, download MIDI)",
        description="Serve the melody studio (Streamlit) on HOST:PORT: pick a trained run, key, octave, scale, BPM, "
        "bars, randomness, instrument, number of melodies, sampling (random or beam search) and a MIDI file to "
        "start from; see the piano rolls, play the audio (FluidSynth) and download the MIDI files. Ctrl-C stops it.",
    )
    parser.add_argument(
        "--runs",
        type=Path,
        help="folder searched for trained runs (run.json); default: the model shipped in results/models",
    )
    parser.add_argument(
        "--port", type=whole_number(1, 65535), default=8501, help="port to listen on, 1-65535 (default 8501)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for every network interface)",
    )


def run_studio(args: argparse.Namespace) -> int:
    return serve(args.runs or SHIPPED_RUNS, port=args.port, host=args.host)
