#!/usr/bin/env bash
# Re-record the conformance corpus from the bpftrace on this machine (needs root).
#
#   test/conformance/record.sh                 record every case, each run twice; a case whose two
#                                              runs differ is reported and its files are left alone
#   test/conformance/record.sh NAME...         only these cases (NAME = file name without .bt)
#   test/conformance/record.sh --check [NAME...]
#                                              write nothing: run bpftrace again and report every case
#                                              whose output differs from what is recorded
#
# For each cases/NAME.bt it runs, from inside cases/ (so error messages say "NAME.bt:1:2"):
#   timeout $TIMEOUT bpftrace -B none NAME.bt [lines of NAME.args] </dev/null
# and writes NAME.expected (stdout exactly, "Attaching N probes..." included), NAME.exit (only when
# the exit status is not 0) and NAME.stderr (only when the exit status is not 0). Each line of
# NAME.args is one argument, passed after the script path (positional parameters $1, $2, ...).
# NAME.sonde-expected (sonde's intended output where it deliberately differs, see
# KNOWN-DIFFERENCES.md) is written by hand and never touched here.
# A case with a NAME.unstable file (its reason inside) is one where bpftrace's own output is not
# deterministic: it is recorded once, without the two-run check, and must have a .sonde-expected.
set -u
export LC_ALL=C
BPFTRACE=${BPFTRACE:-/usr/bin/bpftrace}
TIMEOUT=${TIMEOUT:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
CASES="$HERE/cases"

check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
if [ "$(id -u)" != 0 ]; then echo "record.sh: needs root (bpftrace loads BPF programs)" >&2; exit 2; fi
if ! "$BPFTRACE" --version | grep -q '^bpftrace v0\.17\.'; then
  echo "record.sh: the corpus is recorded from bpftrace 0.17; $BPFTRACE is $("$BPFTRACE" --version)" >&2
  exit 2
fi

if [ $# -gt 0 ]; then names=("$@"); else
  names=(); for f in "$CASES"/*.bt; do n=$(basename "$f" .bt); names+=("$n"); done
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# run NAME OUTDIR: one bpftrace run; OUTDIR gets stdout, stderr, exit
run() {
  local name=$1 out=$2 args=()
  mkdir -p "$out"
  if [ -f "$CASES/$name.args" ]; then mapfile -t args < "$CASES/$name.args"; fi
  (cd "$CASES" && timeout --kill-after=5 "$TIMEOUT" "$BPFTRACE" -B none "$name.bt" "${args[@]}" \
      </dev/null >"$out/stdout" 2>"$out/stderr.raw") 2>/dev/null  # not bash's "Aborted" notice
  echo $? >"$out/exit"
  # bpftrace warns about RLIMIT_MEMLOCK when it cannot raise it (containers); that line is about
  # the machine, not the script.
  grep -v "couldn't set RLIMIT_MEMLOCK" "$out/stderr.raw" >"$out/stderr"
}

same() { cmp -s "$1/stdout" "$2/stdout" && cmp -s "$1/exit" "$2/exit" && cmp -s "$1/stderr" "$2/stderr"; }

fail=0
for name in "${names[@]}"; do
  if [ ! -f "$CASES/$name.bt" ]; then echo "no such case: $name" >&2; fail=1; continue; fi
  run "$name" "$tmp/$name.1"
  code=$(cat "$tmp/$name.1/exit")
  if [ "$code" = 124 ] || [ "$code" = 137 ]; then
    echo "TIMEOUT  $name (bpftrace did not finish in ${TIMEOUT}s)"; fail=1; continue
  fi
  if [ $check = 1 ]; then
    exp_exit=0; [ -f "$CASES/$name.exit" ] && exp_exit=$(cat "$CASES/$name.exit")
    if [ -f "$CASES/$name.unstable" ]; then echo "unstable $name (not checked: $(head -1 "$CASES/$name.unstable"))"; continue; fi
    if ! cmp -s "$tmp/$name.1/stdout" "$CASES/$name.expected" || [ "$code" != "$exp_exit" ] ||
       { [ "$code" != 0 ] && ! cmp -s "$tmp/$name.1/stderr" "$CASES/$name.stderr"; }; then
      echo "DIFFERS  $name"; diff "$CASES/$name.expected" "$tmp/$name.1/stdout" | head -20; fail=1
    else echo "ok       $name"; fi
    continue
  fi
  if [ ! -f "$CASES/$name.unstable" ]; then
    run "$name" "$tmp/$name.2"
    if ! same "$tmp/$name.1" "$tmp/$name.2"; then
      echo "UNSTABLE $name (two runs differ; nothing written)"
      diff "$tmp/$name.1/stdout" "$tmp/$name.2/stdout" | head -20; fail=1; continue
    fi
  fi
  cp "$tmp/$name.1/stdout" "$CASES/$name.expected"
  if [ "$code" != 0 ]; then
    echo "$code" >"$CASES/$name.exit"; cp "$tmp/$name.1/stderr" "$CASES/$name.stderr"
  else
    rm -f "$CASES/$name.exit" "$CASES/$name.stderr"
  fi
  echo "recorded $name (exit $code)"
done
exit $fail
