#!/usr/bin/env bash
# Compares the simulator's event rate of two builds in alternating pairs, the method docs/benchmarks.md uses
# ("Measuring a change here"). Each pair runs the same scenario once with each build; odd pairs run BASE first, even
# pairs NEW first, because on a shared virtual machine the order within a pair can move a run by a few percent. The
# page cache is dropped before every run when the script runs as root. Every run must give the same traceHash as the
# first: a change meant to be a pure speed-up must not alter the simulated run.
#
#   scripts/sim-compare.sh [-s SCENARIO] [-n NODES] [-p PAIRS] BASE NEW
#
# BASE and NEW are git revisions (built into temporary worktrees) or directories holding a built Dht.Simulator.dll.
# SCENARIO is a file name under Dht.Simulator/scenarios without .json (default steady-100k), NODES overrides its node
# count (default 100: the cache-resident run of docs/benchmarks.md, about 7 s), PAIRS defaults to 10.
# Prints one line per pair (with each run's bytes allocated per event and collector pause share), then the median ratio NEW/BASE over the pairs with each order, their geometric mean (the
# estimate with the order's effect cancelled) and how many pairs NEW was the faster in. Exit code 1 when the traces
# differ, 2 on bad arguments.
set -euo pipefail

scenario=steady-100k
nodes=100
pairs=10
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "s:n:p:h" opt; do
  case $opt in
    s) scenario=$OPTARG ;;
    n) nodes=$OPTARG ;;
    p) pairs=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage
[[ $nodes =~ ^[1-9][0-9]*$ ]] || { echo "sim-compare: -n must be a positive whole number; got '$nodes'" >&2; exit 2; }
[[ $pairs =~ ^[1-9][0-9]*$ ]] || { echo "sim-compare: -p must be a positive whole number; got '$pairs'" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
file="$root/Dht.Simulator/scenarios/$scenario.json"
[ -f "$file" ] || { echo "sim-compare: no scenario '$scenario' (looked for $file)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"; git -C "$root" worktree prune >/dev/null 2>&1 || true' EXIT

# A directory with a built simulator is used as is; anything else is a git revision, built in a worktree.
build() { # name revision-or-directory
  local name=$1 what=$2
  if [ -f "$what/Dht.Simulator.dll" ]; then
    (cd "$what" && pwd)
    return
  fi
  git -C "$root" rev-parse --verify --quiet "$what^{commit}" >/dev/null \
    || { echo "sim-compare: '$what' is neither a git revision nor a directory with Dht.Simulator.dll" >&2; exit 2; }
  git -C "$root" worktree add --detach --quiet "$work/src-$name" "$what"
  dotnet build "$work/src-$name/Dht.Simulator" -c Release -o "$work/bin-$name" >"$work/build-$name.log" 2>&1 \
    || { echo "sim-compare: building $what failed; see the log below" >&2; tail -20 "$work/build-$name.log" >&2; exit 2; }
  echo "$work/bin-$name"
}

base=$(build base "$1")
new=$(build new "$2")

field() { # summary.json key: our own writer's output, one "key": value per line
  sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1" | head -1
}

drop_caches() {
  if [ -w /proc/sys/vm/drop_caches ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
}

trace=""
run() { # label directory: sets $rate, and checks the run's trace against the first run's
  local out="$work/out-$1" hash
  rm -rf "$out"
  drop_caches
  dotnet "$2/Dht.Simulator.dll" run "$file" --nodes "$nodes" --out "$out" >"$work/run.log" 2>&1 \
    || { echo "sim-compare: the $1 run failed; its output:" >&2; tail -20 "$work/run.log" >&2; exit 2; }
  rate=$(field "$out/summary.json" eventsPerSecond)
  hash=$(field "$out/summary.json" traceHash)
  extra="$(field "$out/summary.json" allocatedBytesPerEvent) B/event, GC $(field "$out/summary.json" gcPauseFraction)"
  [ -n "$rate" ] && [ -n "$hash" ] || { echo "sim-compare: no eventsPerSecond or traceHash in $out/summary.json" >&2; exit 2; }
  if [ -z "$trace" ]; then trace=$hash; fi
  if [ "$hash" != "$trace" ]; then
    echo "sim-compare: the $1 run gave traceHash $hash, the first run $trace: the builds simulate differently" >&2
    exit 1
  fi
}

[ -w /proc/sys/vm/drop_caches ] || echo "note: not root, so the page cache is not dropped between runs"
echo "scenario $scenario, $nodes nodes, $pairs pairs; base $1, new $2"
ratios_base_first=()
ratios_new_first=()
faster=0
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then
    run base "$base"; b=$rate; bx=$extra; run new "$new"; n=$rate; nx=$extra; order="base first"
  else
    run new "$new"; n=$rate; nx=$extra; run base "$base"; b=$rate; bx=$extra; order="new first"
  fi
  ratio=$(awk -v n="$n" -v b="$b" 'BEGIN { printf "%.4f", n / b }')
  echo "pair $i ($order): base $b, new $n events/s, ratio $ratio (base $bx; new $nx)"
  if [ $((i % 2)) -eq 1 ]; then ratios_base_first+=("$ratio"); else ratios_new_first+=("$ratio"); fi
  if awk -v r="$ratio" 'BEGIN { exit !(r > 1) }'; then faster=$((faster + 1)); fi
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m1=$(median "${ratios_base_first[@]}")
m2=nan
if [ ${#ratios_new_first[@]} -gt 0 ]; then m2=$(median "${ratios_new_first[@]}"); fi
echo "traceHash $trace in every run"
echo "median ratio new/base: $m1 with base first (${#ratios_base_first[@]} pairs), $m2 with new first (${#ratios_new_first[@]} pairs)"
if [ "$m2" != "nan" ]; then
  awk -v a="$m1" -v b="$m2" -v f="$faster" -v p="$pairs" \
    'BEGIN { printf "estimate (geometric mean of the two): %.4f; new faster in %d of %d pairs\n", sqrt(a * b), f, p }'
else
  echo "new faster in $faster of $pairs pairs (one pair: no estimate of the order's effect)"
fi
