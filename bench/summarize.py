#!/usr/bin/env python3
"""bench/summarize.py RAW NOTES OUT key=value...: the benchmark's table and JSON file.

RAW has one line per measurement: figure, unit, impl (ours|306|keepalived), run, value. NOTES has
impl, label, run, text. The key=value pairs describe the machine and the run (see bench.sh).
Prints `figure  ours median/min/max  3.0.6 …  ours/3.0.6  keepalived …  ours/keepalived` per
figure (the keepalived columns when a figure has them) and writes OUT.
Also usable on an existing results file: summarize.py --show FILE.json.
"""
import json
import statistics
import sys

IMPLS = {"ours": "ours", "306": "3.0.6", "keepalived": "keepalived"}
# Each peer implementation and the key of ours/peer's ratio in a figure.
PEERS = {"3.0.6": "ratio", "keepalived": "ratio_keepalived"}


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100 or v == int(v):
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"


def stats(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def table(figures):
    peers = [p for p in PEERS if any(f.get(p) for f in figures.values())]
    rows = [("figure", "unit", "ours med/min/max") + sum(((f"{p} med/min/max", f"ours/{p}") for p in peers), ())]
    for name, f in figures.items():
        cells = [name, f["unit"]]
        for impl in ["ours"] + peers:
            s = f.get(impl)
            cells.append("-" if s is None else f"{fmt(s['median'])}/{fmt(s['min'])}/{fmt(s['max'])} (n={s['n']})")
            if impl != "ours":
                ratio = f.get(PEERS[impl])
                cells.append("-" if ratio is None else f"{ratio:.2f}")
        rows.append(tuple(cells))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def main():
    if sys.argv[1] == "--show":
        data = json.load(open(sys.argv[2]))
        print(table(data["figures"]))
        return
    raw_path, notes_path, out_path = sys.argv[1:4]
    meta = dict(arg.split("=", 1) for arg in sys.argv[4:])
    raw, order = [], []
    for line in open(raw_path):
        if not line.strip():
            continue
        figure, unit, impl, run, value = line.rstrip("\n").split("\t")
        raw.append({"figure": figure, "unit": unit, "impl": IMPLS[impl], "run": int(run), "value": float(value)})
        if figure not in order:
            order.append(figure)
    notes = []
    for line in open(notes_path):
        if line.strip():
            impl, label, run, text = line.rstrip("\n").split("\t", 3)
            notes.append({"impl": label, "run": int(run), "note": text})
    figures = {}
    for name in order:
        rows = [r for r in raw if r["figure"] == name]
        f = {"unit": rows[0]["unit"]}
        for impl in IMPLS.values():
            values = [r["value"] for r in rows if r["impl"] == impl]
            if values or impl != "keepalived":
                f[impl] = stats(values)
            if values:
                f[impl]["runs"] = values
        for peer, key in PEERS.items():
            a, b = f["ours"], f.get(peer)
            if peer in f or key == "ratio":
                f[key] = a["median"] / b["median"] if a and b and b["median"] else None
        figures[name] = f
    machine = {k: meta.pop(k) for k in ("uname", "nproc", "cpu", "mem_total_kb") if k in meta}
    result = {
        "date": meta.pop("date", None),
        "commit": meta.pop("commit", None),
        "machine": machine,
        "settings": meta,
        "figures": figures,
        "notes": notes,
        "raw": raw,
    }
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print()
    print(table(figures))
    for n in notes:
        print(f"note: {n['impl']} run {n['run']}: {n['note']}")
    print(f"\nresults: {out_path}")


if __name__ == "__main__":
    main()
