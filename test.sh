#!/usr/bin/env bash
# Runs every test of Metronome: builds the solution, runs each test project, and ends with "N passed, N failed".
# Services a test needs are started by the tests themselves on free loopback ports (SQLite files, Kestrel listeners,
# server processes, PostgreSQL, brokers); tests/services/install.sh installs the Debian packages they need.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
unset METRONOME_ARTIFACTS
results="$PWD/.test-results"
rm -rf "$results" && mkdir -p "$results"

if ! tests/services/install.sh; then
  echo "installing test peers failed"
  echo "0 passed, 1 failed"
  exit 1
fi

if ! dotnet build Metronome.slnx -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

epmd_before=0; pgrep -x epmd >/dev/null 2>&1 && epmd_before=1
passed=0; failed=0; status=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  grep -q '<IsTestProject>false</IsTestProject>' "$project" && continue   # shared test support, not a suite
  echo "=== $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" -- RunConfiguration.TestSessionTimeout=1200000 \
    > "$results/$name.log" 2>&1
  rc=$?
  grep -E "^\s+(Failed|Passed) |Total tests|Passed!|Failed!|error" "$results/$name.log" | grep -vE "^\s+Passed " | tail -40
  # Each failure's message and the first lines of its stack, so that a CI log says why.
  grep -A 12 -E "^\s+Failed " "$results/$name.log" | grep -vE "^\s+Passed " | head -80
  counters=$(grep -o '<Counters [^>]*>' "$results/$name.trx" 2>/dev/null | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); p=${p:-0}
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=${f:-0}
  if [ -z "$counters" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
    echo "$name: test run did not complete (exit $rc); see $results/$name.log"; tail -30 "$results/$name.log"; f=$((f + 1))
  fi
  echo "$name: $p passed, $f failed"
  passed=$((passed + p)); failed=$((failed + f))
  [ "$rc" -ne 0 ] && status=1
done

# RabbitMQ test nodes share Erlang's port mapper daemon; stop it if the tests started it.
if [ "$epmd_before" = 0 ] && command -v epmd >/dev/null 2>&1; then epmd -kill >/dev/null 2>&1 || true; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
