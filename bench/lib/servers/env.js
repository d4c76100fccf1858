// The environment both servers run with: nothing may phone home (there is no internet here, and a
// blocked request would add its timeout to the figures), and logs stay quiet so console I/O is not
// what gets measured.
const QUIET = {
  LANGSMITH_TRACING: "false",
  LANGSMITH_TRACING_V2: "false",
  LANGCHAIN_TRACING: "false",
  LANGCHAIN_TRACING_V2: "false",
  // langgraphjs CLI: usage analytics are POSTed to a hosted endpoint on every command unless this is 1.
  LANGGRAPH_CLI_NO_ANALYTICS: "1",
  // langgraphjs CLI: would open Studio in a browser once the server is up.
  BROWSER: "none",
  // langgraph-api's winston logger; hookgraph takes --log-level instead.
  LOG_LEVEL: "warn",
  NO_COLOR: "1",
};

// Credentials would let a library reach LangSmith; no figure needs them.
const DROPPED = ["LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGGRAPH_API_KEY", "LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT"];

export function serverEnv(extra = {}) {
  const env = { ...process.env, ...QUIET, ...extra };
  for (const key of DROPPED) delete env[key];
  return env;
}
