#!/bin/sh
# Install what the test suite needs: the Debian packages public-inbox (a real
# archive server for the fetch tests), chromium (the HTML report is checked in
# a real browser), git, universal-ctags and id-utils (tree mode and its
# symbol index), then reviewpatch itself with its test
# extras.  Safe to run again.
set -eu
need=""
command -v public-inbox-httpd >/dev/null 2>&1 || need="$need public-inbox"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v git >/dev/null 2>&1 || need="$need git"
command -v ctags >/dev/null 2>&1 || need="$need universal-ctags"
command -v mkid >/dev/null 2>&1 || need="$need id-utils"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="no"; fi
    if [ "$sudo" = no ]; then
        echo "install-test-deps: cannot install$need (not root, no sudo); those tests will be skipped" >&2
    else
        $sudo apt-get update -q
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $need
    fi
fi
python3 -m pip install -q -e ".[test]"
