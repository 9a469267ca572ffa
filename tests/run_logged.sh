#!/usr/bin/env bash
# run_logged.sh LOG COMMAND [ARGS...]: runs COMMAND with its output going both
# to ctest and to LOG, and exits with COMMAND's status. The suite's last test
# scans every LOG for the fake secrets the tests use.
set -o pipefail
log=$1
shift
mkdir -p "$(dirname "$log")"
"$@" 2>&1 | tee "$log"
