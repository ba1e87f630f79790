# syntax=docker/dockerfile:1.7
#
# ARVDM inference service image. See docs/deployment.md.
#
#   CPU (default): docker build -t arvdm-serving:0.1.0-cpu .
#   GPU (CUDA):    docker build --build-arg FLAVOR=gpu -t arvdm-serving:0.1.0-gpu .
#
# One jar for both flavours (it carries the CPU libtorch). FLAVOR picks the runtime base: the
# eclipse-temurin JRE, or an NVIDIA CUDA runtime with that JRE copied in plus DJL's CUDA 12.8
# build of libtorch, fetched once at build time into /opt/libtorch (deploy/docker/fetch-libtorch.sh)
# and found through PYTORCH_LIBRARY_PATH, so the container still runs offline and read-only.
# The CUDA natives are not on Maven Central (deepjavalibrary/djl#3784); see docs/deployment.md.
# MODELS picks the bundles baked into /app/models (auto|repo|test|none, see
# deploy/docker/select-models.sh); mount another directory over it or set ARVDM_MODEL_DIR.

ARG FLAVOR=cpu
ARG JRE_IMAGE=eclipse-temurin:17-jre
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04
# Must match pom.xml (pytorch.version, djl.version): DockerImageTest checks it.
ARG PYTORCH_VERSION=2.7.1
ARG DJL_VERSION=0.36.0
ARG TORCH_FLAVOR=cu128

# ---------------------------------------------------------------- build: the executable jar
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml ./
# Dependencies first, so source edits do not download them again.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q dependency:resolve -DincludeScope=runtime
COPY src/main ./src/main
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -Dmaven.test.skip=true package \
 && cp target/arvdm-serving-*.jar /build/app.jar

# ---------------------------------------------------------------- models: the bundles to bake in
FROM maven:3.9-eclipse-temurin-17 AS models
ARG MODELS=auto
# .dockerignore lets through only bundle files (models/*/model.json, models/*/*.pt) and the
# tiny test bundles.
COPY . /ctx
RUN sh /ctx/deploy/docker/select-models.sh /ctx /models "${MODELS}"

# ---------------------------------------------------------------- GPU natives (FLAVOR=gpu only)
# DJL's CUDA libtorch and its JNI library, from DJL's CDN at build time (several GB).
FROM maven:3.9-eclipse-temurin-17 AS natives-gpu
ARG PYTORCH_VERSION
ARG DJL_VERSION
ARG TORCH_FLAVOR
COPY deploy/docker/fetch-libtorch.sh /fetch-libtorch.sh
RUN (command -v curl >/dev/null || (apt-get update -q && apt-get install -y -q --no-install-recommends curl)) \
 && sh /fetch-libtorch.sh "${PYTORCH_VERSION}" "${TORCH_FLAVOR}" "${DJL_VERSION}" /opt/libtorch

# ---------------------------------------------------------------- runtime bases
FROM ${JRE_IMAGE} AS base-cpu

FROM ${CUDA_IMAGE} AS base-gpu
ARG PYTORCH_VERSION
ARG TORCH_FLAVOR
COPY --from=base-cpu /opt/java/openjdk /opt/java/openjdk
COPY --from=natives-gpu /opt/libtorch /opt/libtorch
ENV JAVA_HOME=/opt/java/openjdk \
    PATH=/opt/java/openjdk/bin:$PATH \
    PYTORCH_LIBRARY_PATH=/opt/libtorch \
    PYTORCH_VERSION=${PYTORCH_VERSION} \
    PYTORCH_FLAVOR=${TORCH_FLAVOR} \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

# ---------------------------------------------------------------- runtime
FROM base-${FLAVOR} AS runtime
ARG FLAVOR
LABEL org.opencontainers.image.title="arvdm-serving" \
      org.opencontainers.image.description="Auto-regressive video diffusion inference service (DJL/PyTorch, Spring WebFlux, SSE)" \
      org.arvdm.flavor="${FLAVOR}"

# Non-root user with a fixed numeric id (Kubernetes runAsNonRoot checks the number).
RUN groupadd --system --gid 10001 arvdm \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin arvdm \
 && mkdir -p /app/models /var/cache/djl \
 && chown 10001:10001 /var/cache/djl \
 && chmod 1777 /tmp

WORKDIR /app
COPY --from=build /build/app.jar /app/app.jar
COPY --from=models /models/ /app/models/
COPY deploy/docker/healthcheck.sh /app/healthcheck.sh

# DJL extracts the PyTorch natives into its cache at start: keep it on a writable volume so the
# root file system can be read-only (Kubernetes: an emptyDir at /var/cache/djl and one at /tmp).
# JAVA_OPTS: heap is a share of the container's memory limit; the rest is for libtorch's native
# tensors, which live outside the heap. The heap is fixed (initial = maximum, never shrunk after a
# GC: MaxHeapFreeRatio=100) and touched at start,
# so the resident memory is what the pod asks for from the first request on and only native
# memory can move it (a heap that grows and shrinks with the GC made RSS swing by 143 % in a soak).
ENV ARVDM_MODEL_DIR=/app/models \
    DJL_CACHE_DIR=/var/cache/djl \
    ENGINE_CACHE_DIR=/var/cache/djl \
    JAVA_OPTS="-XX:MaxRAMPercentage=40 -XX:InitialRAMPercentage=40 -XX:MaxHeapFreeRatio=100 -XX:+AlwaysPreTouch -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp" \
    SERVER_SHUTDOWN=graceful \
    SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE=620s \
    MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED=true

VOLUME ["/tmp", "/var/cache/djl"]
USER 10001:10001
EXPOSE 8080

# Healthy once the readiness group is UP: models loaded and warmed up (30-60 s on CPU).
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["/bin/bash", "/app/healthcheck.sh"]

# exec: java is PID 1 and gets SIGTERM, which starts Spring's graceful shutdown.
ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS -Dai.djl.offline=true -jar /app/app.jar \"$@\"", "arvdm"]
