package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.DefinitionHash;
import dev.cmcp.verify.audit.AuditRecord;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compares pinned tools with what their upstreams offer now. A tool whose catalog entry has a
 * {@code definition_hash} is served only while its upstream definition still hashes to it
 * ({@link DefinitionHash}); otherwise it is withheld and refused, in every mode, and the change is
 * logged and audited ({@code pin_mismatch}) once per tool, pin and definition in this epoch.
 */
final class ToolPins {

  private static final Logger LOG = System.getLogger("cmcp.catalog");

  private final Optional<AuditLog> audit;
  /** {@code tool + " " + pinned hash + " " + actual hash} of every mismatch already reported. */
  private final Set<String> reported = ConcurrentHashMap.newKeySet();

  ToolPins(Optional<AuditLog> audit) {
    this.audit = audit;
  }

  /**
   * Why the tool must not be served, or empty when it is unpinned or still matches.
   *
   * @param upstreamDefinition the upstream's current definition; empty when it no longer offers the tool
   */
  Optional<String> mismatch(CatalogTool tool, Optional<ObjectNode> upstreamDefinition) {
    Optional<String> expected = tool.definitionHash();
    if (expected.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> actual = upstreamDefinition.map(DefinitionHash::of);
    if (actual.equals(expected)) {
      return Optional.empty();
    }
    String why = actual.isPresent()
        ? "the upstream definition of " + tool.toolName() + " hashes to " + actual.get() + ", not the pinned " + expected.get()
        : "upstream " + tool.server() + " no longer offers " + tool.upstreamName() + ", pinned as " + tool.toolName();
    // The pin is part of the key: a reloaded catalog may pin the tool anew.
    String key = tool.toolName() + " " + expected.get() + " " + actual.orElse("absent");
    if (reported.add(key)) {
      LOG.log(Level.WARNING, "pinned tool withheld: {0}; review the change, then run cmcp catalog pin", why);
      if (!record(new AuditRecord.PinMismatch(tool.toolName(), tool.server(), expected.get(), actual))) {
        reported.remove(key);
      }
    }
    return Optional.of(why);
  }

  private boolean record(AuditRecord.PinMismatch mismatch) {
    if (audit.isEmpty()) {
      return true;
    }
    try {
      audit.get().appendPinMismatch(mismatch);
      return true;
    } catch (AuditException e) {
      // The tool is withheld either way; a call to it then fails on its own decision entry.
      LOG.log(Level.ERROR, "audit log cannot record the pin mismatch of {0}: {1}", mismatch.tool(), e.getMessage());
      return false;
    }
  }
}
