"""Scenario definitions and one measured run: start the subject, sample it, run the load
generator on the other core, and turn what was measured into per-run metrics."""
import json
import math
import os
import subprocess
import time

from procs import Proc, Sampler, cpu_between, cpu_seconds, rss_kb
from subjects import LOAD_CPU

RATE_SCALE = 5000  # tokens/s offered in the scaling runs, whatever the concurrency
S1_TOKENS = 100  # tokens per S1 stream (SETUP's table spreads a stream's cost over them)


def s1(quick):
    return [dict(level=100, args=["-c", 100, "-t", S1_TOKENS, "--delay-ms", 20, "--ramp", 1,
                                  "-d", 5 if quick else 10])]


def s2(quick):
    return [dict(level=32, args=["-c", 32, "-t", 2000, "--delay-ms", 0, "--ramp", 0.5,
                                 "-d", 5 if quick else 10])]


def slow_levels(env, levels):
    """Concurrency levels that fit the descriptor limit (two descriptors per relayed stream)."""
    out = []
    for level in levels:
        fits = min(level, env.max_streams)
        out.append(dict(requested=level, level=fits))
    return out


def s3(env, quick):
    runs = []
    for lv in slow_levels(env, [1000] if quick else [1000, 5000, 10000]):
        n = lv["level"]
        ramp = max(1.0, n / 1000)  # 1,000 new streams per second
        tokens = int(math.ceil(ramp)) + 6
        lv["args"] = ["-c", n, "-n", n, "-t", tokens, "--delay-ms", 1000, "--ramp", ramp,
                      "--idle-timeout", 20]
        lv["window"] = (ramp + 1.0, tokens - 1.0)
        runs.append(lv)
    return runs


def scale(env, quick):
    runs = []
    for lv in slow_levels(env, [100, 1000] if quick else [100, 1000, 10000]):
        n = lv["level"]
        delay = max(1, int(n * 1000 / RATE_SCALE))
        ramp = max(1.0, n / 1000)  # 1,000 new streams per second
        tokens = int(math.ceil((ramp + 8.0) * 1000 / delay)) + 1
        lv["args"] = ["-c", n, "-n", n, "-t", tokens, "--delay-ms", delay, "--ramp", ramp,
                      "--idle-timeout", 20]
        lv["window"] = (ramp + 1.0, tokens * delay / 1000 - 1.0)
        runs.append(lv)
    return runs


def setup(quick):
    """One stream at a time: what a stream costs apart from its tokens (connection, request,
    upstream call, and for the own API its conversation and history writes). Enough streams
    for the relay's CPU time (read in 10 ms clock ticks) to be a third of a second or more."""
    n = 1000 if quick else 3000
    return [dict(level=1, args=["-c", 1, "-n", n, "-t", 1, "--delay-ms", 0, "--ramp", 0])]


def s4(quick):
    gens, drop = (100, 200) if quick else (500, 1000)
    return [dict(level=gens, args=["-c", gens, "-n", gens, "--subscribers", 4, "-t", 300,
                                   "--delay-ms", 20, "--ramp", 2, "--drop", drop,
                                   "--drop-at", 4])]


SUBJECTS = {
    "S1": ["direct", "nginx", "flask", "chatstream-v1", "chatstream-api"],
    "S2": ["direct", "nginx", "flask", "chatstream-v1", "chatstream-api"],
    "S3": ["direct", "nginx", "chatstream-v1", "chatstream-api"],
    "S4": ["chatstream-api"],
    "S5": ["chatstream-v1", "chatstream-api"],
    "SCALE": ["nginx", "chatstream-v1", "chatstream-api"],
    "SETUP": ["direct", "nginx", "flask", "chatstream-v1", "chatstream-api"],
}


def levels_for(name, env, quick):
    if name == "S1":
        return s1(quick)
    if name in ("S2", "S5"):
        return s2(quick)
    if name == "S3":
        return s3(env, quick)
    if name == "S4":
        return s4(quick)
    if name == "SETUP":
        return setup(quick)
    return scale(env, quick)


def run_loadgen(env, subject, args, tag):
    out = os.path.join(env.out_dir, f"{tag}.json")
    argv = [env.loadgen, *map(str, subject.loadgen_args()), *map(str, args), "--json", out, "-q"]
    proc = Proc(argv, LOAD_CPU, os.path.join(env.logs, f"{tag}.loadgen.log"))
    try:
        proc.popen.wait(timeout=600)
    except subprocess.TimeoutExpired:
        proc.stop()
        raise RuntimeError("loadgen did not finish in 600 s")
    proc.stop()
    with open(out) as f:
        return json.load(f)


def run_one(env, subject, level, tag):
    """One measured run of `subject` at `level`; returns a flat dict of metrics."""
    env.tag = tag
    subject.start()
    try:
        time.sleep(0.3)
        pid = subject.pid
        before = dict(cpu=cpu_seconds(pid) if pid else None, rss=rss_kb(pid) if pid else None,
                      up_cpu=cpu_seconds(env.upstream_pid), metrics=subject.metrics())
        sampler = Sampler({"relay": pid, "upstream": env.upstream_pid})
        sampler.start()
        lg = run_loadgen(env, subject, level["args"], tag)
        samples = sampler.finish()
        after = dict(cpu=cpu_seconds(pid) if pid else None, rss=rss_kb(pid) if pid else None,
                     up_cpu=cpu_seconds(env.upstream_pid), metrics=subject.metrics())
    finally:
        subject.stop()
    return metrics_of(subject.name, level, lg, before, after, samples)


def metrics_of(name, level, lg, before, after, samples):
    m = dict(subject=name, level=level["level"], requested=level.get("requested", level["level"]),
             tokens=lg["tokens"], tokens_per_s=lg["tokens_per_s"], ok=lg["ok"],
             errors=lg["error_total"], error_kinds=lg["errors"], peak=lg["peak_active"],
             streams=lg["subscribed"], wall_s=lg["wall_s"],
             ttft_p50=lg["ttft_ms"]["p50"], ttft_p99=lg["ttft_ms"]["p99"],
             ttft_max=lg["ttft_ms"]["max"], gap_p50=lg["gap_ms"]["p50"],
             gap_p99=lg["gap_ms"]["p99"], gap_max=lg["gap_ms"]["max"],
             loadgen_cpu_pct=lg["loadgen"]["cpu_pct"],
             upstream_cpu_pct=100 * (after["up_cpu"] - before["up_cpu"]) / max(lg["wall_s"], 1e-9),
             integrity=lg["integrity"], resume=lg["resume"])
    if before["cpu"] is not None:
        cpu = after["cpu"] - before["cpu"]
        m["relay_cpu_s"] = cpu
        m["relay_cpu_pct"] = 100 * cpu / max(lg["wall_s"], 1e-9)
        m["us_per_token"] = 1e6 * cpu / lg["tokens"] if lg["tokens"] else None
        m["cpu_s_per_mtok"] = m["us_per_token"]  # µs per token == s per 1M tokens
        m["us_per_stream"] = 1e6 * cpu / lg["ok"] if lg["ok"] else None
        peak_rss = max(s[2] for s in samples["relay"]) if samples.get("relay") else after["rss"]
        m["rss_before_kb"], m["rss_after_kb"], m["rss_peak_kb"] = before["rss"], after["rss"], peak_rss
        if lg["peak_active"]:
            m["rss_per_stream_kb"] = (peak_rss - before["rss"]) / lg["peak_active"]
        if "window" in level:
            m.update(window_cpu(level["window"], lg, samples["relay"]))
    tx0 = before["metrics"].get("store_write_transactions")
    tx1 = after["metrics"].get("store_write_transactions")
    if tx0 is not None and tx1 is not None:
        m["store_tx"] = tx1 - tx0
        m["store_tx_per_s"] = (tx1 - tx0) / max(lg["window_s"], 1e-9)
    return m


def window_cpu(window, lg, relay_samples):
    """CPU per token in the steady part of a run (all streams open, none finished yet)."""
    t0 = lg["t0_monotonic"]
    lo, hi = window
    if hi <= lo:
        return {}
    cpu, span = cpu_between(relay_samples, t0 + lo, t0 + hi)
    if cpu is None or span <= 0:
        return {}
    step = lg["timeline"]["step_s"]
    tl = lg["timeline"]["tokens"]
    # the tokens received in the same interval the CPU samples cover
    first = [s[0] for s in relay_samples if t0 + lo <= s[0] <= t0 + hi]
    a, b = first[0] - t0, first[-1] - t0
    tokens = sum(n for i, n in enumerate(tl) if a <= i * step and (i + 1) * step <= b)
    if tokens == 0:
        return {}
    return dict(steady_us_per_token=1e6 * cpu / tokens, steady_tokens_per_s=tokens / span,
                steady_cpu_pct=100 * cpu / span)
