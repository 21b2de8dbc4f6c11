#!/usr/bin/env bash
# A local stand-in for the AWS Lambda Python 3.11 base image (public.ecr.aws/lambda/python:3.11),
# for machines that run Docker but reach no image registry. `sam local invoke --invoke-image`
# uses it; SAM adds its runtime interface emulator and the layers on top, as with the real image.
#
#   sudo docker/build-lambda-python311.sh [TAG]      (default tag: severa-netvisor/lambda-python:3.11)
#
# A Debian bookworm root (its python3 is 3.11) made with debootstrap from the Debian archive, plus
# AWS's runtime interface client (awslambdaric, from the Python package index) and the
# /var/runtime/bootstrap the emulator starts. Needs root, debootstrap, docker and pip.
set -euo pipefail

TAG=${1:-severa-netvisor/lambda-python:3.11}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
AWSLAMBDARIC_VERSION=${AWSLAMBDARIC_VERSION:-4.2.2}
case "$(uname -m)" in
  x86_64) PLATFORM=manylinux2014_x86_64 ;;
  aarch64) PLATFORM=manylinux2014_aarch64 ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 1 ;;
esac

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT

debootstrap --variant=minbase --include=python3,ca-certificates bookworm "$ROOT" "$MIRROR"

# The runtime interface client, as a wheel for the image's Python (3.11) and machine.
pip install --quiet --no-deps --only-binary=:all: --python-version 3.11 --platform "$PLATFORM" \
    --target "$ROOT/var/runtime" "awslambdaric==$AWSLAMBDARIC_VERSION" simplejson snapshot-restore-py

mkdir -p "$ROOT/var/task" "$ROOT/opt"
# What Lambda's Python runtime does: the layer's folders and the runtime on the path, then the
# runtime interface client runs the handler (_HANDLER) from the task folder.
cat > "$ROOT/var/runtime/bootstrap" <<'BOOTSTRAP'
#!/bin/sh
export PYTHONPATH="/opt/python/lib/python3.11/site-packages:/opt/python:/var/runtime${PYTHONPATH:+:$PYTHONPATH}"
export LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime
cd /var/task
exec /usr/bin/python3 -m awslambdaric "$_HANDLER"
BOOTSTRAP
chmod +x "$ROOT/var/runtime/bootstrap"
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*

tar -C "$ROOT" -c . | docker import \
    --change 'WORKDIR /var/task' \
    --change 'ENV LANG=C.UTF-8 TZ=UTC LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime' \
    --change 'ENTRYPOINT ["/var/runtime/bootstrap"]' \
    - "$TAG"
echo "built $TAG"
