#!/usr/bin/env bash
# Copies the dashboard screenshots that docs/dashboard.md shows from the test output folder (written by the browser
# tests; never into the source tree) to docs/images/. Run after:
#   dotnet test tests/Metronome.Dashboard.Tests -c Release
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
from="${1:-$root/artifacts/bin/Metronome.Dashboard.Tests/release/screenshots}"
for name in sign-in overview jobs edit-error run-detail failures nodes cron-form job-cron audit; do
  cp "$from/$name.png" "$root/docs/images/dashboard-$name.png"
done
echo "copied to $root/docs/images/"
