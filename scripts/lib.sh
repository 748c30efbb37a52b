# Shared helpers for scripts/run and scripts/test (sourced, not executed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(
  g++ cmake ninja-build pkg-config curl ca-certificates ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libpq-dev libhiredis-dev libspdlog-dev libfmt-dev libcli11-dev
  libtomlplusplus-dev libsodium-dev libgtest-dev libgmock-dev libbenchmark-dev
  nodejs npm
)
# Only needed by ./scripts/test (services, fuzzing, browser tests).
APT_TEST_PACKAGES=(
  postgresql redis-server nginx clang-14 libclang-rt-14-dev
  chromium fonts-noto-color-emoji fonts-wqy-zenhei
)

PHASE_NAMES=()
PHASE_SECONDS=()
phase_start() { PHASE_NAME="$1"; PHASE_T0=$(date +%s); echo "==> $1"; }
phase_end() {
  local t=$(( $(date +%s) - PHASE_T0 ))
  PHASE_NAMES+=("$PHASE_NAME"); PHASE_SECONDS+=("$t")
  echo "<== $PHASE_NAME: ${t}s"
}
print_phases() {
  echo "Phase timings:"
  for i in "${!PHASE_NAMES[@]}"; do
    printf '  %-28s %5ss\n' "${PHASE_NAMES[$i]}" "${PHASE_SECONDS[$i]}"
  done
}

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs whichever of the given Debian packages are missing (fast when none are).
ensure_packages() {
  local missing=()
  for p in "$@"; do
    if [ "$p" = nodejs ] || [ "$p" = npm ]; then
      command -v "${p/nodejs/node}" >/dev/null 2>&1 && continue
    fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && { echo "all ${#} packages present"; return 0; }
  echo "installing: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
    -o Acquire::Retries=3 install -y -qq --no-install-recommends --no-upgrade "${missing[@]}"
}

# Configures (once) and builds a CMake preset.
build_preset() {
  local preset="$1"; shift
  if [ ! -f "build/$preset/build.ninja" ]; then
    cmake --preset "$preset" >"build-$preset.configure.log" 2>&1 || {
      cat "build-$preset.configure.log"; return 1; }
    rm -f "build-$preset.configure.log"
  fi
  cmake --build "build/$preset" -j "$(nproc)" "$@"
}

# npm ci in a folder when its lockfile changed since the last install.
ensure_npm() {
  local dir="$1"
  [ -f "$dir/package-lock.json" ] || return 0
  local stamp="$dir/node_modules/.lock-stamp"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "$dir: node modules up to date"; return 0
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
}

# Builds the web app into web/dist when its sources changed.
build_web() {
  [ -f web/package.json ] || { echo "no web app yet"; return 0; }
  ensure_npm web
  local stamp="web/dist/.build-stamp"
  local newest
  newest=$(find web/src web/index.html web/package-lock.json web/vite.config.* web/public \
    -type f -newer "$stamp" 2>/dev/null | head -1 || true)
  if [ -f "$stamp" ] && [ -z "$newest" ]; then echo "web app up to date"; return 0; fi
  (cd web && npm run build --silent)
  touch "$stamp"
}
