#!/usr/bin/env bash
# Makes sure headless Chromium and its WebDriver are present for the browser test
# of the animation player (tests/test_player_browser.py): installs Debian's
# chromium and chromium-driver packages with apt-get when we are root on
# Debian/Ubuntu, otherwise prints how. Never fails the build: without Chromium
# that one test is skipped, saying how to enable it.
set -uo pipefail
have() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }
have && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium or chromedriver is missing; installing chromium and chromium-driver with apt-get..."
  apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null || true
  have && exit 0
fi
cat >&2 <<'MSG'
Headless Chromium is not installed: the browser test of the animation player will be skipped.
To run it, install Chromium and its WebDriver:
  apt-get install chromium chromium-driver   (Debian, Ubuntu; as root or with sudo)
  brew install --cask chromium chromedriver  (macOS)
MSG
exit 0
