#!/usr/bin/env bash
# Prints the absolute path of a usable Temporal CLI (pinned to v1.5.1) on stdout, and nothing else.
#
# Lookup order: $TEMPORAL_CLI_PATH, `temporal` on PATH, the Go cache ($(go env GOBIN) or
# $(go env GOPATH)/bin, then $HOME/go/bin). When none is usable and `go` exists, the pinned version is
# built with `go install` (minutes; progress on stderr). Otherwise exits 1 with one line on stderr.
# The start command, the tests and CI all use this script.
set -u

readonly CLI_VERSION="1.5.1"
readonly CLI_MODULE="github.com/temporalio/cli"
# The server release bundled with CLI v1.5.1, which `go install` builds report instead of a CLI version.
readonly SERVER_SERIES="1.29."

have_go() { command -v go >/dev/null 2>&1; }

abs_path() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd)" "$(basename "$1")" ;;
  esac
}

# Release builds print "temporal version 1.5.1 (...)"; `go install` builds print "0.0.0-DEV (Server 1.29.x ...)",
# so for those the module version embedded in the binary (or the bundled server series) decides.
is_compatible() {
  local bin="$1" out
  [ -x "$bin" ] && [ -f "$bin" ] || return 1
  out="$("$bin" --version 2>/dev/null)" || return 1
  case "$out" in
    "temporal version ${CLI_VERSION}"*) return 0 ;;
    "temporal version 0.0.0-DEV"*) ;;
    *) return 1 ;;
  esac
  if have_go; then
    local mod
    mod="$(go version -m "$bin" 2>/dev/null | awk -v m="$CLI_MODULE" '$1 == "mod" && $2 == m { print $3 }')"
    if [ -n "$mod" ]; then
      [ "$mod" = "v${CLI_VERSION}" ]
      return
    fi
  fi
  case "$out" in
    *"(Server ${SERVER_SERIES}"*) return 0 ;;
  esac
  return 1
}

go_bin_dir() {
  local gobin gopath
  gobin="$(go env GOBIN 2>/dev/null)"
  if [ -n "$gobin" ]; then printf '%s\n' "$gobin"; return; fi
  gopath="$(go env GOPATH 2>/dev/null)"
  printf '%s/bin\n' "${gopath%%:*}"
}

# An explicit override wins even when its version differs: the operator asked for that binary.
if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  if [ ! -x "$TEMPORAL_CLI_PATH" ] || [ ! -f "$TEMPORAL_CLI_PATH" ]; then
    echo "temporal-cli: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2
    exit 1
  fi
  if ! is_compatible "$TEMPORAL_CLI_PATH"; then
    echo "temporal-cli: warning: $TEMPORAL_CLI_PATH does not report Temporal CLI v${CLI_VERSION}; using it anyway" >&2
  fi
  abs_path "$TEMPORAL_CLI_PATH"
  exit 0
fi

candidates=()
if on_path="$(command -v temporal 2>/dev/null)"; then candidates+=("$on_path"); fi
if have_go; then candidates+=("$(go_bin_dir)/temporal"); fi
if [ -n "${HOME:-}" ]; then candidates+=("$HOME/go/bin/temporal"); fi

for candidate in ${candidates[@]+"${candidates[@]}"}; do
  if is_compatible "$candidate"; then
    abs_path "$candidate"
    exit 0
  fi
done

if have_go; then
  echo "temporal-cli: building Temporal CLI v${CLI_VERSION} with go install (this takes a few minutes)..." >&2
  if ! GOFLAGS=-mod=mod go install "${CLI_MODULE}/cmd/temporal@v${CLI_VERSION}" >&2; then
    echo "temporal-cli: go install ${CLI_MODULE}/cmd/temporal@v${CLI_VERSION} failed" >&2
    exit 1
  fi
  built="$(go_bin_dir)/temporal"
  if is_compatible "$built"; then
    abs_path "$built"
    exit 0
  fi
  echo "temporal-cli: go install finished but $built is not a usable Temporal CLI v${CLI_VERSION}" >&2
  exit 1
fi

echo "temporal-cli: Temporal CLI v${CLI_VERSION} not found; install Go and run 'go install ${CLI_MODULE}/cmd/temporal@v${CLI_VERSION}', download it from https://github.com/temporalio/cli/releases/tag/v${CLI_VERSION}, or set TEMPORAL_CLI_PATH" >&2
exit 1
