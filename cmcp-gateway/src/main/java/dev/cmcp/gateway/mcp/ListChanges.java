package dev.cmcp.gateway.mcp;

import dev.cmcp.gateway.policy.ActivePolicy;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The lists agents are told have changed, and the one thread that tells them.
 *
 * <p>What learns of a change (an upstream's reader, a policy reload) only marks the kinds changed
 * and goes on: the telling runs on a thread of its own, started when there is something to tell
 * and ended when nothing is left, so no reader ever waits for an agent's stream. Changes that come
 * while a round of telling runs are told in one more round, once per kind: a burst of changes
 * becomes at most one more notification of each kind.
 */
final class ListChanges {

  private static final System.Logger LOG = System.getLogger("cmcp.mcp");

  /** A list an agent reads, with the notification that says it changed and the listen filter member that asks for it. */
  enum Kind {
    TOOLS("notifications/tools/list_changed", "toolsListChanged"),
    PROMPTS("notifications/prompts/list_changed", "promptsListChanged"),
    RESOURCES("notifications/resources/list_changed", "resourcesListChanged");

    private final String method;
    private final String filterMember;

    Kind(String method, String filterMember) {
      this.method = method;
      this.filterMember = filterMember;
    }

    String method() {
      return method;
    }

    /** The member of a {@code subscriptions/listen} request's {@code notifications} that asks for it. */
    String filterMember() {
      return filterMember;
    }

    /** The kind a server's notification method announces; empty for any other method. */
    static Optional<Kind> ofMethod(String method) {
      return Arrays.stream(values()).filter(kind -> kind.method.equals(method)).findFirst();
    }
  }

  private final Consumer<Set<Kind>> tell;
  /** Kinds changed and not yet told; guarded by this. */
  private final EnumSet<Kind> pending = EnumSet.noneOf(Kind.class);
  /** Whether a thread is telling now; guarded by this. */
  private boolean telling;

  /** @param tell tells every agent that can hear it of the kinds given; runs on this class's thread */
  ListChanges(Consumer<Set<Kind>> tell) {
    this.tell = tell;
  }

  /** Marks {@code kinds} changed; returns at once. */
  void changed(Set<Kind> kinds) {
    if (kinds.isEmpty()) {
      return;
    }
    synchronized (this) {
      pending.addAll(kinds);
      if (telling) {
        return;
      }
      telling = true;
    }
    Thread.ofVirtual().name("cmcp-list-changes").start(this::tellAll);
  }

  private void tellAll() {
    while (true) {
      Set<Kind> now;
      synchronized (this) {
        if (pending.isEmpty()) {
          telling = false;
          return;
        }
        now = EnumSet.copyOf(pending);
        pending.clear();
      }
      try {
        tell.accept(now);
      } catch (RuntimeException e) {
        // One failed round must not stop later ones: the thread ends only when nothing is left.
        LOG.log(System.Logger.Level.WARNING, "telling agents of list changes failed", e);
      }
    }
  }

  /**
   * The lists a reload from {@code old} to {@code next} may have changed for some agent: every
   * kind when the bundle changed and lists are filtered by the policy (any item's visibility may
   * follow it); otherwise those whose catalog part changed (tools and their pins, prompt aliases,
   * resource owners).
   */
  static Set<Kind> changedBy(ActivePolicy old, ActivePolicy next, boolean listsFollowPolicy) {
    if (listsFollowPolicy && !old.bundle().bundleHash().equals(next.bundle().bundleHash())) {
      return EnumSet.allOf(Kind.class);
    }
    EnumSet<Kind> kinds = EnumSet.noneOf(Kind.class);
    if (!old.catalog().tools().equals(next.catalog().tools())) {
      kinds.add(Kind.TOOLS);
    }
    if (!old.catalog().prompts().equals(next.catalog().prompts())) {
      kinds.add(Kind.PROMPTS);
    }
    if (!old.catalog().resourceOwners().equals(next.catalog().resourceOwners())) {
      kinds.add(Kind.RESOURCES);
    }
    return kinds;
  }
}
