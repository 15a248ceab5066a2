"""Run scim2-tester (a library, no CLI of its own) against a SCIM server.

Usage: python conformance-scim2-tester.py BASE_URL TOKEN [JSON_REPORT]

Prints one line per check and a closing summary. Statuses follow scim2-tester:
SUCCESS/COMPLIANT/ACCEPTABLE count as passed, DEVIATION as a warning (a SHOULD
not followed), ERROR/CRITICAL as failed, SKIPPED as skipped. Exits 0 whatever
the results: the caller decides what to do with them.
"""

import json
import sys
from collections import Counter
from importlib.metadata import version

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
WARNED = {Status.DEVIATION}
FAILED = {Status.ERROR, Status.CRITICAL}


def bucket(status: Status) -> str:
    if status in PASSED:
        return "passed"
    if status in WARNED:
        return "warnings"
    if status in FAILED:
        return "failed"
    return "skipped"


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    report_path = sys.argv[3] if len(sys.argv) > 3 else None
    http = httpx2.Client(
        base_url=base_url.rstrip("/") + "/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    client = SyncSCIMClient(http)
    results = check_server(client)

    counts: Counter[str] = Counter()
    rows = []
    for result in results:
        kind = bucket(result.status)
        counts[kind] += 1
        label = f"{result.resource_type}/" if result.resource_type else ""
        line = f"[{result.status.name:<10}] {label}{result.title}"
        if kind != "passed" and result.reason:
            line += f" -- {result.reason}"
        print(line)
        rows.append(
            {
                "status": result.status.name,
                "outcome": kind,
                "resource_type": result.resource_type,
                "title": result.title,
                # Checks such as check_add_attribute report once per attribute path.
                "urn": result.data.get("urn") if isinstance(result.data, dict) else None,
                "reason": result.reason,
                "data": repr(result.data) if result.data is not None else None,
            }
        )

    print()
    print(
        f"scim2-tester: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped, {counts['warnings']} warnings, {len(results)} total"
    )
    if report_path:
        with open(report_path, "w") as handle:
            json.dump({"version": version("scim2-tester"), "counts": dict(counts), "results": rows}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
