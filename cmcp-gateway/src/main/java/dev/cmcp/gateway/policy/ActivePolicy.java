package dev.cmcp.gateway.policy;

import dev.cmcp.gateway.catalog.Catalog;

/**
 * What decides requests now: the bundle, the catalog and the engine compiled from the two. A
 * reload swaps them as one, so that a request never meets a new catalog with an old engine (or
 * the reverse), and a request decided by one engine is never audited under another bundle's hash.
 */
public record ActivePolicy(PolicyBundle bundle, Catalog catalog, PolicyEngine engine) {

  /** Compiles {@code bundle} against {@code catalog}. */
  public static ActivePolicy compile(PolicyBundle bundle, Catalog catalog) throws PolicyException {
    return new ActivePolicy(bundle, catalog, new PolicyEngine(bundle, catalog));
  }
}
