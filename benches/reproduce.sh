#!/bin/sh
# Reproduces the contention and registry tables of BENCHMARKS.md.
#
#   benches/reproduce.sh              # both benches (about 6 minutes after the build)
#   benches/reproduce.sh contention   # one of them
#   benches/reproduce.sh registry
#
# Extra arguments after the bench name go to criterion, e.g. a filter:
#   benches/reproduce.sh contention 'threads/flock_keep_file'
#
# The tables are printed at the end of each bench and written as Markdown to
# <criterion dir>/contention-summary.md and registry-summary.md (the
# criterion dir is $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion, else
# target/criterion). Note the load average each summary records: figures
# taken on a busy machine are not comparable.
set -eu
cd "$(dirname "$0")/.."

echo "machine: $(nproc) CPUs, $(uname -sr)"
df -T "${TMPDIR:-/tmp}" | tail -n 1
uptime

benches=${1:-"contention registry"}
[ $# -gt 0 ] && shift
for bench in $benches; do
    cargo bench --bench "$bench" -- "$@"
done

dir=${CRITERION_HOME:-${CARGO_TARGET_DIR:-target}/criterion}
for bench in $benches; do
    echo "summary: $dir/$bench-summary.md"
done
