"""The children a benchmark script starts (brokers, load generators), so that
every one of them is stopped on any exit: SIGTERM, a bounded wait, then
SIGKILL. Shared by run_broker_bench.py and run_protocol_bench.py."""
import contextlib
import signal
import subprocess
import time


class Procs:
    """Every child a script starts, so that all of them end on any exit."""

    def __init__(self):
        self.procs = []
        self.interrupted = False  # then children get 5 s after SIGTERM, not the full timeout

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, timeout=30):
        """SIGTERM, wait, SIGKILL. Returns (seconds to exit, return code)."""
        t = time.monotonic()
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
            try:
                p.wait(min(timeout, 5) if self.interrupted else timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        with contextlib.suppress(ValueError):
            self.procs.remove(p)
        return time.monotonic() - t, p.returncode

    def stop_all(self):
        for p in list(self.procs):
            self.stop(p, timeout=10)
