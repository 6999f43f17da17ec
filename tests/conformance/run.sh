#!/bin/sh
# Runs the conformance suite: every scenario against Apache ZooKeeper 3.8.0 (REFERENCE)
# and against ZOOSCOPE_TARGET_CMD (TARGET; Apache too when unset). Installs nothing.
#   tests/conformance/run.sh                      # Apache against Apache
#   ZOOSCOPE_TARGET_CMD='target/debug/zooscope server --config {cfg}' tests/conformance/run.sh
#   tests/conformance/run.sh -k watch -x          # extra arguments go to pytest
# Exit status is pytest's.
cd "$(dirname "$0")/../.." || exit 2
echo "conformance: TARGET = ${ZOOSCOPE_TARGET_CMD:-Apache ZooKeeper 3.8.0 (self-check)}"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider --tb=short -W ignore::DeprecationWarning tests/conformance "$@"
