package dev.cmcp.gateway.catalog;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** An MCP server named in the catalog, and how the gateway reaches it. */
public sealed interface UpstreamServer permits UpstreamServer.Stdio, UpstreamServer.StreamableHttp {

  /** The catalog's key for this server; exposed tool names start with it. */
  String name();

  /**
   * A server the gateway starts as a child process and talks to over stdin/stdout.
   *
   * @param env extra environment variables, {@code ${NAME}} references already replaced
   * @param workingDirectory absolute; the catalog file's folder unless the catalog says otherwise
   */
  record Stdio(String name, String command, List<String> args, Map<String, String> env, Path workingDirectory)
      implements UpstreamServer {
    public Stdio {
      args = List.copyOf(args);
      env = Map.copyOf(env);
    }
  }

  /**
   * A server reached over MCP Streamable HTTP at {@code url}, with fixed extra request headers.
   *
   * @param headers header values with {@code ${NAME}} references already replaced; they may hold secrets
   * @param sessionMode whether each agent session gets an upstream session of its own
   */
  record StreamableHttp(String name, URI url, Map<String, String> headers, SessionMode sessionMode) implements UpstreamServer {
    public StreamableHttp {
      headers = Map.copyOf(headers);
      Objects.requireNonNull(sessionMode, "sessionMode");
    }

    /** A server in the default mode, {@link SessionMode#PER_AGENT}. */
    public StreamableHttp(String name, URI url, Map<String, String> headers) {
      this(name, url, headers, SessionMode.PER_AGENT);
    }
  }

  /**
   * How the agents' sessions map to the server's MCP sessions ({@code session_mode} in the catalog).
   * A stdio server is one process, and so always one session that every agent shares.
   */
  enum SessionMode {
    /** Each agent session gets an upstream session of its own, opened on its first use and ended with it. */
    PER_AGENT("per_agent"),
    /** One upstream session for every agent: for servers that cannot hold many sessions; agents share its state. */
    SHARED("shared");

    private final String word;

    SessionMode(String word) {
      this.word = word;
    }

    /** The catalog's word for the mode. */
    public String word() {
      return word;
    }
  }
}
