"""Checks the Autobahn testsuite's reports strictly, prints the results
table, compares them with the committed expected results, and generates the
README's Conformance section.

    python2.7 check.py --manifest FILE --expected DIR [--update-expected]
                       [--readme FILE [--update-readme]] [--total SECONDS]
                       [--mode MODE] [--jobs N]

Run with the prefix's Python (install.sh) and AUTOBAHN_SITE naming the
prefix's site directory: its autobahntestsuite resolves the case patterns of
the specs. Runs on Python 3 as well (without AUTOBAHN_SITE only specs whose
case patterns resolve without the testsuite's case list can be checked).

The manifest (written by run.sh) has one line per agent and role, tab
separated: ROLE (server or client), AGENT, SPEC (the spec the run used: its
cases and exclude-cases are the cases the agent must have), INDEX (the run's
index.json), SECONDS (the agent's wall time) and STATUS (`ok`, or what went
wrong with the run: a timeout, an exit code, a server that died).

Prints one table (agent x role: OK, NON-STRICT, INFORMATIONAL,
UNIMPLEMENTED, FAILED, the close behaviour, the cases run, the wall time,
the comparison with the expected results) and then the cases that are not
OK. MODE and N (run.sh's) are only printed. Exits 1 when the run fails the
strict rules or differs from the expected results, 0 otherwise. Strict:

- behavior must be OK or INFORMATIONAL: NON-STRICT, FAILED and (now that
  permessage-deflate is implemented, sections 12 and 13 included)
  UNIMPLEMENTED fail;
- behaviorClose must be OK or INFORMATIONAL;
- every case of the spec must have been run, and the run itself must have
  ended normally (STATUS ok);
- the results (behavior and behaviorClose of each case run) must equal
  DIR/AGENT-ROLE.json. --update-expected rewrites those files from this run
  instead (merged into the existing file when the run covered only part of
  the suite), and the comparison is skipped.

The README's section between `<!-- autobahn:begin -->` and
`<!-- autobahn:end -->` is generated from the expected files (a passing run
equals them): --update-readme rewrites it; otherwise a section that differs
from what would be generated fails the run.
"""
from __future__ import print_function

import io
import json
import os
import site
import sys

if os.environ.get("AUTOBAHN_SITE"):
    site.addsitedir(os.environ["AUTOBAHN_SITE"])

BEHAVIORS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
PASSING = ("OK", "INFORMATIONAL")
ROLES = ("server", "client")
# The README's rows, in order: transport (TCP, then TLS) x adapter x socket x
# role; a TLS agent is the plain agent's name with "-tls" appended. Each
# adapter's agents: the echo on the whole socket, through its split halves,
# and (tokio only) the whole-socket echo behind axum's router.
ADAPTERS = ("tokio", "async-std", "smol")
SOCKETS = (("", "one task"), ("-split", "split halves"), ("-axum", "one task, axum"))
README_BEGIN = "<!-- autobahn:begin -->"
README_END = "<!-- autobahn:end -->"
VERSION = "25.10.1"


def case_set():
    from autobahntestsuite.case import (CaseBasename, CaseCategories, CaseSetname,
                                        Cases, CaseSubCategories)
    from autobahntestsuite.caseset import CaseSet

    return CaseSet(CaseSetname, CaseBasename, Cases, CaseCategories, CaseSubCategories)


def selected_cases(spec):
    """The case ids the spec selects, resolved as wstest resolves them."""
    return case_set().parseSpecCases(spec)


def all_cases():
    return case_set().parseSpecCases({"cases": ["*"]})


def case_key(case_id):
    return tuple(int(part) for part in case_id.split("."))


def verdict(behavior, close):
    """Why a case fails the strict rules, or None when it passes."""
    if behavior not in PASSING:
        return str(behavior)
    if close not in PASSING:
        return "close " + str(close)
    return None


def close_ok(close):
    """Whether the close behaviour passes."""
    return close in PASSING


def not_ok(behavior, close):
    """Whether a case belongs to the list of cases that are not OK."""
    return behavior != "OK" or close != "OK"


def load_report(report_dir, result):
    """The case's own report file, or None."""
    name = result.get("reportfile")
    try:
        with open(os.path.join(report_dir, name)) as f:
            return json.load(f)
    except (IOError, OSError, ValueError, TypeError, AttributeError):
        return None


def failure_detail(report_dir, result):
    """What went wrong, from the case's own report file."""
    report = load_report(report_dir, result)
    if report is None:
        return ["(no report file)"]
    parts = []
    if report.get("behavior") != "OK":
        parts.append("result: %s" % report.get("result"))
        parts.append("expected: %s" % json.dumps(report.get("expected"), sort_keys=True)[:300])
        parts.append("received: %s" % json.dumps(report.get("received"), sort_keys=True)[:300])
    if report.get("behaviorClose") != "OK":
        parts.append("close: %s" % report.get("resultClose"))
        parts.append(
            "wstest closed first=%s, wstest dropped TCP=%s, close codes: wstest %s, ours %s, clean=%s"
            % (report.get("closedByMe"), report.get("droppedByMe"), report.get("localCloseCode"),
               report.get("remoteCloseCode"), report.get("wasClean")))
    return parts


# --- expected results ---------------------------------------------------------


def expected_path(directory, agent, role):
    return os.path.join(directory, "%s-%s.json" % (agent, role))


def load_expected(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (IOError, OSError):
        return None


def dump_expected(path, results):
    """case -> {behavior, behaviorClose}, in case order, one case a line."""
    lines = []
    for case_id in sorted(results, key=case_key):
        r = results[case_id]
        lines.append('  "%s": {"behavior": "%s", "behaviorClose": "%s"}'
                     % (case_id, r["behavior"], r["behaviorClose"]))
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    write_text(path, text)


def write_text(path, text):
    with io.open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text if isinstance(text, type(u"")) else text.decode("utf-8"))


def read_text(path):
    with io.open(path, encoding="utf-8") as f:
        return f.read()


# --- one agent and role --------------------------------------------------------


class Run(object):
    """The results of one agent in one role."""

    def __init__(self, role, agent, spec_path, index_path, seconds, status):
        self.role, self.agent, self.seconds, self.status = role, agent, seconds, status
        with open(spec_path) as f:
            self.selected = selected_cases(json.load(f))
        try:
            with open(index_path) as f:
                index = json.load(f)
        except (IOError, OSError, ValueError):
            index = {}
        self.report_dir = os.path.dirname(index_path)
        raw = index.get(agent, {})
        self.results = dict((c, {"behavior": r.get("behavior"), "behaviorClose": r.get("behaviorClose")})
                            for c, r in raw.items())
        self.raw = raw
        self.counts = dict((b, 0) for b in BEHAVIORS)
        self.other = 0
        self.close_bad = 0
        self.failures = []  # (case, why)
        for case_id in sorted(self.results, key=case_key):
            b, c = self.results[case_id]["behavior"], self.results[case_id]["behaviorClose"]
            if b in self.counts:
                self.counts[b] += 1
            else:
                self.other += 1
            if not close_ok(c):
                self.close_bad += 1
            why = verdict(b, c)
            if why:
                self.failures.append((case_id, why))
        self.missing = [c for c in self.selected if c not in self.results]
        self.differences = []  # lines
        self.expected_state = "-"

    def compare(self, expected):
        if expected is None:
            self.expected_state = "NONE"
            self.differences.append("no expected results file (run with --update-expected)")
            return
        for case_id in self.selected:
            want = expected.get(case_id)
            got = self.results.get(case_id)
            if got is None:
                continue  # reported as not run
            if want != got:
                self.differences.append("%s: expected %s, got %s" % (case_id, show(want), show(got)))
        self.expected_state = "same" if not self.differences else "%d DIFFER" % len(self.differences)

    def failed(self):
        return bool(self.status != "ok" or self.failures or self.missing or self.differences)


def show(result):
    if result is None:
        return "(none)"
    return "%s/%s" % (result.get("behavior"), result.get("behaviorClose"))


# --- the table -------------------------------------------------------------------


def table(rows, header):
    """A plain-text table: the first columns left-aligned, numbers right."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out = []
    for r in [header] + rows:
        cells = []
        for i, cell in enumerate(r):
            cell = str(cell)
            cells.append(cell.ljust(widths[i]) if i < 2 or not cell[:1].isdigit() else cell.rjust(widths[i]))
        out.append("  ".join(cells).rstrip())
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def close_column(close_bad):
    return "OK" if close_bad == 0 else "NOT OK (%d)" % close_bad


def not_ok_groups(entries):
    """Groups the cases that are not OK: [(label, behavior, close, names)],
    with UNIMPLEMENTED cases folded into one line per section and close
    behaviour (a build without permessage-deflate has 216 in sections 12
    and 13). `entries` is [(name, results)]."""
    groups = {}
    for name, results in entries:
        unimpl = {}
        for case_id, r in results.items():
            b, c = r["behavior"], r["behaviorClose"]
            if not not_ok(b, c):
                continue
            if b == "UNIMPLEMENTED":
                section = case_id.split(".")[0]
                unimpl[(section, c)] = unimpl.get((section, c), 0) + 1
                continue
            groups.setdefault((case_key(case_id), case_id, b, c), []).append(name)
        for (section, c), n in unimpl.items():
            key = ((int(section), 1 << 30), "%s.* (%d cases)" % (section, n), "UNIMPLEMENTED", c)
            groups.setdefault(key, []).append(name)
    return [(k[1], k[2], k[3], groups[k]) for k in sorted(groups)]


def agents_label(names, everyone):
    if len(names) == len(everyone) and len(everyone) > 1:
        return "all %d" % len(everyone)
    return ", ".join(names)


# --- the README section --------------------------------------------------------


def readme_section(expected_dir):
    """The Conformance section's generated part, from the expected files."""
    rows = []
    entries = []
    combinations = [(tls, adapter, socket)
                    for tls in (False, True) for adapter in ADAPTERS for socket in SOCKETS]
    for tls, adapter, (suffix, socket) in combinations:
        agent = "ws-%s%s%s" % (adapter, suffix, "-tls" if tls else "")
        for role in ROLES:
            expected = load_expected(expected_path(expected_dir, agent, role))
            if expected is None:
                continue
            counts = dict((b, 0) for b in BEHAVIORS)
            close_bad = 0
            for case_id, r in expected.items():
                if r["behavior"] in counts:
                    counts[r["behavior"]] += 1
                if not close_ok(r["behaviorClose"]):
                    close_bad += 1
            name = "%s %s" % (agent, role)
            entries.append((name, expected))
            rows.append("| `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                agent, socket, "TLS" if tls else "TCP", role,
                counts["OK"], counts["NON-STRICT"], counts["INFORMATIONAL"],
                counts["UNIMPLEMENTED"], counts["FAILED"], close_column(close_bad)))
    names = [n for n, _ in entries]
    lines = [
        README_BEGIN,
        "<!-- Generated by conformance/autobahn/run.sh --update-readme from",
        "     conformance/autobahn/expected/*.json; do not edit by hand. -->",
        "",
        "| agent | socket | over | role | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED | close |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---|",
    ] + rows + [
        "",
        "Cases that are not OK (agents: of the %d rows above):" % len(names),
        "",
    ]
    groups = not_ok_groups(entries)
    if not groups:
        lines.append("- none")
    for label, b, c, who in groups:
        lines.append("- `%s`: %s, close %s (%s)" % (label, b, c, agents_label(who, names)))
    if any(b == "INFORMATIONAL" for _, b, _, _ in groups):
        lines += ["", "INFORMATIONAL cases pass: the testsuite leaves their outcome to the implementation."]
    lines.append(README_END)
    return "\n".join(lines)


def readme_replace(text, section):
    begin = text.find(README_BEGIN)
    end = text.find(README_END)
    if begin < 0 or end < begin:
        return None
    return text[:begin] + section + text[end + len(README_END):]


# --- main ----------------------------------------------------------------------


def main(argv):
    args = {"--update-expected": False, "--update-readme": False}
    values = {"--manifest": None, "--expected": None, "--readme": None, "--total": None,
              "--mode": None, "--jobs": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in args:
            args[a] = True
        elif a in values and i + 1 < len(argv):
            values[a] = argv[i + 1]
            i += 1
        else:
            print(__doc__, file=sys.stderr)
            return 2
        i += 1
    if not values["--manifest"] or not values["--expected"]:
        print(__doc__, file=sys.stderr)
        return 2
    expected_dir = values["--expected"]

    runs = []
    with open(values["--manifest"]) as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                role, agent, spec, index, seconds, status = line.split("\t")
                runs.append(Run(role, agent, spec, index, seconds, status))

    every_case = None
    for run in runs:
        path = expected_path(expected_dir, run.agent, run.role)
        if args["--update-expected"]:
            if every_case is None:
                every_case = set(all_cases())
            current = dict((c, run.results[c]) for c in run.selected if c in run.results)
            if set(run.selected) != every_case:
                merged = load_expected(path) or {}
                merged.update(current)
                current = merged
            if not os.path.isdir(expected_dir):
                os.makedirs(expected_dir)
            dump_expected(path, current)
            run.expected_state = "updated"
        else:
            run.compare(load_expected(path))

    # The table.
    header = ["agent", "role"] + BEHAVIORS + ["close", "cases", "time", "expected", "result"]
    rows = []
    for run in runs:
        cases = "%d/%d" % (len(run.results), len(run.selected))
        if run.other:
            cases += " +%d other" % run.other
        result = "pass" if not run.failed() else "FAIL"
        if run.status != "ok":
            result += " (%s)" % run.status
        rows.append([run.agent, run.role] + [run.counts[b] for b in BEHAVIORS]
                    + [close_column(run.close_bad), cases, "%s s" % run.seconds,
                       run.expected_state, result])
    print("Autobahn testsuite %s: %d agents x roles" % (VERSION, len(runs)))
    print()
    print(table(rows, header))
    if values["--total"]:
        print()
        print("total wall time: %s s (mode %s, %s job(s) at once)" % (
            values["--total"], values["--mode"] or "?", values["--jobs"] or "?"))

    # The cases that are not OK.
    entries = [("%s %s" % (r.agent, r.role), r.results) for r in runs]
    groups = not_ok_groups(entries)
    if groups:
        print()
        print("Cases that are not OK:")
        names = [n for n, _ in entries]
        by_name = dict(("%s %s" % (r.agent, r.role), r) for r in runs)
        for label, b, c, who in groups:
            what = "%s, close %s" % (b, c)
            line = "  %-24s %-36s %s" % (label, what, agents_label(who, names))
            first = by_name[who[0]]
            raw = first.raw.get(label)
            if raw is not None:
                report = load_report(first.report_dir, raw)
                if report is not None:
                    line += "\n  %-24s %s" % ("", report.get("result"))
            print(line)

    # Why it fails.
    failed = False
    details = []
    for run in runs:
        name = "%s %s" % (run.agent, run.role)
        if run.status != "ok":
            details.append("%s: the run did not end normally: %s" % (name, run.status))
        for case_id, why in run.failures:
            details.append("%s %s: %s -> FAIL (%s)" % (name, case_id, show(run.results[case_id]), why))
            details.extend("    " + p for p in failure_detail(run.report_dir, run.raw[case_id]))
        if run.missing:
            shown = ", ".join(run.missing[:20]) + (" ..." if len(run.missing) > 20 else "")
            details.append("%s: %d cases not run: %s" % (name, len(run.missing), shown))
        for d in run.differences[:40]:
            details.append("%s: differs from %s: %s" % (
                name, os.path.relpath(expected_path(expected_dir, run.agent, run.role)), d))
        if len(run.differences) > 40:
            details.append("%s: ... %d more differences" % (name, len(run.differences) - 40))
        failed = failed or run.failed()

    # The README.
    if values["--readme"]:
        path = values["--readme"]
        text = read_text(path)
        new = readme_replace(text, readme_section(expected_dir))
        if new is None:
            details.append("%s: no %s ... %s markers for the Conformance section" % (
                path, README_BEGIN, README_END))
            failed = True
        elif args["--update-readme"]:
            if new != text:
                write_text(path, new)
                print()
                print("updated the Conformance section of %s" % path)
        elif new != text:
            details.append("%s: the Conformance section differs from the expected results "
                           "(run with --update-readme)" % path)
            failed = True

    if details:
        print()
        print("Failures:")
        for d in details:
            print("  " + d)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
