#!/usr/bin/env bash
# Runs two independent SCIM 2.0 conformance tools from PyPI against a freshly built server:
#   scim2-tester (library; driven by scripts/conformance-scim2-tester.py) and scim-sanity (CLI).
# See docs/conformance.md for the results and how each remaining failure is classified.
#
#   bash scripts/conformance.sh
#
# Environment (all optional):
#   CONFORMANCE_VENV   virtualenv to create/reuse (default: a temp dir, removed afterwards)
#   CONFORMANCE_OUT    directory to keep the JSON reports and the server log in
#   CONFORMANCE_PYTHON Python >= 3.11 used to create the venv (default: python3)
#   CONFORMANCE_READY_TIMEOUT seconds to wait for /readyz (default: 600; the first start
#                      may build the embedded engine binary)
#   CONFORMANCE_SKIP_BUILD=1 to use the existing dist/ instead of running npm run build
#
# Exit status: 0 when every failure is one of the known, classified ones listed below;
# 1 when a tool reports a failure that is not (a regression or a new finding); 2 on setup errors.
# Not part of npm test / CI: it needs PyPI and takes about a minute.
set -euo pipefail

SCIM2_TESTER_VERSION=0.5.2
SCIM_SANITY_VERSION=0.7.4

# Failures explained in docs/conformance.md ("Remaining failures", with the tools' source lines):
# scim-sanity's three conflict with the interop issue (Groups PATCH → 204; a member id that does
# not exist → 400), scim2-tester's Group members ones expect the server-rendered, readOnly
# members.display back unassigned, the lifecycle ones PATCH a read-only extension, and the
# roles/entitlements ones appear only in runs where scim2-tester's random "active" is false (an
# inactive user keeps no roles or entitlements: docs/lifecycle.md). One per line:
#   scim2-tester: <resource type>/<check title>[ <attribute path>]    scim-sanity: <test name>
KNOWN_FAILURES='scim2-tester: Group/check_add_attribute members
scim2-tester: Group/check_replace_attribute members
scim2-tester: User/check_add_attribute urn:scim-identity-server:schemas:extension:lifecycle:1.0:User
scim2-tester: User/check_remove_attribute urn:scim-identity-server:schemas:extension:lifecycle:1.0:User
scim2-tester: User/check_replace_attribute urn:scim-identity-server:schemas:extension:lifecycle:1.0:User
scim2-tester: User/check_add_attribute roles
scim2-tester: User/check_add_attribute entitlements
scim2-tester: User/check_replace_attribute roles
scim2-tester: User/check_replace_attribute entitlements
scim2-tester: User/check_add_attribute urn:ietf:params:scim:schemas:extension:contoso:2.0:User:certifications
scim-sanity: PATCH /Groups/{id}
scim-sanity: PATCH /Groups/{id} add member
scim-sanity: PATCH /Groups/{id} remove members'

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${CONFORMANCE_PYTHON:-python3}"
WORK="$(mktemp -d -t scim-conformance.XXXXXX)"
VENV="${CONFORMANCE_VENV:-$WORK/venv}"
OUT="${CONFORMANCE_OUT:-$WORK/reports}"
SERVER_PID=""

log() { printf '\n==> %s\n' "$*" >&2; }

cleanup() {
  local status=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail_setup() {
  echo "conformance: $*" >&2
  exit 2
}

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || fail_setup "$PYTHON is older than 3.11 (scim2-tester needs 3.11+); set CONFORMANCE_PYTHON"
mkdir -p "$OUT"

log "Python tools into $VENV (scim2-tester $SCIM2_TESTER_VERSION, scim-sanity $SCIM_SANITY_VERSION)"
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
# Transitive dependencies pinned too, as resolved when docs/conformance.md was written.
cat >"$WORK/constraints.txt" <<'EOF'
annotated-types==0.8.0
anyio==4.16.0
click==8.5.1
dnspython==2.9.2
email-validator==2.4.0
h11==0.16.0
httpcore2==2.16.2
httpx2==2.16.2
idna==3.20
lark==1.3.1
pydantic==2.14.4
pydantic_core==2.50.5
scim2-client==0.13.2
scim2-models==0.12.3
truststore==0.10.5
typing-inspection==0.4.5
typing_extensions==4.16.0
EOF
"$VENV/bin/pip" install --quiet --disable-pip-version-check -c "$WORK/constraints.txt" \
  "scim2-tester[httpx2]==$SCIM2_TESTER_VERSION" "scim-sanity==$SCIM_SANITY_VERSION"

cd "$ROOT"
if [[ "${CONFORMANCE_SKIP_BUILD:-}" != 1 ]]; then
  log "npm run build"
  npm run build >&2
fi
[[ -f dist/src/server.js ]] || fail_setup "dist/src/server.js is missing: run npm run build"

PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
TOKEN="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(24))')"
BASE_URL="http://127.0.0.1:$PORT/scim/v2"
mkdir -p "$WORK/data" "$WORK/extensions"

# scim2-tester 0.5.2 fills dateTime attributes with random UUIDs, which its own client model refuses
# before sending: every User check would error (docs/conformance.md). The run uses the shipped
# extensions with their dateTime attributes left out, so their other attributes are still tested.
"$PYTHON" - "$ROOT/schemas/extensions" "$WORK/extensions" <<'EOF'
import json, pathlib, sys
source, target = map(pathlib.Path, sys.argv[1:])
def without_dates(attributes):
    kept = [a for a in attributes if a.get("type") != "dateTime"]
    for attribute in kept:
        if "subAttributes" in attribute:
            attribute["subAttributes"] = without_dates(attribute["subAttributes"])
    return kept
for path in sorted(source.glob("*.json")):
    document = json.loads(path.read_text())
    document["schema"]["attributes"] = without_dates(document["schema"]["attributes"])
    (target / path.name).write_text(json.dumps(document))
EOF

log "Starting the server on 127.0.0.1:$PORT (embedded engine, DATA_DIR=$WORK/data, SCHEMA_EXTENSIONS_DIR=$WORK/extensions)"
env -u MONGODB_URI PORT="$PORT" HOST=127.0.0.1 DATA_DIR="$WORK/data" SCIM_BEARER_TOKEN="$TOKEN" SCHEMA_EXTENSIONS_DIR="$WORK/extensions" \
  node dist/src/server.js >"$OUT/server.log" 2>&1 &
SERVER_PID=$!

deadline=$((SECONDS + ${CONFORMANCE_READY_TIMEOUT:-600}))
until curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    cat "$OUT/server.log" >&2
    fail_setup "the server exited before it was ready"
  fi
  ((SECONDS < deadline)) || { cat "$OUT/server.log" >&2; fail_setup "the server was not ready in time"; }
  sleep 1
done

log "scim2-tester $SCIM2_TESTER_VERSION against $BASE_URL"
"$VENV/bin/python" "$ROOT/scripts/conformance-scim2-tester.py" "$BASE_URL" "$TOKEN" "$OUT/scim2-tester.json"

log "scim-sanity $SCIM_SANITY_VERSION probe (strict mode) against $BASE_URL"
# Exits 1 whenever a test fails; the verdict below is ours.
"$VENV/bin/scim-sanity" probe "$BASE_URL" --token "$TOKEN" --i-accept-side-effects --json-output \
  >"$OUT/scim-sanity.json" || true

log "Summary"
status=0
KNOWN_FAILURES="$KNOWN_FAILURES" "$VENV/bin/python" - "$OUT/scim2-tester.json" "$OUT/scim-sanity.json" <<'EOF' || status=$?
import json
import os
import sys

known = {line.strip() for line in os.environ["KNOWN_FAILURES"].splitlines() if line.strip()}

with open(sys.argv[1]) as handle:
    tester = json.load(handle)
with open(sys.argv[2]) as handle:
    sanity = json.load(handle)

print("scim-sanity results:")
for result in sanity["results"]:
    message = f" -- {result['message']}" if result.get("message") and result["status"] != "pass" else ""
    print(f"  [{result['status'].upper():<5}] {result['name']}{message}".replace("\n", " "))
print()

failures = []
for result in tester["results"]:
    if result["outcome"] == "failed":
        label = f"{result['resource_type']}/{result['title']}" if result["resource_type"] else result["title"]
        if result.get("urn"):
            label += f" {result['urn']}"
        failures.append(f"scim2-tester: {label}")
for result in sanity["results"]:
    if result["status"] in ("fail", "error"):
        failures.append(f"scim-sanity: {result['name']}")

c = tester["counts"]
s = sanity["summary"]
print(f"{'tool':<26}{'passed':>8}{'failed':>8}{'skipped':>9}{'warnings':>10}{'total':>7}")
print(f"{'scim2-tester ' + tester.get('version', ''):<26}{c.get('passed', 0):>8}{c.get('failed', 0):>8}"
      f"{c.get('skipped', 0):>9}{c.get('warnings', 0):>10}{sum(c.values()):>7}")
print(f"{'scim-sanity ' + sanity['scim_sanity_version']:<26}{s['passed']:>8}{s['failed'] + s['errors']:>8}"
      f"{s['skipped']:>9}{s['warnings']:>10}{s['total']:>7}")
print()

unexpected = sorted(set(failures) - known)
for failure in sorted(set(failures) & known):
    print(f"known (docs/conformance.md): {failure}")
for failure in unexpected:
    print(f"NEW FAILURE: {failure}")
fixed = sorted(known - set(failures))
for failure in fixed:
    print(f"known failure not reported this run: {failure}")
print()
print("verdict: " + ("only known, classified failures" if not unexpected else f"{len(unexpected)} unexpected failure(s)"))
sys.exit(1 if unexpected else 0)
EOF
if [[ -n "${CONFORMANCE_OUT:-}" ]]; then
  echo "reports and server log kept in $OUT" >&2
fi
exit "$status"
