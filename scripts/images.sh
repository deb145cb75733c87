#!/usr/bin/env bash
# Builds the berth/demo:dev image from a static berth binary, with no registry:
# FROM scratch needs no pull. Idempotent: the same source gives the same image id,
# which is printed last (alone on stdout).
#   IMAGE=berth/demo:dev  the tag to build
#   CMD=demo              the image's default subcommand
set -euo pipefail
cd "$(dirname "$0")/.."
image=${IMAGE:-berth/demo:dev}
cmd=${CMD:-demo}
go=${GO:-go}

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

# -trimpath and a fixed build make the binary, and so the image, reproducible.
CGO_ENABLED=0 "$go" build -tags hashicorpmetrics -trimpath -ldflags '-s -w' \
  -o "$ctx/berth" ./cmd/berth

cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY berth /berth
LABEL io.berth.managed=true
ENTRYPOINT ["/berth"]
CMD ["$cmd"]
DOCKERFILE

# The classic builder handles FROM scratch without BuildKit or buildx (the Debian
# docker CLI here lacks buildx); fall back to import if even that is unavailable.
if ! DOCKER_BUILDKIT=0 docker build -q -t "$image" "$ctx" >"$ctx/build.log" 2>&1; then
  echo "images: docker build failed, importing instead:" >&2
  sed 's/^/  /' "$ctx/build.log" >&2
  tar -C "$ctx" -cf - berth | docker import \
    --change 'LABEL io.berth.managed=true' \
    --change 'ENTRYPOINT ["/berth"]' \
    --change "CMD [\"$cmd\"]" - "$image" >/dev/null
fi
docker image inspect -f '{{.Id}}' "$image"
