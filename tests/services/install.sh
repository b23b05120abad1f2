#!/usr/bin/env bash
# Installs the Debian packages that test peers need (each suite lists its own in packages.d/*.txt, one per line).
# Servers are not started here: each test fixture starts its own on a free loopback port and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")"
wanted=$(cat packages.d/*.txt 2>/dev/null | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u | grep -v '^$' || true)
missing=()
for pkg in $wanted; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing test peers: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Packages such as redis-server, rabbitmq-server and postfix start their daemon on install; tests start their own
  # on free ports instead, so forbid service starts for the duration of the install.
  policy=/usr/sbin/policy-rc.d; own_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; own_policy=1; fi
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$own_policy" = 1 ] && rm -f "$policy"
fi
