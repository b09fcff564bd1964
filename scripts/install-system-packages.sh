#!/usr/bin/env bash
# Debian packages the tests and benchmarks need beyond Python: Chromium for the browser test, the PostgreSQL
# server (the tests start a throwaway cluster of their own on a loopback port; none is configured or started
# here), Docker's engine, docker-compose and debootstrap for the container test (which starts its own dockerd
# and builds its own base images), and the handwriting fonts benchmarks/heldout_testsets.py draws held-out
# digits and letters in.
# Idempotent: installs only what is missing. Needs root (or sudo) the first time.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
for font in comic-neue:opentype/comic-neue/ComicNeue-Regular.otf bwht:opentype/bwht/BecauseWeBuild-Regular.otf \
    dancingscript:opentype/dancingscript/DancingScript-Regular.otf breip:truetype/breip/Breip.ttf \
    ecolier-court:truetype/ecolier-court/Ecolier-court.ttf dkg-handwriting:truetype/fifthhorseman/dkg.ttf \
    humor-sans:truetype/humor-sans/Humor-Sans.ttf klee:truetype/klee/KleeOne-Regular.ttf \
    kristi:truetype/kristi/Kristi.ttf rufscript:truetype/rufscript/Rufscript010.ttf; do  # package:one file
  [ -f "/usr/share/fonts/${font#*:}" ] || missing+=("fonts-${font%%:*}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
