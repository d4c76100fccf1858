/** A configuration problem found at start-up; the message names the key and the rule. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
