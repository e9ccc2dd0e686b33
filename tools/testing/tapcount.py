# SPDX-License-Identifier: GPL-2.0-only
"""Exact TAP accounting for `make check` (tools/testing/run-checks).

A step's output is split into programs. A program is either delimited by
markers that the guest runner, run-selftests and the Makefile print:

    # axon-prog: begin NAME
    ... the program's TAP ...
    # axon-prog: end NAME exit RC

or, for a step without markers, the step's whole output. For every program:

- its plan ("1..N") must be present and N must equal the number of its
  result lines ("ok"/"not ok" at the start of a line);
- "1..0 # SKIP reason" is one skipped result (the whole program);
- a non-zero exit status without a "not ok" line is a failure;
- a begin marker without its end marker (the program crashed the guest or
  the guest timed out) is a failure.

Output outside the markers of a step that has markers is accounted the
same way as a program (with a plan) when it has results. A step whose
command exits non-zero without any counted failure gets one failure, also
when its only results are skips. Results with the same name in one step
(one test binary run twice, e.g. libaxon's unit tests linked statically and
against the shared library) are counted once; a failure of either wins.

Skips and expected failures must be declared in tools/testing/expected-results
(see load_expected()); any other skip is a failure, an expected failure that
passes is a failure too.
"""

import fnmatch
import os
import re

TAP = re.compile(r"^(not ok|ok)\b[ \t]*(\d+)?[ \t]*(?:-[ \t]*)?(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)[ \t]*(?:#[ \t]*(?:SKIP|skip|Skip)\b[ \t:]*(.*))?$")
DIRECTIVE = re.compile(r"[ \t]#[ \t]*(SKIP|skip|Skip|XFAIL|TODO)\b[ \t:]*(.*)$")
BEGIN = re.compile(r"^# axon-prog: begin (\S+)\s*$")
END = re.compile(r"^# axon-prog: end (\S+) exit (-?\d+)\s*$")

PASS, FAIL, SKIP, XFAIL = "pass", "fail", "skip", "xfail"


class Result:
    """One counted test: status PASS/FAIL/SKIP/XFAIL, its name, a note."""

    def __init__(self, status, name, note=""):
        self.status = status
        self.name = name
        self.note = note

    def __repr__(self):
        return f"Result({self.status!r}, {self.name!r}, {self.note!r})"


class Program:
    def __init__(self, name, marked):
        self.name = name
        self.marked = marked
        self.plans = []
        self.skip_all = None
        self.results = []
        self.exit = None
        self.ended = not marked


def split_programs(lines):
    """The programs of a step's output; the unmarked rest comes first."""
    top = Program(None, False)
    progs = [top]
    cur = top
    for raw in lines:
        line = raw.rstrip("\n").replace("\r", "")
        m = BEGIN.match(line)
        if m:
            # a program still open here did not finish (its end is missing)
            cur = Program(m.group(1), True)
            progs.append(cur)
            continue
        m = END.match(line)
        if m and cur is not top and m.group(1) == cur.name:
            cur.exit = int(m.group(2))
            cur.ended = True
            cur = top
            continue
        m = PLAN.match(line)
        if m:
            cur.plans.append(int(m.group(1)))
            if int(m.group(1)) == 0 and m.group(2) is not None:
                cur.skip_all = m.group(2).strip() or "no reason given"
            continue
        m = TAP.match(line)
        if m:
            rest = m.group(3)
            d = DIRECTIVE.search(rest)
            kind = None
            reason = ""
            if d:
                kind = d.group(1).upper()
                reason = d.group(2).strip()
                rest = rest[:d.start()].rstrip()
            cur.results.append((m.group(1) == "ok", rest.strip(), kind, reason))
    return [p for p in progs if p.marked or p.results or p.plans]


def label(step, name):
    return name if name.startswith(step) else f"{step}: {name}"


def account(step, lines, rc):
    """Results of one step: a list of Result, in output order."""
    out = []
    progs = split_programs(lines)
    for p in progs:
        pname = p.name or step
        nres = len(p.results)
        for ok, name, kind, reason in p.results:
            name = label(step, name or pname)
            if kind == "SKIP":
                out.append(Result(SKIP if ok else FAIL, name,
                                  reason if ok else f"not ok with SKIP: {reason}"))
            elif kind in ("XFAIL", "TODO"):
                # the program's own expected-failure marks are not trusted:
                # only tools/testing/expected-results declares those
                out.append(Result(FAIL, name, f"program-declared {kind}: {reason}"))
            else:
                out.append(Result(PASS if ok else FAIL, name))
        if p.skip_all is not None:
            out.append(Result(SKIP, label(step, f"{pname} (whole program)"), p.skip_all))
            nres += 1
        failed = any(not ok for ok, _, _, _ in p.results)
        if p.marked or p.plans:
            if not p.plans:
                out.append(Result(FAIL, label(step, f"{pname}: no TAP plan"),
                                  f"{len(p.results)} results"))
            elif len(p.plans) > 1:
                out.append(Result(FAIL, label(step, f"{pname}: {len(p.plans)} TAP plans")))
            elif p.plans[0] != len(p.results) and p.skip_all is None:
                out.append(Result(FAIL, label(step, f"{pname}: plan 1..{p.plans[0]} "
                                                    f"but {len(p.results)} results")))
        if p.marked and not p.ended:
            out.append(Result(FAIL, label(step, f"{pname}: did not finish "
                                                "(crash, guest death or timeout)")))
        if p.marked and p.ended and p.exit and not failed:
            out.append(Result(FAIL, label(step, f"{pname}: exit status {p.exit} "
                                                "without a failing test")))
    if not out:
        out.append(Result(PASS if rc == 0 else FAIL, step,
                          "" if rc == 0 else f"exit status {rc}"))
    elif rc != 0 and not any(r.status == FAIL for r in out):
        out.append(Result(FAIL, f"{step} (exit status {rc})"))
    return dedup(out)


def dedup(results):
    """Count each name once; a failure of any copy wins."""
    seen = {}
    order = []
    for r in results:
        if r.name in seen:
            old = seen[r.name]
            rank = {FAIL: 3, XFAIL: 2, PASS: 1, SKIP: 0}
            if rank[r.status] > rank[old.status]:
                seen[r.name] = r
            seen[r.name].note = (seen[r.name].note + " (repeated, counted once)").strip()
            continue
        seen[r.name] = r
        order.append(r.name)
    return [seen[n] for n in order]


def load_expected(path):
    """
    tools/testing/expected-results: one entry a line,
        STEP <tab> TEST-GLOB <tab> skip|xfail <tab> reason
    TEST-GLOB is an fnmatch pattern on the printed test name ("step: test").
    Blank lines and lines starting with # are comments.
    A TEST-GLOB of the form @FILE (relative to the repository) names a list
    with one test a line, its name then its reason (the ONNX node tests the
    compiler excludes, tools/nn/tests/node-exclude.txt): each becomes an
    entry for "STEP: *NAME" with the list's reason.
    """
    entries = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = [p.strip() for p in line.split("\t") if p.strip()]
            if len(parts) != 4 or parts[2] not in ("skip", "xfail"):
                raise ValueError(f"{path}:{n}: want STEP<tab>TEST<tab>skip|xfail<tab>reason")
            if parts[1].startswith("@"):
                entries += load_list(path, n, parts)
                continue
            entries.append({"step": parts[0], "glob": parts[1], "kind": parts[2],
                            "reason": parts[3], "used": 0})
    return entries


def load_list(path, n, parts):
    """The entries of an @FILE line of the expected results."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    lst = os.path.join(repo, parts[1][1:])
    out = []
    with open(lst) as f:
        for m, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, _, why = line.strip().partition(" ")
            if not why.strip():
                raise ValueError(f"{lst}:{m}: want NAME REASON (from {path}:{n})")
            out.append({"step": parts[0], "glob": f"{parts[0]}: *{name}", "kind": parts[2],
                        "reason": f"{why.strip()} ({parts[3]})", "used": 0})
    return out


def judge(step, results, expected):
    """Apply the declared skips and expected failures; returns the results."""
    out = []
    for r in results:
        e = None
        for cand in expected:
            if cand["step"] == step and fnmatch.fnmatchcase(r.name, cand["glob"]):
                e = cand
                break
        if r.status == SKIP:
            if e and e["kind"] == "skip":
                e["used"] += 1
                out.append(Result(SKIP, r.name, f"{r.note} [declared: {e['reason']}]"))
            else:
                out.append(Result(FAIL, r.name, f"undeclared SKIP: {r.note}"))
        elif e and e["kind"] == "xfail":
            e["used"] += 1
            if r.status == FAIL:
                out.append(Result(XFAIL, r.name, f"expected failure: {e['reason']}"))
            else:
                out.append(Result(FAIL, r.name, f"XPASS: declared as failing "
                                                f"({e['reason']}): remove the entry"))
        else:
            out.append(r)
    return out
