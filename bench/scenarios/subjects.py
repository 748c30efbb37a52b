"""The relays compared side by side. Each subject starts fresh for every run, pinned to the
relay core, and says how the load generator reaches it."""
import json
import os
import shutil
import tempfile
import urllib.request

from procs import Proc, free_port, wait_file, wait_port

RELAY_CPU = 0
LOAD_CPU = 1


class Subject:
    name = "?"
    kind = "openai"  # loadgen --kind
    model_prefix = ""
    description = ""

    def __init__(self, env):
        self.env = env  # Env: paths, upstream port, fd limit
        self.proc = None
        self.port = None
        self.dir = None

    def start(self):
        raise NotImplementedError

    def stop(self):
        if self.proc is not None:
            self.proc.stop()
            self.proc = None
        if self.dir is not None:
            err = os.path.join(self.dir, "error.log")
            if os.path.exists(err):
                shutil.copy(err, os.path.join(self.env.logs, f"{self.name}-{self.env.tag}.error.log"))
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def loadgen_args(self):
        args = ["--port", self.port, "--kind", self.kind, "--label", self.name]
        if self.model_prefix:
            args += ["--model-prefix", self.model_prefix]
        return args

    def metrics(self):
        return {}


class Direct(Subject):
    name = "direct"
    description = "load generator straight to fake-upstream (baseline)"

    def start(self):
        self.port = self.env.upstream_port


class Nginx(Subject):
    name = "nginx"
    description = "nginx reverse proxy, proxy_buffering off, HTTP/1.1 upstream, 1 worker"

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="bench-nginx-")
        self.port = free_port()
        template = open(os.path.join(self.env.root, "bench/relays/nginx.conf.in")).read()
        conf = (template.replace("@PREFIX@", self.dir)
                .replace("@PORT@", str(self.port))
                .replace("@UPSTREAM_PORT@", str(self.env.upstream_port))
                .replace("@NOFILE@", str(self.env.nofile))
                .replace("@CONNECTIONS@", str(max(1024, self.env.nofile))))
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.proc = Proc(["nginx", "-p", self.dir, "-c", path, "-e",
                          os.path.join(self.dir, "error.log"), "-g", "daemon off;"],
                         RELAY_CPU, os.path.join(self.env.logs, "nginx.log"))
        if not wait_port(self.port, self.proc.popen):
            raise RuntimeError("nginx did not start: " + self.proc.log_tail())


class Flask(Subject):
    name = "flask"
    description = "Python Flask + requests, threaded dev server (tutorial style)"

    def start(self):
        self.port = free_port()
        self.proc = Proc(["python3", os.path.join(self.env.root, "bench/relays/flask_relay.py"),
                          "--port", self.port, "--upstream",
                          f"http://127.0.0.1:{self.env.upstream_port}"],
                         RELAY_CPU, os.path.join(self.env.logs, "flask.log"))
        if not wait_port(self.port, self.proc.popen):
            raise RuntimeError("flask relay did not start: " + self.proc.log_tail())


class Chatstream(Subject):
    """chatstream with one I/O thread, pointed at fake-upstream through a provider table."""
    model_prefix = "fake/"

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="bench-chatstream-")
        cfg = os.path.join(self.dir, "bench.toml")
        with open(cfg, "w") as f:
            f.write('[[providers]]\nname = "fake"\nkind = "openai"\n'
                    f'base_url = "http://127.0.0.1:{self.env.upstream_port}/v1"\n'
                    'api_key = "bench"\nmodels = ["fake:tokens=10"]\n')
        port_file = os.path.join(self.dir, "port")
        self.proc = Proc([self.env.chatstream, "--port", "0", "--port-file", port_file,
                          "--data-dir", os.path.join(self.dir, "data"),
                          "--web-root", os.path.join(self.dir, "web"),
                          "--config", cfg, "--threads", "1", "--log-level", "warn",
                          "--max-generations", "50000", "--max-connections", "50000",
                          "--auto-titles=false"],
                         RELAY_CPU, os.path.join(self.env.logs, f"{self.name}.log"))
        port = wait_file(port_file, self.proc.popen)
        if port is None:
            raise RuntimeError(f"{self.name} did not start: " + self.proc.log_tail())
        self.port = int(port)

    def metrics(self):
        """Selected counters from /metrics (store write transactions)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out = {}
        for line in text.splitlines():
            if line.startswith("chatstream_store_write_transactions_total"):
                out["store_write_transactions"] = float(line.split()[-1])
        return out


class ChatstreamV1(Chatstream):
    name = "chatstream-v1"
    description = "chatstream /v1/chat/completions gateway (no history)"


class ChatstreamApi(Chatstream):
    name = "chatstream-api"
    kind = "chatstream"
    description = "chatstream own API (POST message, GET /events), history in SQLite"


ALL = {c.name: c for c in (Direct, Nginx, Flask, ChatstreamV1, ChatstreamApi)}


def probe(env, cls):
    """Starts a subject once and checks that one short stream works. Returns an error text."""
    import subprocess
    s = cls(env)
    try:
        s.start()
        out = subprocess.run([env.loadgen, *map(str, s.loadgen_args()), "-c", "1", "-t", "3",
                              "--grace", "5", "--json", "-", "-q"],
                             capture_output=True, text=True, timeout=30)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if result["ok"] != 1:
            return f"probe stream failed: {result['errors']}"
        return None
    except (RuntimeError, OSError, ValueError, IndexError, subprocess.TimeoutExpired) as e:
        return str(e)[:300]
    finally:
        s.stop()
