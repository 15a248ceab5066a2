#!/usr/bin/env bash
# The console's browser tests drive Debian's `chromium` package (puppeteer-core downloads no browser).
# Installs it when it is missing and we may (root with apt-get); otherwise says what to do. Run by
# `npm test` (pretest), so `.ci/run` on a fresh clone has it. CHROMIUM_PATH names another binary.
set -euo pipefail
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
[[ -x $chromium ]] && exit 0
if [[ -n ${CHROMIUM_PATH:-} ]]; then
  echo "ensure-chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2
  exit 1
fi
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing Debian's chromium package for the console's browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }
  [[ -x $chromium ]] && exit 0
fi
echo "ensure-chromium: $chromium is missing: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH" >&2
exit 1
