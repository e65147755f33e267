#!/usr/bin/env bash
# Wall time and peak memory of the README's two commands on a fresh clone.
#
#   bash benchmarks/fresh_clone.sh [REPO]     (default: this repository)
#
# Clones REPO (its committed main) into a temporary folder and runs `make test`
# then `make book` there under /usr/bin/time -v.  The first command pays for the
# set-up (pip's cache warm, system packages present); the second reuses it.
# "Peak memory" is the largest resident set of any single process of the run
# (GNU time's "Maximum resident set size", which covers waited-for children,
# notebook kernels included).
set -euo pipefail
repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
echo "clone in $work"
git clone --quiet "$repo" "$work/clone"
cd "$work/clone"
# A cold cache of pretrained models, as on a new machine.
export NTLIB_CACHE_DIR="$work/cache"
for target in test book; do
    /usr/bin/time -v -o "$work/time-$target" make "$target" >"$work/log-$target" 2>&1 || {
        echo "make $target failed; last lines:"; tail -n 30 "$work/log-$target"; exit 1; }
    wall=$(grep "Elapsed (wall clock)" "$work/time-$target" | awk '{print $NF}')
    rss_kb=$(grep "Maximum resident set size" "$work/time-$target" | awk '{print $NF}')
    printf 'make %-4s  wall %s  peak RSS %.0f MB\n' "$target" "$wall" "$(echo "$rss_kb / 1024" | bc -l)"
done
tail -n 1 "$work/log-test"
