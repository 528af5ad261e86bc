#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input (the targets in fuzz/fuzz_targets/) with cargo-fuzz: builds them all, runs
# each for FUZZ_SECONDS (default 60), prints what each did, and fails if any target crashed. A crashing input is
# kept in fuzz/artifacts/<target>/, and the command that replays it is printed. Pass target names to run only those.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  # In a throw-away target dir of its own, as `cargo install` does when nothing overrides it.
  env -u CARGO_TARGET_DIR cargo install cargo-fuzz --locked
fi

# Not CARGO_TARGET_DIR: CI exports that for the main build, and instrumented artifacts must never mix with it.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/charity-relay/fuzz-target}"
# cargo-fuzz passes nightly-only flags (sanitizer coverage, -Z); the stable toolchain accepts them with this.
export RUSTC_BOOTSTRAP=1
mkdir -p "$CARGO_TARGET_DIR"

# No sanitizer: the code under test is safe Rust (the workspace forbids unsafe code), where AddressSanitizer finds
# nothing a panic would not, and it slows every execution. The dev profile (see fuzz/Cargo.toml): release compiled
# every dependency with full optimisation, 16 minutes cold on two cores, for code the targets never run; dev
# optimises only the crates the targets exercise. Debug assertions and overflow checks stay on.
flags=(--dev --sanitizer none)

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

start=$(date +%s)
cargo fuzz build "${flags[@]}"
built=$(date +%s)
# CI builds the targets early, in the background, while the tests run (see .ci/run).
if [ -n "${FUZZ_BUILD_ONLY:-}" ]; then
  echo "== fuzz targets built in $((built - start))s"
  exit 0
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
summary=()
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  dirs=("$corpus")
  [ -d "fuzz/seeds/$target" ] && dirs+=("fuzz/seeds/$target")
  args=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1)
  [ -f "fuzz/dict/$target.dict" ] && args+=(-dict="fuzz/dict/$target.dict")
  echo "== $target: ${seconds}s"
  if cargo fuzz run "${flags[@]}" "$target" "${dirs[@]}" -- "${args[@]}" >"$logs/$target" 2>&1; then
    outcome=ok
  else
    outcome=CRASHED
    failed+=("$target")
    # The panic and its message, or libFuzzer's reason (a timeout, memory), and where the input was saved.
    grep -E -A3 "panicked at|^==[0-9]+== ERROR" "$logs/$target" | head -n 12 || true
    grep -E "Test unit written to|^Base64" "$logs/$target" || true
    for input in $(sed -n 's/.*Test unit written to //p' "$logs/$target"); do
      echo "replay: RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$CARGO_TARGET_DIR cargo fuzz run ${flags[*]} $target $input"
    done
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target" | tail -n1)
  cov=$(grep -oE 'cov: [0-9]+' "$logs/$target" | tail -n1 | cut -d' ' -f2)
  units=$(find "$corpus" -type f | wc -l)
  summary+=("$(printf '%-20s %-8s %12s runs   coverage %6s   corpus %6s' "$target" "$outcome" "${runs:-?}" \
    "${cov:-?}" "$units")")
done
done_at=$(date +%s)

echo
echo "== fuzz summary (build $((built - start))s, fuzzing $((done_at - built))s)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
