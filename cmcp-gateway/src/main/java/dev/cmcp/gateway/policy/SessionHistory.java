package dev.cmcp.gateway.policy;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a session did before the request being decided, as Cedar sees it in {@code
 * context.session}: the facts a per-call rule cannot know ("after any pii tool, nothing external").
 *
 * @param callCount governed requests of the session decided before this one, allowed or not
 * @param toolsCalled names of the catalog tools the session's earlier calls were forwarded to
 * @param sensitivitySeen the catalog's {@code sensitivity_level} of those tools, where they have one
 * @param deniedCount earlier requests of the session that were denied and not forwarded
 */
public record SessionHistory(long callCount, Set<String> toolsCalled, Set<String> sensitivitySeen, long deniedCount) {

  /** A session that has done nothing yet. */
  public static final SessionHistory EMPTY = new SessionHistory(0, Set.of(), Set.of(), 0);

  public SessionHistory {
    toolsCalled = Set.copyOf(toolsCalled);
    sensitivitySeen = Set.copyOf(sensitivitySeen);
  }

  /**
   * The history once one more request is recorded.
   *
   * @param forwardedTool the catalog tool the request was forwarded to; empty for a denied request,
   *     a resource read or a prompt
   * @param sensitivityLevel that tool's {@code sensitivity_level}, if the catalog gives one
   * @param denied whether the request was denied and not forwarded
   */
  public SessionHistory after(Optional<String> forwardedTool, Optional<String> sensitivityLevel, boolean denied) {
    Set<String> tools = toolsCalled;
    Set<String> levels = sensitivitySeen;
    if (forwardedTool.isPresent() && !tools.contains(forwardedTool.get())) {
      Set<String> more = new TreeSet<>(tools);
      more.add(forwardedTool.get());
      tools = more;
    }
    if (forwardedTool.isPresent() && sensitivityLevel.isPresent() && !levels.contains(sensitivityLevel.get())) {
      Set<String> more = new TreeSet<>(levels);
      more.add(sensitivityLevel.get());
      levels = more;
    }
    return new SessionHistory(callCount + 1, tools, levels, deniedCount + (denied ? 1 : 0));
  }
}
