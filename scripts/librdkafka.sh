#!/usr/bin/env bash
# A current librdkafka for the Kafka clients. Debian 12 packages librdkafka 2.0.2 (January 2023): it misses three
# years of client fixes and cannot talk to some current brokers (Tansu: "ApiVersionRequest failed: Local: Read
# underflow"). The confluent-kafka wheel on PyPI ships librdkafka itself as one self-contained shared library (built
# with SSL, SASL and zstd, needing only libc), so this takes it from there, the way scripts/openvino.sh takes OpenVINO:
#
#   scripts/librdkafka.sh install   put the library in runtime/librdkafka/lib (with the librdkafka.so name the linker
#                                   wants; runtime/librdkafka/kcat holds the librdkafka.so.1 name that the tests give
#                                   Debian's kcat through LD_LIBRARY_PATH) and write the pkg-config file
#                                   runtime/librdkafka/lib/pkgconfig/rdkafka.pc for SwiftPM. The headers are Debian's
#                                   (librdkafka-dev): librdkafka's C API and ABI are backward compatible, so a program
#                                   built against the 2.0.2 headers runs on 2.16. Idempotent (a stamp file).
#   scripts/librdkafka.sh check     compile a small C program against it and print the version it runs with.
#
# To build against the system's librdkafka instead, run make with RDKAFKA=system (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
wheel_version=2.16.2  # confluent-kafka 2.16.2 ships librdkafka 2.16.0
# The wheel for CPython 3.11 on manylinux_2_28 is named exactly, and its hash pinned, so every machine gets the same
# library whatever Python runs set-up (the library inside does not depend on the Python version).
wheel=confluent_kafka-$wheel_version-cp311-cp311-manylinux_2_28_x86_64.whl
wheel_sha256=f4cae8bc8e5208def5cfe9ac07b85c934c07e5424011608b3bac713cbcc82c3e
prefix=$PWD/runtime/librdkafka
downloads=runtime/downloads
stamp_text="librdkafka from $wheel at $prefix (lib/ as rdkafka-wheel, kcat/)"

install_library() {
  [ -f "$prefix/.stamp" ] && [ "$(cat "$prefix/.stamp")" = "$stamp_text" ] && return 0
  if [ ! -f /usr/include/librdkafka/rdkafka.h ]; then
    echo "librdkafka: /usr/include/librdkafka/rdkafka.h is missing: install Debian's librdkafka-dev (scripts/setup.sh does)" >&2
    exit 1
  fi
  if [ ! -f "$downloads/$wheel" ]; then
    echo "librdkafka: downloading $wheel from PyPI into $downloads"
    mkdir -p "$downloads"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64 \
      -d "$downloads" "confluent-kafka==$wheel_version"
  fi
  if [ "$(sha256sum "$downloads/$wheel" | cut -d' ' -f1)" != "$wheel_sha256" ]; then
    echo "librdkafka: $downloads/$wheel does not have the pinned SHA-256; delete it and run set-up again" >&2
    exit 1
  fi

  echo "librdkafka: extracting the librdkafka of $wheel into runtime/librdkafka"
  rm -rf "$prefix.part"
  mkdir -p "$prefix.part/lib/pkgconfig"
  local library
  library=$(python3 - "$downloads/$wheel" "$prefix.part/lib" <<'EOF'
import os, shutil, sys, zipfile
wheel, dest = sys.argv[1:3]
with zipfile.ZipFile(wheel) as archive:
    names = [n for n in archive.namelist() if n.startswith("confluent_kafka.libs/librdkafka")]
    if len(names) != 1:
        sys.exit(f"expected one librdkafka in the wheel, found {names}")
    target = os.path.join(dest, os.path.basename(names[0]))
    with archive.open(names[0]) as src, open(target, "wb") as out:
        shutil.copyfileobj(src, out)
    os.chmod(target, 0o755)
    print(os.path.basename(target))
EOF
  )
  # The wheel's library has a hashed soname (librdkafka-0cb94173.so.1); binaries linked through it record that
  # soname, so they can never pick up another librdkafka by accident, and one built against the system's
  # (RDKAFKA=system, soname librdkafka.so.1) finds nothing of this in its rpath folder. The link name is unique too
  # (-lrdkafka-wheel): with -lrdkafka the linker took Debian's librdkafka.so wherever FFmpeg's
  # -L/usr/lib/x86_64-linux-gnu came first (the test bundle). The librdkafka.so.1 name for kcat lives in a folder
  # of its own for the same reason.
  ln -s "$library" "$prefix.part/lib/librdkafka-wheel.so"
  mkdir -p "$prefix.part/kcat"
  ln -s "../lib/$library" "$prefix.part/kcat/librdkafka.so.1"
  # No -Wl,-rpath: SwiftPM refuses it from pkg-config; Package.swift passes the rpath itself.
  cat >"$prefix.part/lib/pkgconfig/rdkafka.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=/usr/include

Name: rdkafka
Description: librdkafka from the confluent-kafka $wheel_version wheel on PyPI (scripts/librdkafka.sh), Debian's headers
Version: 2.16.0
Cflags: -I\${includedir}
Libs: -L\${libdir} -lrdkafka-wheel
EOF
  echo "$stamp_text" >"$prefix.part/.stamp"
  rm -rf "$prefix"
  mv "$prefix.part" "$prefix"
}

check() {
  local work status=0
  work=$(mktemp -d)
  cat >"$work/check.c" <<'EOF'
#include <librdkafka/rdkafka.h>
#include <stdio.h>
int main(void) {
    char error[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char features[512];
    size_t size = sizeof(features);
    rd_kafka_conf_get(conf, "builtin.features", features, &size);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
    if (!producer) { fprintf(stderr, "librdkafka: check: %s\n", error); return 1; }
    printf("librdkafka: check: runs with librdkafka %s (built against headers %d.%d.%d); features: %s\n",
           rd_kafka_version_str(), (RD_KAFKA_VERSION >> 24) & 0xff, (RD_KAFKA_VERSION >> 16) & 0xff,
           (RD_KAFKA_VERSION >> 8) & 0xff, features);
    rd_kafka_destroy(producer);
    return 0;
}
EOF
  # shellcheck disable=SC2046 # pkg-config's output is a list of flags
  cc -o "$work/check" "$work/check.c" \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs rdkafka) -Wl,-rpath,"$prefix/lib" || status=$?
  [ $status -eq 0 ] && { "$work/check" || status=$?; }
  rm -rf "$work"
  return $status
}

case "${1:-}" in
  install) install_library ;;
  check) check ;;
  *)
    echo "usage: scripts/librdkafka.sh install | check" >&2
    exit 2
    ;;
esac
