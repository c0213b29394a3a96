#!/usr/bin/env bash
# Writes the build's version stamp (release + git information) for the node and metroctl.
# Usage: version.sh OUTPUT_FILE. Without git (e.g. a source tarball) it writes no git fields,
# and the version prints as "-nostamp".
set -u
out="$1"
mkdir -p "$(dirname "$out")"
{
  echo "release=0.1.0"
  if hash=$(git rev-parse --short=8 HEAD 2>/dev/null); then
    echo "commit=$hash"
    echo "commits_since_release=$(git rev-list --count HEAD 2>/dev/null || echo 0)"
    if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
      echo "tree=dirty"
    else
      echo "tree=clean"
    fi
  fi
} > "$out.tmp" && mv "$out.tmp" "$out"
