#!/usr/bin/env bash
# fuzz.sh: coverage-guided fuzzing of module/wire.rs, the parser the kernel
# module runs on every datagram, with AFL++ through cargo-afl (fuzz/): a
# bounded session, FUZZ_SECONDS long (60), on a copy of fuzz/corpus/wire.
# One PASS:/FAIL: line per check, then the figures of afl-fuzz's
# fuzzer_stats; exits non-zero if any check failed. Crashes and hangs are
# kept in fuzz/artifacts/wire/TIME/, with the command that replays each.
#
#   FUZZ_WIRE=FILE tests/host/fuzz.sh   fuzz FILE in place of module/wire.rs,
#                                       to check that a bug planted in it is found
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"
if [ -n "${FUZZ_WIRE:-}" ]; then
  [ -f "$FUZZ_WIRE" ] || die "FUZZ_WIRE: no file $FUZZ_WIRE"
  FUZZ_WIRE=$(realpath "$FUZZ_WIRE")
fi
cd "$TOP"

# cargo-afl and the afl crate (fuzz/Cargo.toml) go together; this one
# bundles AFL++ 4.40c.
AFL_RS=0.18.2
seconds=${FUZZ_SECONDS:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "FUZZ_SECONDS must be a number of seconds, not '$seconds'"
tools=$NLECHO_CACHE/tools/cargo-afl-$AFL_RS
artifacts=$TOP/fuzz/artifacts/wire/$(date +%Y%m%d-%H%M%S)

# cargo-afl builds AFL++ (afl-fuzz and the runtime the target links) from
# its bundled source with the host's C compiler, into XDG_DATA_HOME, once
# per rustc: a new toolchain needs a rebuild, which reinstalling does.
host_packages build-essential
command -v cargo >/dev/null || die "no cargo on PATH; install Rust 1.85 or later with rustup"
export XDG_DATA_HOME=$tools/share PATH=$tools/bin:$PATH
rustc_v=$(rustc -vV)
host=$(sed -n 's/^host: //p' <<<"$rustc_v")
rustc_id=$(awk '/^release:/{r = $2} /^commit-hash:/{if ($2 != "unknown") h = "-" substr($2, 1, 7)}
                END{print "rustc-" r h}' <<<"$rustc_v")
afl=$XDG_DATA_HOME/afl.rs/$rustc_id/afl.rs-$AFL_RS
if [ ! -x "$tools/bin/cargo-afl" ] || [ ! -f "$afl/afl-llvm/afl-compiler-rt.o" ]; then
  note "installing cargo-afl $AFL_RS and building AFL++ for $rustc_id into $tools"
  cargo install cargo-afl --version "$AFL_RS" --locked --force --root "$tools" --quiet \
    || die "cargo install cargo-afl $AFL_RS failed"
  if [ ! -x "$afl/afl/bin/afl-fuzz" ] || [ ! -f "$afl/afl-llvm/afl-compiler-rt.o" ]; then
    die "cargo-afl is installed but AFL++ was not built into $afl; try: cargo afl config --build --force --verbose"
  fi
fi

tmp=$(mktemp -d /tmp/nlecho-fuzz.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
failed=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# With FUZZ_WIRE the package is built from a copy laid out as in the tree,
# so that its #[path] finds the planted file.
src=$TOP/fuzz target_dir=$TOP/fuzz/target wire=module/wire.rs
if [ -n "${FUZZ_WIRE:-}" ]; then
  mkdir -p "$tmp/src/fuzz" "$tmp/src/module"
  cp -r fuzz/Cargo.toml fuzz/Cargo.lock fuzz/fuzz_targets "$tmp/src/fuzz/"
  cp "$FUZZ_WIRE" "$tmp/src/module/wire.rs"
  src=$tmp/src/fuzz target_dir=$TOP/fuzz/target/planted wire=$FUZZ_WIRE
  # A planted bug is looked for, not a clean run: stop at the first crash.
  export AFL_BENCH_UNTIL_CRASH=1
fi

# --target: the binary's path is the same whatever .cargo/config.toml says;
# cargo-afl's RUSTFLAGS replace the project's static-linking flags.
start=$SECONDS
if (cd "$src" && cargo afl build --release --locked --target "$host" --target-dir "$target_dir") >"$tmp/build" 2>&1; then
  pass "fuzz target built with AFL++ instrumentation (cargo-afl $AFL_RS, $((SECONDS - start)) s)"
else
  tail -n 30 "$tmp/build"
  fail "fuzz target does not build (cargo afl build in $src)"
  exit 1
fi
bin=$target_dir/$host/release/wire
# replay FILE: the target run once on FILE, outside afl-fuzz; the subshell
# keeps bash's notice of an aborted job off the output.
replay() { (timeout 10 "$bin" <"$1" 2>&1; exit $?) 2>/dev/null; }

# keep KIND FILE...: copies the inputs to $artifacts and says how to
# replay each (and, for a crash, what it hit).
keep() {
  local kind=$1 f n=0; shift
  for f in "$@"; do
    n=$((n + 1))
    mkdir -p "$artifacts"
    cp "$f" "$artifacts/$kind-$n"
    echo "$kind $n ($(basename "$f")): replay with: $bin < ${artifacts#"$TOP"/}/$kind-$n"
    [ "$kind" = hang ] || replay "$f" | grep -A1 -m1 'panicked' || true
  done
}

# afl-fuzz refuses a corpus with a crashing seed without saying why: replay
# the seeds first.
cp -r fuzz/corpus/wire "$tmp/in"
seeds=("$tmp"/in/*)
bad=()
for f in "${seeds[@]}"; do replay "$f" >/dev/null || bad+=("$f"); done
if [ ${#bad[@]} -eq 0 ]; then
  pass "${#seeds[@]} seeds of fuzz/corpus/wire go through $wire"
else
  keep crash "${bad[@]}"
  fail "${#bad[@]} of ${#seeds[@]} seeds of fuzz/corpus/wire crash $wire"
  exit 1
fi

# No TTY, the host's core_pattern and CPU governor, other jobs on the cores:
# fuzz anyway. -t 1000: a hang is an endless loop, not a busy host. -c0:
# cmplog through the same binary, as `cargo afl fuzz` does. timeout: a
# bound even if afl-fuzz never gets going.
note "fuzzing $wire for $seconds s"
rc=0
AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
  AFL_NO_CRASH_README=1 timeout -s INT -k 30 $((seconds + 120)) \
  "$afl/afl/bin/afl-fuzz" -c0 -V "$seconds" -t 1000 -i "$tmp/in" -o "$tmp/out" -- "$bin" >"$tmp/afl.log" 2>&1 &
pid=$!
wait "$pid" || rc=$?
pid=
stats=$tmp/out/default/fuzzer_stats
if [ ! -f "$stats" ]; then
  grep -a 'PROGRAM ABORT\|Location' "$tmp/afl.log" || tail -n 20 "$tmp/afl.log"
  fail "afl-fuzz did not run (status $rc)"
  exit 1
fi
field() { sed -n "s/^$1 *: //p" "$stats"; }
execs=$(field execs_done) speed=$(field execs_per_sec) corpus=$(field corpus_count) found=$(field corpus_found)
crashes=$(field saved_crashes) hangs=$(field saved_hangs) cvg=$(field bitmap_cvg)
edges=$(field edges_found) total=$(field total_edges) version=$(field afl_version)
version="AFL++ ${version#++}"

run="$(field run_time) s of $version on $wire: $execs executions, $crashes crashes, $hangs hangs, corpus $corpus entries, coverage $cvg of the map"
if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ] && [ "$hangs" -eq 0 ]; then
  pass "$run"
else
  [ "$rc" -eq 0 ] || { tail -n 5 "$tmp/afl.log"; echo "afl-fuzz exited with status $rc"; }
  shopt -s nullglob
  keep crash "$tmp"/out/default/crashes/id:*
  keep hang "$tmp"/out/default/hangs/id:*
  fail "$run"
fi
# Feedback works: the target reports edges and afl-fuzz keeps inputs that
# reach new ones.
if [ "$edges" -gt 0 ] && [ "$found" -gt 0 ]; then
  pass "coverage guides the fuzzer: $edges edges reached, $found new inputs kept"
else
  fail "no coverage feedback: $edges edges reached, $found new inputs kept"
fi
echo "$version: $execs executions, $speed execs/s, corpus $corpus ($((corpus - found)) seeds kept + $found found)," \
  "bitmap coverage $cvg ($edges of $total edges), stability $(field stability)"
exit $failed
