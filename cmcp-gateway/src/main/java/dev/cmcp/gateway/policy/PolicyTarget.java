package dev.cmcp.gateway.policy;

import java.util.Objects;

/**
 * What a request acts on. Each kind has its Cedar action and resource entity:
 *
 * <ul>
 *   <li>{@link Tool}: {@code Action::"call_tool"}, {@code Tool::"<exposed tool name>"};
 *   <li>{@link Resource}: {@code Action::"read_resource"}, {@code Resource::"<server>:<uri>"};
 *   <li>{@link Prompt}: {@code Action::"get_prompt"}, {@code Prompt::"<server>.<prompt>"}.
 * </ul>
 *
 * Each resource entity's parent is {@code Server::"<server>"}.
 */
public sealed interface PolicyTarget {

  /** The Cedar action id. */
  String action();

  /** The target's name as policies, the audit log and claims see it: the Cedar entity id. */
  String name();

  /** A catalog tool, by the name agents call it. */
  record Tool(String name) implements PolicyTarget {
    public Tool {
      Objects.requireNonNull(name, "name");
    }

    @Override
    public String action() {
      return "call_tool";
    }
  }

  /** A resource of a catalog server, by its URI. */
  record Resource(String server, String uri) implements PolicyTarget {
    public Resource {
      Objects.requireNonNull(server, "server");
      Objects.requireNonNull(uri, "uri");
    }

    @Override
    public String action() {
      return "read_resource";
    }

    @Override
    public String name() {
      return server + ":" + uri;
    }
  }

  /** A prompt of a catalog server, by its name on that server; agents see it as {@code <server>.<name>}. */
  record Prompt(String server, String upstreamName) implements PolicyTarget {
    public Prompt {
      Objects.requireNonNull(server, "server");
      Objects.requireNonNull(upstreamName, "upstreamName");
    }

    @Override
    public String action() {
      return "get_prompt";
    }

    @Override
    public String name() {
      return server + "." + upstreamName;
    }
  }
}
