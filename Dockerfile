# digitrec's images, from one Dockerfile:
#   serving   the app, predict and evaluate on ONNX Runtime: no torch
#   training  serving plus torch: train, finetune and the fine-tune worker
#
#   docker build --target serving  -t digitrec-serving .
#   docker build --target training -t digitrec-training .
#
# PYTHON_IMAGE is any image with Python 3.11+ and its venv module; the official python image is the default.
# (The tests build from a Debian base of their own, bootstrapped with debootstrap, and pass it here.)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/digitrec/bin:$PATH
RUN python3 -m venv /opt/digitrec \
 && groupadd --system digitrec \
 && useradd --system --gid digitrec --home-dir /var/lib/digitrec --create-home digitrec
COPY pyproject.toml README.md /src/
COPY src /src/src

FROM base AS serving
# No bytecode (Python compiles what it imports, once, into memory), and nothing the app never runs: pip
# itself, the packages' test suites and C headers.
RUN pip install --no-compile /src && rm -rf /src \
 && pip uninstall --yes pip setuptools \
 && find /opt/digitrec -depth -type d \( -name tests -o -name __pycache__ -o -name include \) -exec rm -rf {} +
# Where a standalone container keeps its SQLite database and the registry's local copies of model versions.
WORKDIR /var/lib/digitrec
USER digitrec
ENV DIGITREC_HOST=0.0.0.0 \
    DIGITREC_PORT=8501 \
    DIGITREC_RUNTIME=onnx \
    DIGITREC_MODELS_DIR=/var/lib/digitrec/models
EXPOSE 8501
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD python3 -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"DIGITREC_PORT\"]}/_stcore/health', timeout=2)"
CMD ["digitrec", "serve"]

FROM base AS training
# TORCH_INDEX_URL: where torch comes from, e.g. https://download.pytorch.org/whl/cpu for a CPU-only image
# (much smaller than the default CUDA build from PyPI).
ARG TORCH_INDEX_URL=
RUN if [ -n "$TORCH_INDEX_URL" ]; then pip install --extra-index-url "$TORCH_INDEX_URL" "/src[train]"; \
    else pip install "/src[train]"; fi \
 && rm -rf /src
WORKDIR /var/lib/digitrec
USER digitrec
ENV DIGITREC_MODELS_DIR=/var/lib/digitrec/models \
    DIGITREC_DATA_DIR=/var/lib/digitrec/data
CMD ["digitrec", "worker"]
