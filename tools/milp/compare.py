#!/usr/bin/env python3
"""Compare omniroute's exact optimiser with a general MILP solver (HiGHS).

For each seeded instance (the spec's worked examples, then random networks
in the style of the routing benches) it

1. routes the instance with `examples/route.rs --strategy optimal --timing`
   (release build; the time per instance covers the routing call only, JSON
   parsing excluded); with `--network`, `--network` is passed too: each
   instance's nodes are compiled into a `RoutingNetwork` outside the timer
   (as HiGHS's model building is outside its timer) and the timed call is
   `RoutingNetwork::route_with` — one call per instance, cold caches;
2. builds the MILP of shared/spec/routing-instance.md — binary "node ships"
   y[k], integer units x[k][l] for eligible pairs, integer unfilled u[l],
   binaries for whole lines / keep-together groups and for ship-complete —
   and solves it with HiGHS (mip_rel_gap 0), timing `Highs.run()` only;
3. recomputes the exact cost of HiGHS's solution from the instance with
   Fractions (x rounded to the nearest integer) and compares it with
   omniroute's reported cost, exactly. Statuses must agree too.

Usage (from the crate root, with ../shared beside it):

    pip install highspy
    python3 tools/milp/compare.py [--count N] [--seed S] [--network]

Not part of CI or the README's test command.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

import highspy

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "..", "shared", "spec", "examples")


def dec(s):
    return Fraction(s) if s is not None else Fraction(0)


def network(rng, nodes, skus=200):
    """Like benches/routing.rs: DCs (1 in 10) stock 90 % of the catalogue, stores 15 %."""
    ns, stock = [], {}
    for i in range(nodes):
        nid = f"n{i:04d}"
        dc = i % 10 == 0
        ns.append({
            "id": nid,
            "kind": "warehouse" if dc else "store",
            "priority": rng.randrange(10),
            "location": {"lat": 25 + rng.randrange(2300) / 100, "lon": -(70 + rng.randrange(5000) / 100)},
            "shipment_cost": f"{(7500 + rng.randrange(2500)) / 1000:.3f}",
            "unit_cost": f"{(5000 + rng.randrange(12000)) / 10000:.4f}",
        })
        pct = 90 if dc else 15
        stock[nid] = {f"SKU-{s}": 1 + rng.randrange(12) for s in range(skus) if rng.randrange(100) < pct}
    return ns, stock


def instance(rng, nodes, stock, lines, idx, skus=200):
    chosen = rng.sample(range(skus), lines)
    return {
        "format": "omniroute.instance/1",
        "nodes": nodes,
        "stock": stock,
        "order": {
            "id": f"milp-{idx}",
            "destination": {"lat": 40.0, "lon": -90.0},
            "lines": [{"id": str(i + 1), "sku": f"SKU-{s}", "quantity": 1 + rng.randrange(3)} for i, s in enumerate(chosen)],
        },
        "rules": {"unfilled_unit_penalty": "20.6612"},
    }


def model(inst):
    """Returns (Highs, decode) where decode(solution) -> exact cost or None."""
    nodes = inst["nodes"]
    order = inst["order"]
    lines = order["lines"]
    rules = inst.get("rules") or {}
    stock = inst.get("stock") or {}
    uc = inst.get("unit_costs") or {}
    split = rules.get("split_lines")
    split = True if split is None else split
    ship_complete = bool(rules.get("ship_complete"))
    max_ship = rules.get("max_shipments")
    pen = rules.get("unfilled_unit_penalty")
    within = order.get("deliver_within_days")
    pickup = order.get("pickup_at")
    demand = sum(l["quantity"] for l in lines)

    def unit(n, sku):
        return dec((uc.get(n["id"]) or {}).get(sku, n.get("unit_cost")))

    def eligible(n, l):
        if pickup is not None and n["id"] != pickup:
            return False
        if within is not None and n.get("transit_days") is not None and n["transit_days"] > within:
            return False
        caps = set(n.get("capabilities") or [])
        if not set(l.get("requires") or []) <= caps:
            return False
        return (stock.get(n["id"]) or {}).get(l["sku"], 0) > 0

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    nvar = 0

    def var(lo, hi, cost, integer):
        nonlocal nvar
        h.addVar(lo, hi)
        h.changeColCost(nvar, float(cost))
        if integer:
            h.changeColIntegrality(nvar, highspy.HighsVarType.kInteger)
        nvar += 1
        return nvar - 1

    def row(lo, hi, idx, val):
        h.addRow(lo, hi, len(idx), idx, val)

    y = {}
    x = {}
    for k, n in enumerate(nodes):
        if any(eligible(n, l) for l in lines):
            y[k] = var(0, 1, dec(n.get("shipment_cost")), True)
    for k in y:
        n = nodes[k]
        for j, l in enumerate(lines):
            if eligible(n, l):
                x[k, j] = var(0, l["quantity"], unit(n, l["sku"]), True)
    u = {}
    for j, l in enumerate(lines):
        u[j] = var(0, l["quantity"] if pen is not None else 0, dec(pen) if pen is not None else 0, True)
    # Every unit ships or is unfilled.
    for j, l in enumerate(lines):
        idx = [x[k, j] for k in y if (k, j) in x] + [u[j]]
        row(l["quantity"], l["quantity"], idx, [1.0] * len(idx))
    # Stock per (node, SKU), shared by lines of one SKU; caps and the ship indicator.
    for k in y:
        n = nodes[k]
        for sku in {l["sku"] for l in lines}:
            idx = [x[k, j] for j, l in enumerate(lines) if l["sku"] == sku and (k, j) in x]
            if idx:
                row(-inf, (stock.get(n["id"]) or {}).get(sku, 0), idx, [1.0] * len(idx))
        cap = demand if n.get("max_units") is None else min(demand, n["max_units"])
        idx = [x[k, j] for j in range(len(lines)) if (k, j) in x]
        row(-inf, 0, idx + [y[k]], [1.0] * len(idx) + [-float(cap)])
    # Whole lines and keep-together groups: binary z[k][item], w[item] unfilled.
    items = {}
    for j, l in enumerate(lines):
        if l.get("group") is not None:
            items.setdefault(("g", l["group"]), []).append(j)
        elif not split:
            items[("l", j)] = [j]
    for members in items.values():
        zs = []
        for k in y:
            if all((k, j) in x for j in members):
                z = var(0, 1, 0, True)
                zs.append(z)
                for j in members:
                    row(0, 0, [x[k, j], z], [1.0, -float(lines[j]["quantity"])])
            for j in members:
                if (k, j) in x and not all((k, jj) in x for jj in members):
                    row(0, 0, [x[k, j]], [1.0])
        w = var(0, 1 if pen is not None else 0, 0, True)
        row(1, 1, zs + [w], [1.0] * (len(zs) + 1))
        for j in members:
            row(0, 0, [u[j], w], [1.0, -float(lines[j]["quantity"])])
    if max_ship is not None or ship_complete:
        m = 1 if ship_complete else max_ship
        if max_ship is not None:
            m = min(m, max_ship)
        idx = list(y.values())
        if idx:
            row(-inf, m, idx, [1.0] * len(idx))
    if ship_complete:
        v = var(0, 1 if pen is not None else 0, 0, True)
        for j, l in enumerate(lines):
            row(0, 0, [u[j], v], [1.0, -float(l["quantity"])])

    def decode():
        info = h.getInfo()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS status {h.modelStatusToString(status)}")
        sol = h.getSolution().col_value
        cost = Fraction(0)
        for k in y:
            n = nodes[k]
            ships = False
            for j, l in enumerate(lines):
                if (k, j) in x:
                    q = round(sol[x[k, j]])
                    if q > 0:
                        ships = True
                        cost += q * unit(n, l["sku"])
            if ships:
                cost += dec(n.get("shipment_cost"))
        for j in range(len(lines)):
            q = round(sol[u[j]])
            if q > 0:
                cost += q * dec(pen)
        return cost

    return h, decode


def run_ours(instances, network=False):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for inst in instances:
            f.write(json.dumps(inst) + "\n")
        path = f.name
    try:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "route"], cwd=ROOT, check=True)
        exe = os.path.join(ROOT, "target", "release", "examples", "route")
        cmd = [exe, "--strategy", "optimal", "--timing"] + (["--network"] if network else []) + [path]
        p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    finally:
        os.unlink(path)
    plans = [json.loads(line) for line in p.stdout.splitlines()]
    times = [float(line.split()[1]) for line in p.stderr.splitlines() if line.startswith("time_us")]
    return plans, times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=30, help="random instances per size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--network",
        action="store_true",
        help="time RoutingNetwork::route_with (network compiled per instance outside the timer, "
        "as HiGHS's model building is) instead of the Optimal strategy",
    )
    args = ap.parse_args()
    rng = random.Random(args.seed)
    sets = []
    ex = []
    for name in sorted(os.listdir(EXAMPLES)):
        if name.endswith(".json"):
            with open(os.path.join(EXAMPLES, name)) as f:
                ex.append(json.load(f)["instance"])
    sets.append(("spec examples", ex))
    for lines, nodes, count in [(1, 1000, args.count), (4, 100, args.count), (10, 1000, max(5, args.count // 3))]:
        ns, stock = network(rng, nodes)
        sets.append((f"{lines} lines x {nodes} nodes", [instance(rng, ns, stock, lines, i) for i in range(count)]))
    failures = 0
    for label, instances in sets:
        plans, ours = run_ours(instances, args.network)
        theirs = []
        for inst, plan in zip(instances, plans):
            h, decode = model(inst)
            t = time.perf_counter()
            h.run()
            theirs.append((time.perf_counter() - t) * 1e6)
            exact = decode()
            if exact is None:
                ok = plan["status"] == "infeasible"
            else:
                ok = plan["status"] == "optimal" and Fraction(plan["cost"]) == exact
            if not ok:
                failures += 1
                print(f"  MISMATCH {plan['order']}: ours {plan['status']} {plan['cost']}, HiGHS {exact}", file=sys.stderr)
        ratio = [b / a for a, b in zip(ours, theirs) if a > 0]
        print(
            f"{label}: {len(instances)} instances, equal optimal cost {len(instances) - failures}/{len(instances)}; "
            f"omniroute median {statistics.median(ours):.1f} us, HiGHS median {statistics.median(theirs):.1f} us; "
            f"speed-up median {statistics.median(ratio):.0f}x, min {min(ratio):.0f}x"
        )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
