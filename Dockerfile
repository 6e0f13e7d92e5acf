# The emulator as a container. The base image is a build argument so that machines without
# a registry can build on a local Debian/Python image (its python3 must be 3.11 or newer).
ARG BASE=python:3.12-slim
FROM ${BASE}

WORKDIR /app
COPY pyproject.toml README.md ./
COPY emulator ./emulator
RUN python3 -m venv /venv && /venv/bin/pip install --no-cache-dir .
# Smoke test at build time: the command line starts and knows its flags.
RUN /venv/bin/oss-emulator --help > /dev/null

ENV PATH=/venv/bin:$PATH \
    OSS_EMULATOR_HOST=0.0.0.0 \
    OSS_EMULATOR_PORT=9050 \
    OSS_EMULATOR_DATA_DIR=/data
VOLUME /data
EXPOSE 9050
# The port comes from the environment, so a container run with another OSS_EMULATOR_PORT
# (the compose stack listens on 80) is checked where it listens: change the port with that
# variable rather than with --port, which the check cannot see.
HEALTHCHECK --interval=5s --timeout=3s --retries=10 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ['OSS_EMULATOR_PORT'], timeout=3)"]
ENTRYPOINT ["oss-emulator"]
