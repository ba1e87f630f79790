#!/bin/sh
# Fetches DJL's build of libtorch for one flavour (e.g. cu128) and the matching DJL JNI library
# into DEST, the way DJL's own LibUtils.downloadPyTorch does at run time, but once, at image build
# time, so the running container stays offline (ai.djl.offline=true) and read-only.
#
#   fetch-libtorch.sh PYTORCH_VERSION FLAVOR DJL_VERSION DEST [BASE_URL]
#   fetch-libtorch.sh 2.7.1 cu128 0.36.0 /opt/libtorch
#
# BASE_URL defaults to DJL's CDN, https://publish.djl.ai/pytorch. Layout read there:
#   <BASE_URL>/<version>/files.txt                          one path per line, e.g.
#                                                           cu128/linux-x86_64/native/lib/libtorch.so.gz
#   <BASE_URL>/<version>/<path>                             each gzipped library
#   <BASE_URL>/<version>/jnilib/<djl>/<classifier>/<flavor>/libdjl_torch.so
# DJL's pytorch-engine then finds both through PYTORCH_LIBRARY_PATH=DEST (libtorch.so, and the JNI
# library next to it), with PYTORCH_VERSION and PYTORCH_FLAVOR set to the same values.
set -eu

if [ $# -lt 4 ]; then
  echo "usage: $0 PYTORCH_VERSION FLAVOR DJL_VERSION DEST [BASE_URL]" >&2
  exit 2
fi
version=$1
flavor=$2
djl=$3
dest=$4
base=${5:-https://publish.djl.ai/pytorch}
classifier=linux-x86_64

fetch() { # url file
  curl -fsSL --retry 3 -o "$2" "$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch "$base/$version/files.txt" "$tmp/files.txt"

mkdir -p "$dest"
count=0
# Exactly this flavour's libraries: the same prefix test as DJL's (flavor/classifier/).
for path in $(grep "^$flavor/$classifier/" "$tmp/files.txt" | grep '\.gz$'); do
  name=$(basename "$path" .gz)
  echo "libtorch: $path"
  fetch "$base/$version/$path" "$tmp/lib.gz"
  gunzip -c "$tmp/lib.gz" > "$dest/$name"
  count=$((count + 1))
done
if [ "$count" -eq 0 ]; then
  echo "no $flavor/$classifier libraries listed in $base/$version/files.txt" >&2
  exit 1
fi
if [ ! -s "$dest/libtorch.so" ]; then
  echo "$flavor/$classifier has no libtorch.so in $base/$version/files.txt" >&2
  exit 1
fi

echo "jni: $djl/$classifier/$flavor"
fetch "$base/$version/jnilib/$djl/$classifier/$flavor/libdjl_torch.so" "$dest/$djl-libdjl_torch.so"
printf 'pytorch=%s\nflavor=%s\ndjl=%s\nfiles=%s\n' "$version" "$flavor" "$djl" "$count" > "$dest/FETCHED"
echo "fetched $count libraries and the JNI library into $dest"
