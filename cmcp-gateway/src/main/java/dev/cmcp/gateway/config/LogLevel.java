package dev.cmcp.gateway.config;

/** log_level: the least severe records written. */
public enum LogLevel {
  DEBUG("debug", System.Logger.Level.DEBUG),
  INFO("info", System.Logger.Level.INFO),
  WARNING("warning", System.Logger.Level.WARNING),
  ERROR("error", System.Logger.Level.ERROR);

  private final String configName;
  private final System.Logger.Level level;

  LogLevel(String configName, System.Logger.Level level) {
    this.configName = configName;
    this.level = level;
  }

  public String configName() {
    return configName;
  }

  public System.Logger.Level level() {
    return level;
  }
}
