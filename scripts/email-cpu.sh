#!/usr/bin/env bash
# One `hillpost-bench --only email` run, plus the worker process's CPU per letter (read from
# /proc while it runs): steadier than the rate when comparing two builds. For A/B, copy each
# build's bench binary aside and alternate them:
#     scripts/email-cpu.sh /tmp/bench-before 60000; scripts/email-cpu.sh /tmp/bench-after 60000
set -euo pipefail
bench=${1:?usage: scripts/email-cpu.sh BENCH_BINARY [LETTERS]}
letters=${2:-60000}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$bench" --only email --email-rounds 1 --emails "$letters" >"$log" 2>/dev/null &
runner=$!
ticks=0
while kill -0 "$runner" 2>/dev/null; do
    worker=$(pgrep -f "$(basename "$bench") child-worker" | head -1 || true)
    if [ -n "$worker" ]; then
        now=$(awk '{print $14 + $15}' "/proc/$worker/stat" 2>/dev/null || true)
        [ -n "$now" ] && ticks=$now
    fi
    sleep 0.05
done
wait "$runner"
rate=$(grep -m1 "end to end" "$log" | awk '{print $(NF-5)}')
source=$(grep -m1 "smtp-source (reference" "$log" | awk '{print $(NF-5)}')
hz=$(getconf CLK_TCK)
echo "hillpost ${rate} /s, smtp-source ${source} /s, worker CPU $(awk -v t="$ticks" -v n="$letters" -v hz="$hz" 'BEGIN{printf "%.1f", t / hz * 1e6 / n}') µs per letter"
