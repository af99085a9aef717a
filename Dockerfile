# product-search container image (ECR / ECS Fargate).
#
# Stage 1 builds the server with Debian's toolchain and runs the unit tests;
# stage 2 is FROM scratch and holds only the stripped binary, the shared
# libraries the dynamic loader resolves for it (ldd), the loader itself and a
# two-line /etc/passwd. No shell, no package manager, no curl: the health check
# is the server's own `--healthcheck`.
#
# Build with `make image` (scripts/build-image.sh): docker build when a Docker
# daemon answers, otherwise podman build --isolation chroot --pull=never
# --format docker on a locally debootstrapped debian:bookworm-slim
# (scripts/make-base-image.sh). The docker format keeps HEALTHCHECK, which
# the OCI image config has no field for. A plain `podman build .` or
# `docker build .` works too, with the engine's default limits: the unit
# tests size their socket counts to the open-file limit they are given.
#
# The base stays Debian 12 (libmicrohttpd 0.9.75); Debian 13 (1.0.1) was
# evaluated and is one build argument away, see docs/container.md:
#   --build-arg DEBIAN_IMAGE=docker.io/library/debian:trixie-slim

ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build

# The packages come from the project's one list, scripts/install-deps.sh
# (groups build and test); the script alone is copied first, so this layer is
# rebuilt only when the list changes, not on every source change.
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh build test \
 && rm -rf /var/lib/apt/lists/* /tmp/product-search-install-deps.log

COPY . .

ARG VERSION=0.1.0
ARG SHORT_REVISION=unknown
# Build, then run the Check unit tests (they start a real server on
# 127.0.0.1 with port 0); a failing test fails the image build. The abuse
# tests print how many sockets they ran with when RLIMIT_NOFILE is low.
RUN make -j"$(nproc)" VERSION="${VERSION}" REVISION="${SHORT_REVISION}" \
 && make test VERSION="${VERSION}" REVISION="${SHORT_REVISION}"

# Assemble the runtime root: the binary, every shared object ldd resolves
# (copied to the same path, symlinks dereferenced), the ELF interpreter, and
# the passwd/group entries for the numeric user 10001.
RUN set -eu; \
    bin=build/product-search; \
    rootfs=/rootfs; \
    mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc"; \
    install -m 0755 -s "$bin" "$rootfs/usr/local/bin/product-search"; \
    for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do \
        cp --parents -L "$lib" "$rootfs/"; \
    done; \
    interp="$(readelf -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')"; \
    test -e "$rootfs$interp"; \
    printf 'root:x:0:0:root:/:/sbin/nologin\napp:x:10001:10001:product-search:/nonexistent:/sbin/nologin\n' > "$rootfs/etc/passwd"; \
    printf 'root:x:0:\napp:x:10001:\n' > "$rootfs/etc/group"; \
    echo "runtime files:"; find "$rootfs" -type f -exec ls -l {} +; du -sh "$rootfs"

FROM scratch

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="product-search" \
      org.opencontainers.image.description="Product search HTTP service (C, libmicrohttpd)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

COPY --from=build /rootfs/ /

USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
# --healthcheck exits 1 on /health 503: "starting" while a whole-catalog index
# is built (a PRODUCTS_FILE is searched whole by default), "draining" at
# shutdown. The start period covers a 1,000,000-product file on a quarter of a
# vCPU (load 1.5 s and index 3-6 s on one vCPU, 4 times that on 0.25); a larger
# catalog needs docker run --health-start-period. On ECS the task definition
# sets its own, sized to the catalog (terraform/modules/ecs_service).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/product-search", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/product-search"]
