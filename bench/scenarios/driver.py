"""bench/run's driver: starts fake-upstream, runs the scenarios against each subject (each run
at least twice), and prints the tables and the targets. See docs/benchmarks.md."""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import report
import scenarios
from procs import Proc, wait_file
from subjects import ALL, LOAD_CPU, RELAY_CPU, probe

ORDER = ["S1", "S2", "S3", "S4", "S5", "SCALE", "SETUP"]
TITLES = {
    "S1": "S1 latency: 100 concurrent streams, 100 tokens at 20 ms",
    "S2": "S2 throughput: 32 concurrent streams of 2,000 tokens, no upstream delay",
    "S3": "S3 concurrency: slow streams (1 token/s) held open",
    "S4": "S4 fan-out and resume storm: 4 subscribers per generation, then a drop/reconnect storm",
    "S5": "S5 history cost: S2 through chatstream with history (own API, SQLite) and without (/v1)",
    "SCALE": f"Scaling: CPU per token at a fixed {scenarios.RATE_SCALE:,} tokens/s offered",
    "SETUP": "Per-stream cost: one stream at a time, one token each, no upstream delay",
}


class Env:
    pass


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def machine(env):
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(open("/proc/meminfo").readline().split()[1]) // 1024
    ngx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    return (f"{cpu}, {os.cpu_count()} cores, {mem:,} MB RAM, Linux {platform.release()}; "
            f"{ngx}; Python {platform.python_version()}; open-file limit {env.nofile:,} "
            f"(so at most {env.max_streams:,} relayed streams)")


def start_upstream(env):
    port_file = os.path.join(env.out_dir, "upstream.port")
    env.upstream = Proc([env.fake_upstream, "--listen", "127.0.0.1:0", "--port-file", port_file,
                         "--threads", "1", "--max-records", "16"],
                        LOAD_CPU, os.path.join(env.logs, "fake-upstream.log"))
    port = wait_file(port_file, env.upstream.popen)
    if port is None:
        sys.exit("fake-upstream did not start: " + env.upstream.log_tail())
    env.upstream_port, env.upstream_pid = int(port), env.upstream.pid


def available_subjects(env, wanted):
    ok, notes = [], []
    for name in wanted:
        if name.startswith("chatstream") and not os.path.exists(env.chatstream):
            notes.append(f"{name}: skipped (no chatstream binary)")
            continue
        err = probe(env, ALL[name])
        if err:
            notes.append(f"{name}: skipped ({err})")
        else:
            ok.append(name)
    return ok, notes


def run_scenario(env, name, subjects, reps, quick, results):
    print(f"\n## {TITLES[name]}\n", flush=True)
    runs = []
    if name == "S5" and results.get("S2"):  # S5 is read from the S2 runs when they exist
        runs = [r for r in results["S2"] if r["subject"] in subjects]
    else:
        for level in scenarios.levels_for(name, env, quick):
            for rep in range(1, reps + 1):
                for s in subjects:
                    tag = f"{name}-{s}-{level['level']}-{rep}"
                    print(f"  running {tag} …", file=sys.stderr, flush=True)
                    try:
                        m = scenarios.run_one(env, ALL[s](env), level, tag)
                    except (RuntimeError, OSError, ValueError, KeyError) as e:
                        print(f"  {tag} failed: {e}", file=sys.stderr)
                        continue
                    m["rep"] = rep
                    runs.append(m)
    results[name] = runs
    print(report.TABLES[name](runs))
    lines = report.targets(name, runs)
    if lines:
        heading = "Ratios from this run (no target)" if name == "SETUP" else \
            "Targets (ratios from this run)"
        print(f"\n{heading}:\n" + "\n".join(lines))
    if name in ("S3", "SCALE") and any(r["level"] != r["requested"] for r in runs):
        print(f"\nThe top level ran at {env.max_streams:,} streams: a relayed stream needs two "
              f"descriptors and the hard open-file limit is {env.nofile:,}.")
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenarios", nargs="*", help="S1 S2 S3 S4 S5 SCALE SETUP (default: all)")
    ap.add_argument("--build", required=True)
    ap.add_argument("--reps", type=int, default=2, help="runs per subject (default 2)")
    ap.add_argument("--quick", action="store_true", help="short runs, fewer levels")
    ap.add_argument("--subjects", default="", help="comma-separated subset of subjects")
    args = ap.parse_args()
    chosen = [s.upper() for s in args.scenarios] or ORDER
    for s in chosen:
        if s not in ORDER:
            sys.exit(f"unknown scenario {s}; choose from {' '.join(ORDER)}")

    env = Env()
    env.root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    env.loadgen = os.path.join(args.build, "bench/loadgen/loadgen")
    env.fake_upstream = os.path.join(args.build, "tools/fake-upstream/fake-upstream")
    env.chatstream = os.path.join(args.build, "src/app/chatstream")
    env.tag = "probe"
    env.nofile = raise_nofile()
    env.max_streams = min(10000, (env.nofile - 200) // 2 // 100 * 100)
    env.out_dir = os.path.join(env.root, "build", "bench-results", time.strftime("%Y%m%d-%H%M%S"))
    env.logs = os.path.join(env.out_dir, "logs")
    os.makedirs(env.logs, exist_ok=True)

    print("# chatstream benchmarks\n")
    print(f"Machine: {machine(env)}.")
    print(f"Pinning: relay on CPU {RELAY_CPU}; fake-upstream and the load generator on CPU "
          f"{LOAD_CPU} (taskset). Every subject runs {args.reps}× per level; each run is shown.")
    start_upstream(env)
    try:
        wanted = sorted({s for sc in chosen for s in scenarios.SUBJECTS[sc]},
                        key=list(ALL).index)
        if args.subjects:
            wanted = [s for s in wanted if s in args.subjects.split(",")]
        ok, notes = available_subjects(env, wanted)
        for n in notes:
            print(f"Note: {n}")
        results = {}
        if "S5" in chosen and "S2" not in chosen:
            pass  # S5 runs its own S2 load for the two chatstream subjects
        for name in [s for s in ORDER if s in chosen]:
            subjects = [s for s in scenarios.SUBJECTS[name] if s in ok]
            if not subjects:
                print(f"\n## {TITLES[name]}\n\nNo subject available.")
                continue
            run_scenario(env, name, subjects, args.reps, args.quick, results)
        with open(os.path.join(env.out_dir, "results.json"), "w") as f:
            json.dump(dict(machine=machine(env), results=results), f, indent=1)
        print(f"\nRaw results: {os.path.relpath(env.out_dir, env.root)}/results.json")
    finally:
        env.upstream.stop()


if __name__ == "__main__":
    main()
