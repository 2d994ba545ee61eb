"""never_two_owners.py LOG: exit 1 if, per resource instance in a Dummy call log
("<ns> <node> <instance> <action> <result>"), the [start, stop ok|killed] intervals of
different nodes overlap."""
import sys

events = [line.split() for line in open(sys.argv[1]) if line.strip()]
for instance in {e[2] for e in events}:
    up = {}
    for ns, node, inst, action, result in sorted((int(e[0]), e[1], e[2], e[3], e[4]) for e in events if e[2] == instance):
        if action == "start":
            others = [n for n in up if n != node]
            if others:
                print(f"{instance}: started on {node} at {ns} while up on {others}")
                sys.exit(1)
            up[node] = ns
        elif (action == "stop" and result == "ok") or action == "killed":
            up.pop(node, None)
