#!/bin/bash
# Docker HEALTHCHECK: healthy when the readiness group answers 200 (models loaded and warmed up).
# Plain bash over /dev/tcp, so the runtime image needs no curl or wget.
set -u
# the actuator answers on the management port when one is set (compose, Kubernetes)
port="${MANAGEMENT_SERVER_PORT:-${SERVER_PORT:-8080}}"
path="${HEALTHCHECK_PATH:-/actuator/health/readiness}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nAccept: application/json\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || exit 1
exec 3<&-
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) exit 1 ;;
esac
