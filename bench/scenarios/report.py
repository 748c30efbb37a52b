"""Markdown tables of the runs and the targets, as ratios between subjects of the same run."""
from statistics import mean

from scenarios import S1_TOKENS


def f(v, digits=1):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def avg(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return mean(vals) if vals else None


def direct_baseline(runs, level):
    return [r for r in runs if r["subject"] == "direct" and r["level"] == level]


def latency_table(runs):
    rows = []
    for r in runs:
        base = direct_baseline(runs, r["level"])
        add = lambda k: (r[k] - avg(base, k)) if base and r["subject"] != "direct" else None
        rows.append([r["subject"], str(r["rep"]), f(r["ttft_p50"], 2), f(r["ttft_p99"], 2),
                     f(add("ttft_p99"), 2), f(r["gap_p50"], 2), f(r["gap_p99"], 2),
                     f(add("gap_p99"), 2), f(r.get("us_per_token")), f(r.get("relay_cpu_pct")),
                     f(r["errors"]), f(r["loadgen_cpu_pct"]), f(r["upstream_cpu_pct"])])
    return table(["subject", "run", "TTFT p50 ms", "TTFT p99 ms", "added TTFT p99", "gap p50 ms",
                  "gap p99 ms", "added gap p99", "relay CPU µs/token", "relay CPU %", "errors",
                  "loadgen CPU %", "upstream CPU %"], rows)


def throughput_table(runs):
    rows = []
    for r in runs:
        per_core = (r["tokens_per_s"] * 100 / r["relay_cpu_pct"]) if r.get("relay_cpu_pct") else None
        rows.append([r["subject"], str(r["rep"]), f(r["tokens_per_s"], 0), f(r["tokens"]),
                     f(r.get("cpu_s_per_mtok"), 2), f(r.get("relay_cpu_pct")), f(per_core, 0),
                     f(r.get("store_tx_per_s")), f(r["errors"]), f(r["loadgen_cpu_pct"]),
                     f(r["upstream_cpu_pct"])])
    return table(["subject", "run", "tokens/s", "tokens", "relay CPU s / 1M tokens", "relay CPU %",
                  "tokens/s per relay core", "SQLite tx/s", "errors", "loadgen CPU %", "upstream CPU %"], rows)


def concurrency_table(runs):
    rows = []
    for r in runs:
        lvl = f(r["level"]) + ("" if r["level"] == r["requested"] else f" (of {r['requested']:,})")
        rows.append([r["subject"], lvl, str(r["rep"]), f(r["peak"]), f(r["ok"]), f(r["errors"]),
                     f(r.get("rss_per_stream_kb"), 1), f(r.get("rss_peak_kb")),
                     f(r["ttft_p50"], 2), f(r["ttft_p99"], 2), f(r.get("steady_us_per_token")),
                     f(r["loadgen_cpu_pct"])])
    return table(["subject", "streams", "run", "held (peak)", "ok", "errors", "RSS KB/stream",
                  "relay RSS peak KB", "TTFT p50 ms", "TTFT p99 ms", "steady CPU µs/token",
                  "loadgen CPU %"], rows)


def resume_table(runs):
    rows = []
    for r in runs:
        res, integ = r["resume"], r["integrity"]
        rows.append([r["subject"], str(r["rep"]), f(r["level"]), f(r["streams"]), f(res["dropped"]),
                     f(res["caught_up"]), f(res["catchup_ms"]["p50"], 1),
                     f(res["catchup_ms"]["p99"], 1), f(res["catchup_ms"]["max"], 1),
                     f(integ["id_gaps"]), f(integ["id_dups"]),
                     f"{integ['content_mismatch']} of {integ['content_checked']}", f(r["errors"]),
                     f(r["ttft_p50"], 1), f(r["ttft_p99"], 1), f(r.get("relay_cpu_pct"))])
    return table(["subject", "run", "generations", "event streams", "dropped", "caught up",
                  "catch-up p50 ms", "p99 ms", "max ms", "id gaps", "id dups",
                  "content mismatches", "errors", "TTFT p50 ms", "TTFT p99 ms", "relay CPU %"], rows)


def scaling_table(runs):
    rows = []
    for r in runs:
        lvl = f(r["level"]) + ("" if r["level"] == r["requested"] else f" (of {r['requested']:,})")
        rows.append([r["subject"], lvl, str(r["rep"]), f(r.get("steady_tokens_per_s"), 0),
                     f(r.get("steady_us_per_token")), f(r.get("steady_cpu_pct")),
                     f(r.get("us_per_token")), f(r["errors"])])
    return table(["subject", "streams", "run", "steady tokens/s", "steady CPU µs/token",
                  "steady relay CPU %", "whole-run CPU µs/token", "errors"], rows)


def setup_table(runs):
    rows = []
    for r in runs:
        base = direct_baseline(runs, r["level"])
        add = (r["ttft_p50"] - avg(base, "ttft_p50")) if base and r["subject"] != "direct" else None
        per_s1_token = (r["us_per_stream"] / S1_TOKENS
                        if r.get("us_per_stream") is not None else None)
        rows.append([r["subject"], str(r["rep"]), f(r["ok"]), f(r["ttft_p50"], 3),
                     f(r["ttft_p99"], 3), f(add, 3), f(r.get("us_per_stream")), f(per_s1_token, 2),
                     f(r["errors"]), f(r["loadgen_cpu_pct"])])
    return table(["subject", "run", "streams", "TTFT p50 ms", "TTFT p99 ms", "added TTFT p50",
                  "relay CPU µs/stream", f"the same per token of an S1 stream ({S1_TOKENS} tokens)",
                  "errors", "loadgen CPU %"], rows)


TABLES = {"S1": latency_table, "S2": throughput_table, "S3": concurrency_table,
          "S4": resume_table, "S5": throughput_table, "SCALE": scaling_table,
          "SETUP": setup_table}


def of(runs, subject, level=None):
    return [r for r in runs if r["subject"] == subject and (level is None or r["level"] == level)]


def verdict(ok):
    return "met" if ok else "MISSED"


def ratio_line(label, value, limit, higher_is_better):
    if value is None:
        return f"- {label}: not measured"
    ok = value >= limit if higher_is_better else value <= limit
    sign = "≥" if higher_is_better else "≤"
    return f"- {label}: {value:.2f} (target {sign} {limit}) — {verdict(ok)}"


def targets(name, runs):
    """Target lines for one scenario, from means over the runs of each subject."""
    lines = []
    cs = [s for s in ("chatstream-v1", "chatstream-api") if of(runs, s)]
    if name == "S2":
        ng, fl = of(runs, "nginx"), of(runs, "flask")
        for s in cs:
            c = of(runs, s)
            if ng:
                lines.append(ratio_line(f"{s} CPU per token / nginx's",
                                        _div(avg(c, "us_per_token"), avg(ng, "us_per_token")), 2.0, False))
                lines.append(ratio_line(f"{s} tokens/s / nginx's",
                                        _div(avg(c, "tokens_per_s"), avg(ng, "tokens_per_s")), 0.5, True))
            if fl:
                lines.append(ratio_line(f"{s} tokens/s / flask's",
                                        _div(avg(c, "tokens_per_s"), avg(fl, "tokens_per_s")), 20, True))
    elif name == "S1":
        ng, d = of(runs, "nginx"), of(runs, "direct")
        for s in cs:
            c = of(runs, s)
            if ng and d:
                for k, label in (("ttft_p99", "added TTFT p99"), ("gap_p99", "added gap p99")):
                    mine, theirs = avg(c, k) - avg(d, k), avg(ng, k) - avg(d, k)
                    lines.append(f"- {s} {label}: {mine:.2f} ms vs nginx {theirs:.2f} ms — "
                                 f"{verdict(mine <= theirs)}")
                lines.append(ratio_line(f"{s} CPU µs per token / nginx's",
                                        _div(avg(c, "us_per_token"), avg(ng, "us_per_token")), 1.0, False))
    elif name == "S3":
        for s in cs:
            c = of(runs, s)
            top = max(r["level"] for r in c)
            t = [r for r in c if r["level"] == top]
            errs = sum(r["errors"] for r in t)
            lines.append(f"- {s} at {top:,} streams: errors {errs} — {verdict(errs == 0)}; "
                         f"RSS per stream {avg(t, 'rss_per_stream_kb'):.1f} KB (≤ 16) — "
                         f"{verdict(avg(t, 'rss_per_stream_kb') <= 16)}; TTFT p99 "
                         f"{max(r['ttft_p99'] for r in t):.2f} ms (≤ 10) — "
                         f"{verdict(max(r['ttft_p99'] for r in t) <= 10)}")
    elif name == "S4":
        for r in runs:
            res, integ = r["resume"], r["integrity"]
            ok = (res["caught_up"] == res["dropped"] and res["catchup_ms"]["max"] <= 1000 and
                  integ["id_gaps"] == 0 and integ["id_dups"] == 0 and integ["content_mismatch"] == 0)
            lines.append(f"- run {r['rep']}: {res['caught_up']}/{res['dropped']} caught up, slowest "
                         f"{res['catchup_ms']['max']:.1f} ms, gaps {integ['id_gaps']}, dups "
                         f"{integ['id_dups']}, content mismatches {integ['content_mismatch']} — "
                         f"{verdict(ok)}")
    elif name == "SETUP":
        ng = of(runs, "nginx")
        for s in cs:
            ratio = _div(avg(of(runs, s), "us_per_stream"), avg(ng, "us_per_stream")) if ng else None
            if ratio is not None:
                lines.append(f"- {s} CPU per stream / nginx's: {ratio:.2f} (what a stream costs "
                             f"besides its tokens; a part of S1's CPU per token)")
    elif name == "S5":
        on, off = of(runs, "chatstream-api"), of(runs, "chatstream-v1")
        if on and off:
            cost = 1 - avg(on, "tokens_per_s") / avg(off, "tokens_per_s")
            lines.append(f"- history on vs off: throughput cost {100 * cost:.1f}% (target ≤ 10%) — "
                         f"{verdict(cost <= 0.10)}; SQLite {f(avg(on, 'store_tx_per_s'))} tx/s")
    return lines


def _div(a, b):
    return a / b if a is not None and b else None
