"""Processes for the benchmark: start pinned, wait for ports, stop by PID, and read CPU time
and RSS of a process tree from /proc."""
import os
import socket
import subprocess
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_file(path, proc=None, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return None
        try:
            text = open(path).read().strip()
            if text:
                return text
        except OSError:
            pass
        time.sleep(0.05)
    return None


class Proc:
    """A child process pinned to `cpu` with taskset (taskset execs, so the PID is the program's)."""

    def __init__(self, argv, cpu, log_path, env=None):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.popen = subprocess.Popen(
            ["taskset", "-c", str(cpu)] + [str(a) for a in argv],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env)
        self.pid = self.popen.pid

    def poll(self):
        return self.popen.poll()

    def stop(self, timeout=10.0):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        self.log.close()

    def log_tail(self, n=2000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""


def tree_pids(pid):
    """`pid` and its descendants (nginx master + workers)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def cpu_seconds(pid):
    """user+sys CPU seconds of a process tree (live processes only)."""
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def rss_kb(pid):
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total


class Sampler(threading.Thread):
    """Samples (monotonic time, CPU seconds, RSS KB) of some process trees every `step` s."""

    def __init__(self, pids, step=0.2):
        super().__init__(daemon=True)
        self.pids = {k: v for k, v in pids.items() if v}
        self.step = step
        self.samples = {k: [] for k in self.pids}
        self._halt = threading.Event()

    def sample(self):
        now = time.monotonic()
        for name, pid in self.pids.items():
            self.samples[name].append((now, cpu_seconds(pid), rss_kb(pid)))

    def run(self):
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.step)

    def finish(self):
        self._halt.set()
        self.join()
        self.sample()
        return self.samples


def cpu_between(samples, t_from, t_to):
    """CPU seconds used between two monotonic times (nearest samples inside the interval)."""
    inside = [s for s in samples if t_from <= s[0] <= t_to]
    if len(inside) < 2:
        return None, 0.0
    return inside[-1][1] - inside[0][1], inside[-1][0] - inside[0][0]
