# hookgraph with the project in this directory (langgraph.json and its graphs). docker-compose.yml
# runs it in its roles; the same image serves `serve`, `api` and `worker`.
FROM node:20-bookworm-slim
WORKDIR /app
# better-sqlite3 compiles when no prebuilt binary matches.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm ci
COPY . .
ENTRYPOINT ["node", "bin/hookgraph.js"]
