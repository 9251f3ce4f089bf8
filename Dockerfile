# syntax=docker/dockerfile:1
# SatsMotion in a container: the same self-contained, ReadyToRun server as the release archive (scripts/publish),
# on Debian with ffmpeg and libsecp256k1 from the distribution, as a user of its own. Not built on the project's
# own machines (they have no container engine); see docs/operators/deployment.md.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# .dockerignore keeps build output, local data and the secrets compose mounts out of this copy.
COPY . .
# BuildKit names the platform being built (amd64 or arm64); .NET calls them x64 and arm64.
ARG TARGETARCH=amd64
RUN dotnet publish src/SatsMotion.Server/SatsMotion.Server.csproj -c Release -r "linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" --self-contained \
      -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:DebugType=none -o /app \
 && mv /app/SatsMotion.Server /app/satsmotion

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg libsecp256k1-1 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/satsmotion --create-home --shell /usr/sbin/nologin satsmotion
COPY --from=build /app /opt/satsmotion
USER satsmotion
ENV SATSMOTION_DATA=/var/lib/satsmotion
VOLUME ["/var/lib/satsmotion"]
EXPOSE 5402
# Inside a container the server must listen beyond loopback; publish the port only behind your TLS proxy.
ENTRYPOINT ["/opt/satsmotion/satsmotion", "--urls", "http://0.0.0.0:5402"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD curl -fsS http://127.0.0.1:5402/healthz || exit 1
