#!/bin/sh
# Retrain every bundle from scratch and export it to models/<id>/ (about 95 minutes of
# wall time on 2 CPU cores: the backbone first with 2 threads, then the six memory
# variants, two at a time with 1 thread each, each initialized from the backbone).
# Reruns resume from runs/<id>/ckpt.pt; delete runs/ to start over.
cd "$(dirname "$0")"
PY=${PY:-/usr/bin/python3}
one() { $PY train.py configs/$1.json > runs/$1.log 2>&1 && case $1 in stage-*) ;; *) $PY export.py configs/$1.json >> runs/$1.log 2>&1;; esac || echo "FAILED $1"; }
pair() { one $1 & a=$!; one $2 & b=$!; wait $a; wait $b; }
mkdir -p runs
one stage-none-v64
one maze-none
pair maze-prepend-16 maze-prepend-4
pair maze-cross-attention-8 maze-channel-concat-16
pair maze-compressed-joint-16 maze-compressed-modulated-16
