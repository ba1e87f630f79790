#!/usr/bin/env bash
# Builds the GPU image and checks it on this machine's GPU: the model loads on gpu(0), one
# generation streams, and the per-step latency is printed. Needs Docker with the NVIDIA Container
# Toolkit. Usage (repository root): bash deploy/docker/gpu-check.sh [image-tag] [port]
set -euo pipefail
tag=${1:-arvdm-serving:gpu-check}
port=${2:-18080}
cd "$(dirname "$0")/../.."

docker build --build-arg FLAVOR=gpu -t "$tag" .
name=arvdm-gpu-check-$$
docker run -d --rm --name "$name" --gpus 1 -p "$port:8080" --read-only --tmpfs /tmp -v "$name-djl:/var/cache/djl" \
  -e ARVDM_DEVICE=gpu "$tag" >/dev/null
trap 'docker logs "$name" 2>&1 | tail -20; docker rm -f "$name" >/dev/null 2>&1 || true; docker volume rm "$name-djl" >/dev/null 2>&1 || true' EXIT

for _ in $(seq 1 120); do
  if curl -fs "localhost:$port/actuator/health/readiness" >/dev/null; then break; fi
  sleep 2
done
curl -fs "localhost:$port/actuator/health/readiness" >/dev/null || { echo "not ready after 240 s" >&2; exit 1; }

echo "== devices"
curl -fs "localhost:$port/v1/models" | python3 -c 'import json,sys; [print(m["id"], m["device"]) for m in json.load(sys.stdin)["models"]]'
python3 docs/examples/request.py --frames 32 > /tmp/gpu-check-req.json
echo "== one generation (JSON)"
curl -fs -H 'Content-Type: application/json' -H 'Accept: application/json' --data @/tmp/gpu-check-req.json \
  "localhost:$port/v1/generations" | python3 -c 'import json,sys; d=json.load(sys.stdin)["done"]; print({k: d[k] for k in ("frames","networkCalls","totalMs","meanStepMs","timeToFirstFrameMs")})'
echo "== step latency"
curl -fs "localhost:$port/actuator/prometheus" | grep -E '^arvdm_step_latency_seconds_(count|sum)'
