package dev.cmcp.gateway.catalog;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
   */
  record StreamableHttp(String name, URI url, Map<String, String> headers) implements UpstreamServer {
    public StreamableHttp {
      headers = Map.copyOf(headers);
    }
  }
}
