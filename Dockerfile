# clinvoker with the three agent CLIs, serving the HTTP APIs.
#   docker build -t clinvoker .
#   docker run -p 8080:8080 -e CLINVK_API_KEYS=change-me -e ANTHROPIC_API_KEY=... -v clinvk-data:/data clinvoker
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs && npm pack --ignore-scripts && mv clinvoker-*.tgz /clinvoker.tgz

FROM node:20-bookworm-slim
# git and ripgrep: the agents use them; tini: reaps the CLIs' children.
RUN apt-get update && apt-get install -y --no-install-recommends git ripgrep tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build /clinvoker.tgz /tmp/clinvoker.tgz
RUN npm install -g --no-audit --no-fund /tmp/clinvoker.tgz \
    @anthropic-ai/claude-code@2.1.197 @openai/codex@0.169.0 @google/gemini-cli@0.61.0 \
  && rm /tmp/clinvoker.tgz && npm cache clean --force
RUN useradd --create-home --uid 10001 agent && mkdir -p /data /work && chown agent /data /work
USER agent
# Config and sessions live in /data; projects the agents may work in are mounted under /work.
ENV CLINVK_HOME=/data \
    CLINVK_SERVER_ALLOWED_WORKDIR_PREFIXES=/work \
    GEMINI_CLI_TRUST_WORKSPACE=true
VOLUME ["/data"]
WORKDIR /work
EXPOSE 8080
# Listening on 0.0.0.0 requires API keys (CLINVK_API_KEYS); without them clinvk serve refuses to start.
ENTRYPOINT ["tini", "--"]
CMD ["clinvk", "serve", "--host", "0.0.0.0", "--port", "8080"]
