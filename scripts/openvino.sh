#!/usr/bin/env bash
# OpenVINO for the detector. Debian 12 packages no OpenVINO, but PyPI's openvino wheel carries the whole C/C++ runtime
# (libopenvino_c, libopenvino, the CPU plugin, TBB) and the C headers, so this takes them from there:
#
#   scripts/openvino.sh install   put headers and libraries in runtime/openvino/{include,lib}, write the pkg-config
#                                 file runtime/openvino/lib/pkgconfig/openvino-c.pc (for SwiftPM), and pip-install the
#                                 same version of the Python package (only scripts/darknet-to-ir.py uses it, at
#                                 set-up time). Idempotent: a stamp file records what is installed, and where.
#   scripts/openvino.sh check [MODEL.xml]
#                                 compile and run a small C program against the installed C API: prints the version
#                                 and the devices found, and reads and compiles MODEL.xml on the CPU if given.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2026.4.1
prefix=$PWD/runtime/openvino
downloads=runtime/downloads
# The absolute prefix is in the stamp too: the .pc file names it, so a moved checkout must write it again.
stamp_text="openvino $version $prefix (pkg-config without rpath)"

install_python() {
  # The Python API, for the converter. Checked on its own: pip installs can come and go independently of runtime/.
  # (importlib.metadata, not `import openvino`: that takes a second)
  if ! python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('openvino') != '$version')" 2>/dev/null; then
    echo "openvino: pip-installing openvino==$version (Python API, for scripts/darknet-to-ir.py)"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "openvino==$version"
  fi
}

install_c_api() {
  [ -f "$prefix/.stamp" ] && [ "$(cat "$prefix/.stamp")" = "$stamp_text" ] && return 0

  local wheels
  wheels=("$downloads"/openvino-"$version"-*.whl)
  if [ ! -f "${wheels[0]}" ]; then
    echo "openvino: downloading the openvino $version wheel from PyPI into $downloads"
    mkdir -p "$downloads"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$downloads" \
      "openvino==$version"
    wheels=("$downloads"/openvino-"$version"-*.whl)
  fi

  echo "openvino: extracting openvino/include and openvino/libs from ${wheels[0]##*/} into runtime/openvino"
  rm -rf "$prefix.part"
  # Only the C/C++ parts: include/ as is, libs/ flattened to lib/. The wheel's tbb.pc is left out: it points at
  # /usr/local, and nothing here uses TBB directly.
  python3 - "${wheels[0]}" "$prefix.part" <<'EOF'
import os, shutil, sys, zipfile
wheel, dest = sys.argv[1:3]
with zipfile.ZipFile(wheel) as archive:
    for info in archive.infolist():
        for source, target in (("openvino/include/", "include/"), ("openvino/libs/", "lib/")):
            if info.filename.startswith(source) and not info.filename.endswith("/"):
                relative = target + info.filename[len(source):]
                if relative == "lib/tbb.pc":
                    continue
                path = os.path.join(dest, relative)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with archive.open(info) as src, open(path, "wb") as out:
                    shutil.copyfileobj(src, out)
                os.chmod(path, 0o755 if ".so" in relative else 0o644)
EOF

  # The wheel ships only versioned names (libopenvino_c.so.2641, ...); the linker's -lopenvino_c wants the plain one.
  local links=() library
  for library in "$prefix.part"/lib/lib*.so.*; do
    library=${library##*/}
    ln -s "$library" "$prefix.part/lib/${library%%.so.*}.so"
    links+=("${library%%.so.*}.so")
  done
  echo "openvino: linked ${links[*]}"

  echo "openvino: writing runtime/openvino/lib/pkgconfig/openvino-c.pc"
  mkdir -p "$prefix.part/lib/pkgconfig"
  # No -Wl,-rpath here: SwiftPM refuses it from pkg-config ("prohibited flag"), so Package.swift passes the rpath
  # itself (binaries find libopenvino_c, which finds the rest through its own $ORIGIN rpath, without LD_LIBRARY_PATH).
  cat >"$prefix.part/lib/pkgconfig/openvino-c.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: openvino-c
Description: OpenVINO C API, from the openvino $version wheel on PyPI (scripts/openvino.sh)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lopenvino_c
EOF
  echo "$stamp_text" >"$prefix.part/.stamp"
  rm -rf "$prefix"
  mv "$prefix.part" "$prefix"
}

check() { # [model.xml]
  local work status=0
  work=$(mktemp -d)
  cat >"$work/check.c" <<'EOF'
#include <openvino/c/openvino.h>
#include <stdio.h>

static int fail(const char *what) {
    fprintf(stderr, "openvino: check: %s failed: %s\n", what, ov_get_last_err_msg());
    return 1;
}

int main(int argc, char **argv) {
    ov_version_t version;
    if (ov_get_openvino_version(&version) != OK) return fail("ov_get_openvino_version");
    printf("openvino: check: C API version %s (%s)\n", version.buildNumber, version.description);
    ov_version_free(&version);

    ov_core_t *core = NULL;
    if (ov_core_create(&core) != OK) return fail("ov_core_create");
    ov_available_devices_t devices;
    if (ov_core_get_available_devices(core, &devices) != OK) return fail("ov_core_get_available_devices");
    printf("openvino: check: devices:");
    for (size_t i = 0; i < devices.size; i++) printf(" %s", devices.devices[i]);
    printf("\n");
    ov_available_devices_free(&devices);

    if (argc > 1) {
        ov_model_t *model = NULL;
        ov_compiled_model_t *compiled = NULL;
        if (ov_core_read_model(core, argv[1], NULL, &model) != OK) return fail("ov_core_read_model");
        /* the non-variadic form: Swift cannot call C variadic functions such as ov_core_compile_model */
        if (ov_core_compile_model_props(core, model, "CPU", 0, NULL, &compiled) != OK)
            return fail("ov_core_compile_model_props");
        printf("openvino: check: read and compiled %s on CPU\n", argv[1]);
        ov_compiled_model_free(compiled);
        ov_model_free(model);
    }
    ov_core_free(core);
    return 0;
}
EOF
  # shellcheck disable=SC2046 # pkg-config's output is a list of flags
  cc -o "$work/check" "$work/check.c" \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs openvino-c) -Wl,-rpath,"$prefix/lib" || status=$?
  [ $status -eq 0 ] && { "$work/check" "$@" || status=$?; }
  rm -rf "$work"
  return $status
}

case "${1:-}" in
  install)
    install_c_api
    install_python
    ;;
  check)
    shift
    check "$@"
    ;;
  *)
    echo "usage: scripts/openvino.sh install | check [MODEL.xml]" >&2
    exit 2
    ;;
esac
