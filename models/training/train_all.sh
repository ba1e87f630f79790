#!/bin/sh
# Retrain every bundle from scratch and export it to models/<id>/. Every config is bounded by
# `steps` (the count its committed bundle was trained for), so a rerun repeats the recipe.
# Wall time on this 2-core CPU, 1 torch thread per run, two runs side by side: about 7.7 hours
# (backbone stages 7 + 15 min; maze-none beside maze-prepend-16, about 105 min; then two lanes
# of about 85 min: maze-prepend-4 (60 min) and the two compressed variants (9 min each), beside
# maze-channel-concat-16 (42 min) and maze-cross-attention-8 (44 min)), then
# maze-prepend-16-paint4 (continues maze-prepend-16, about 150 min alone), then maze-prepend-16-pose
# (continues maze-prepend-16-paint4 with pose-aware temporal attention, about 91 min). Reruns resume from
# runs/<id>/ckpt.pt; delete runs/ to start over. Logs: runs/<id>.log.
cd "$(dirname "$0")"
PY=${PY:-/usr/bin/python3}
one() { $PY train.py configs/$1.json > runs/$1.log 2>&1 && case $1 in stage-*) ;; *) $PY export.py configs/$1.json >> runs/$1.log 2>&1;; esac || echo "FAILED $1"; }
mkdir -p runs
one stage-none-v64    # backbone, v objective (800 steps)
one stage-none-base   # backbone, x0 objective (2140 steps); the memory variants start here
one maze-none & a=$!  # continues none-base
one maze-prepend-16
wait $a
( one maze-prepend-4; one maze-compressed-joint-16; one maze-compressed-modulated-16 ) & a=$!
one maze-channel-concat-16
one maze-cross-attention-8
wait $a
one maze-prepend-16-paint4  # continues maze-prepend-16 with painting-weighted revisits
one maze-prepend-16-pose    # continues maze-prepend-16-paint4's weights, adds pose-aware temporal attention
