#!/usr/bin/env bash
# System packages the test suite needs beyond Node: Debian's Chromium for the operator console's
# browser tests (playwright-core drives it; nothing downloads a browser of its own).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-system: please install: ${need[*]} (apt-get install ${need[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "setup-system: chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
