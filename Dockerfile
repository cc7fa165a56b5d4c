# syntax=docker/dockerfile:1
#
# The hotline server (service "hotline" in docker-compose.yml).
# Stage 1 builds a static binary with the Go version of go.mod; stage 2 is a
# small Debian with just what the server needs at run time.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/hotline ./cmd/hotline

FROM debian:bookworm-slim
# ca-certificates for HTTPS webhooks, tzdata for Europe/Kyiv working hours,
# curl for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin hotline
COPY --from=build /out/hotline /usr/local/bin/hotline
# The default configuration; docker-compose.yml overrides what differs in a
# container through HOTLINE_* variables (and could mount a file of its own).
COPY config/hotline.yaml /etc/hotline/hotline.yaml

USER hotline
ENV TZ=Europe/Kyiv \
    HOTLINE_HTTP_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["hotline"]
CMD ["serve", "-c", "/etc/hotline/hotline.yaml"]
