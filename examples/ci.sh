#!/usr/bin/env bash
# Test a video pipeline in CI without paying: run it against the simulator (`seedance sim`).
#   bash examples/ci.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
export SEEDANCE_CONFIG_DIR="$work/config" SEEDANCE_DATA_DIR="$work/data"
mkdir -p "$SEEDANCE_CONFIG_DIR"

# The simulator prints the profiles that point at it; keep them as our profiles.toml.
seedance sim --port "${SIM_PORT:-8787}" --queue-seconds 0 --run-seconds "${SIM_RUN_SECONDS:-1}" \
    > "$SEEDANCE_CONFIG_DIR/profiles.toml" 2> "$work/sim.log" &
sim=$!
trap 'kill "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q 'sim-byteplus' "$SEEDANCE_CONFIG_DIR/profiles.toml" 2>/dev/null && break
    sleep 0.1
done

# 1. A clip: stdout is exactly the path.
clip="$(seedance -p sim-byteplus create "a test shot" -o "$work/clip.mp4")"
[ -s "$clip" ] || { echo "no clip at $clip"; exit 1; }

# 2. A failing task exits 5, with the provider's error as JSON on stdout.
set +e
seedance -p sim-byteplus create "a shot that fails #fail" --wait --json > "$work/failed.json"
code=$?
set -e
[ "$code" -eq 5 ] || { echo "expected exit 5, got $code"; exit 1; }
grep -q '"exit_code": 5' "$work/failed.json"

# 3. A storyboard, resumable and never paid twice.
seedance -p sim-byteplus chain "$here/linear.toml" -o "$work/film" > /dev/null
seedance -p sim-byteplus chain "$here/linear.toml" -o "$work/film" > /dev/null  # nothing to redo
echo "ok: storyboard made in $work/film"

# 4. A batch from a spreadsheet: every row checked before anything is sent, a cap on the
#    spend, one summary document; the same command again makes nothing twice.
seedance -p sim-byteplus batch "$here/shots.csv" -o "$work/shots" --max-cost 10 --json \
    > "$work/shots.json"
grep -q '"done": 4' "$work/shots.json"
seedance -p sim-byteplus batch "$here/shots.csv" -o "$work/shots" --quiet > /dev/null
echo "ok: batch made in $work/shots"
