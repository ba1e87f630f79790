#!/bin/sh
# Build-time helper: picks the model bundles that go into the image at /app/models.
#   MODELS=auto    bundles under models/ (folders with a model.json); if there are none, the tiny
#                  test bundles from src/test/resources/bundles, so the image always serves something
#   MODELS=repo    only the bundles under models/ (fails if there are none)
#   MODELS=test    only the tiny test bundles
#   MODELS=none    an empty model directory: mount bundles at run time (ARVDM_MODEL_DIR)
set -eu
ctx="$1"; out="$2"; mode="${3:-auto}"
mkdir -p "$out"
copy_repo() {
  found=0
  for manifest in "$ctx"/models/*/model.json; do
    [ -f "$manifest" ] || continue
    cp -r "$(dirname "$manifest")" "$out/"
    found=1
  done
  [ "$found" = 1 ]
}
copy_test() { cp -r "$ctx"/src/test/resources/bundles/. "$out/"; find "$out" -name parity.npz -delete; }
case "$mode" in
  auto) copy_repo || copy_test ;;
  repo) copy_repo || { echo "MODELS=repo but no models/*/model.json in the build context" >&2; exit 1; } ;;
  test) copy_test ;;
  none) ;;
  *) echo "unknown MODELS=$mode (auto|repo|test|none)" >&2; exit 1 ;;
esac
echo "bundles in the image:"; ls -1 "$out"
