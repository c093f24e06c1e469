package dev.cmcp.gateway.config;

/** log_format: how each log line on stderr is written. */
public enum LogFormat {
  /** One JSON object per line, for log collectors. */
  JSON("json"),
  /** One line of words per record, for a person at a terminal. */
  TEXT("text");

  private final String configName;

  LogFormat(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /** Without log_format: text for a person at a terminal, JSON for everything else. */
  public static LogFormat forOutput(boolean terminal) {
    return terminal ? TEXT : JSON;
  }
}
