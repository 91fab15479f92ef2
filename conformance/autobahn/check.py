"""Checks the Autobahn testsuite's reports, strictly.

    python2.7 check.py ROLE SPEC INDEX AGENT[=SECONDS] ...

ROLE is `servers` or `clients` (the testsuite's names), SPEC the spec the
run used (its cases and exclude-cases give the cases every agent must
have), INDEX the run's reports/ROLE/index.json. SECONDS, when given, is the
agent's wall time. Run with the prefix's Python (install.sh) and
AUTOBAHN_SITE naming the prefix's site directory: its autobahntestsuite
resolves the spec's case patterns.

Prints one summary line per agent (counts of OK, NON-STRICT, INFORMATIONAL,
UNIMPLEMENTED, FAILED and of close behaviours that are not OK) and each case
that is not OK with the reason from its own report file. Exits 1 when a case
fails the strict rules, 0 otherwise:

- behavior must be OK or INFORMATIONAL; UNIMPLEMENTED is allowed only in
  sections 12 and 13 (permessage-deflate is not implemented yet);
- behaviorClose must be OK or INFORMATIONAL (or UNIMPLEMENTED with it);
- every case of the spec must have been run for every agent.
"""
from __future__ import print_function

import json
import os
import site
import sys

if os.environ.get("AUTOBAHN_SITE"):
    site.addsitedir(os.environ["AUTOBAHN_SITE"])

BEHAVIORS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
PASSING = ("OK", "INFORMATIONAL")
# permessage-deflate: not implemented yet.
UNIMPLEMENTED_ALLOWED = ("12", "13")


def expected_cases(spec):
    """The case ids the spec selects, resolved as wstest resolves them."""
    from autobahntestsuite.case import (CaseBasename, CaseCategories, CaseSetname,
                                        Cases, CaseSubCategories)
    from autobahntestsuite.caseset import CaseSet

    case_set = CaseSet(CaseSetname, CaseBasename, Cases, CaseCategories, CaseSubCategories)
    return case_set.parseSpecCases(spec)


def case_key(case_id):
    return tuple(int(part) for part in case_id.split("."))


def verdict(case_id, result):
    """Why a case fails the strict rules, or None when it passes."""
    behavior = result.get("behavior")
    close = result.get("behaviorClose")
    section = case_id.split(".")[0]
    if behavior == "UNIMPLEMENTED":
        if section in UNIMPLEMENTED_ALLOWED:
            return None
        return "UNIMPLEMENTED outside sections 12/13"
    if behavior not in PASSING:
        return behavior
    if close not in PASSING:
        return "close " + str(close)
    return None


def load_report(report_dir, result):
    """The case's own report file, or None."""
    name = result.get("reportfile")
    try:
        with open(os.path.join(report_dir, name)) as f:
            return json.load(f)
    except (IOError, ValueError, TypeError, AttributeError):
        return None


def short_reason(report_dir, result):
    """One line: the report's verdict and the close codes."""
    report = load_report(report_dir, result)
    if report is None:
        return "(no report file)"
    return "%s (close codes: wstest %s, ours %s)" % (
        report.get("result"), report.get("localCloseCode"), report.get("remoteCloseCode"))


def first_reason(report_dir, result):
    """The first failing expectation, from the case's own report file."""
    name = result.get("reportfile")
    if not name:
        return ""
    try:
        with open(os.path.join(report_dir, name)) as f:
            report = json.load(f)
    except (IOError, ValueError) as e:
        return "(no report file: %s)" % e
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
    return "\n".join("      " + p for p in parts)


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    role, spec_path, index_path = argv[0], argv[1], argv[2]
    agents = []
    for arg in argv[3:]:
        name, _, seconds = arg.partition("=")
        agents.append((name, seconds))
    with open(spec_path) as f:
        spec = json.load(f)
    expected = expected_cases(spec)
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (IOError, ValueError) as e:
        print("%s: no report (%s)" % (role, e))
        index = {}
    report_dir = os.path.dirname(index_path)

    failed = False
    details = []
    for agent, seconds in agents:
        results = index.get(agent, {})
        counts = dict((b, 0) for b in BEHAVIORS)
        other = 0
        close_not_ok = 0
        bad = []
        for case_id in sorted(results, key=case_key):
            result = results[case_id]
            behavior = result.get("behavior")
            if behavior in counts:
                counts[behavior] += 1
            else:
                other += 1
            if result.get("behaviorClose") not in ("OK", "UNIMPLEMENTED"):
                close_not_ok += 1
            why = verdict(case_id, result)
            if why:
                bad.append((case_id, result, why))
            elif behavior != "OK" and not (behavior == "UNIMPLEMENTED"
                                           and case_id.split(".")[0] in UNIMPLEMENTED_ALLOWED):
                details.append("  %s %s %s: %s/%s (allowed): %s" % (
                    role, agent, case_id, behavior, result.get("behaviorClose"),
                    short_reason(report_dir, result)))
        missing = [c for c in expected if c not in results]
        line = "%-8s %-13s " % (role, agent) + " ".join(
            "%s=%d" % (b, counts[b]) for b in BEHAVIORS)
        line += " close-not-OK=%d" % close_not_ok
        if other:
            line += " other=%d" % other
        if missing:
            line += " MISSING=%d" % len(missing)
        line += " cases=%d/%d" % (len(results), len(expected))
        if seconds:
            line += " time=%ss" % seconds
        print(line)
        if bad or missing:
            failed = True
        for case_id, result, why in bad:
            reason = first_reason(report_dir, result)
            details.append("  %s %s %s: %s/%s -> FAIL (%s)%s" % (
                role, agent, case_id, result.get("behavior"), result.get("behaviorClose"), why,
                "\n" + reason if reason else ""))
        if missing:
            shown = ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
            details.append("  %s %s: %d cases not run: %s" % (role, agent, len(missing), shown))
    if details:
        print("\n".join(details))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
