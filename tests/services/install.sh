#!/usr/bin/env bash
# Installs the Debian packages that test peers need (each suite lists its own in packages.d/*.txt, one per line).
# Servers are not started here: each test fixture starts its own on a free loopback port and stops it afterwards.
#
# Correct whatever the machine already has: a /usr/sbin/policy-rc.d present or absent (ours is removed again, theirs
# is left as it was), some packages present, stale apt lists, a dpkg run interrupted earlier. Exits non-zero only
# when a package really is not installed afterwards, and names it.
set -uo pipefail
cd "$(dirname "$0")"

wanted=$(cat packages.d/*.txt 2>/dev/null | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u | grep -v '^$' || true)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing_packages() { local p; for p in $wanted; do installed "$p" || echo "$p"; done; }

missing=$(missing_packages)
[ -z "$missing" ] && exit 0

echo "installing test peers: $(echo $missing)"
export DEBIAN_FRONTEND=noninteractive
# Packages such as redis-server, rabbitmq-server and postfix start their daemon on install; tests start their own on
# free ports instead, so forbid service starts for the duration of the install (policy-rc.d exit 101 = "not allowed").
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

# Postfix asks how to configure itself; a machine that only needs its smtp-sink wants no configuration at all.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true

log=$(mktemp)
for attempt in 1 2 3; do
  dpkg --configure -a >>"$log" 2>&1 || true          # finish a dpkg run that an earlier crash interrupted
  apt-get update -qq >>"$log" 2>&1 || true           # stale or missing lists; a failure shows up as a missing package
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    $missing >>"$log" 2>&1 && break
  missing=$(missing_packages)
  [ -z "$missing" ] && break
  echo "apt-get install failed (try $attempt of 3); still missing: $(echo $missing)"
  sleep $((attempt * 5))
done

missing=$(missing_packages)
if [ -n "$missing" ]; then
  echo "these test peer packages are not installed: $(echo $missing)"
  echo "--- last lines of the apt-get output:"
  tail -30 "$log"
  rm -f "$log"
  exit 1
fi
rm -f "$log"
exit 0
